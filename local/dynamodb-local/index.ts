/**
 * DynamoDB Local for local mode: launch.ts starts and stops the JVM, table.ts creates the table from the
 * template, client.ts makes clients for it, ports.ts finds free loopback ports, attach.ts uses one that
 * another process runs (one JVM for a whole test run).
 */
export { attachedDynamoDb, DEFAULT_TABLE_NAME, dynamoDbSource, type AttachedDynamoDb } from './attach';
export { DYNAMODB_LOCAL_CREDENTIALS, DYNAMODB_LOCAL_REGION, localDynamoDbClient } from './client';
export { defaultJarDir, DynamoDbLocalError, startDynamoDbLocal, type DynamoDbLocal, type DynamoDbLocalOptions } from './launch';
export { freePort } from './ports';
export { ensureTable, type CfnTableProperties, type EnsureTableResult } from './table';
