/** Clients of DynamoDB Local: local mode's own, the launcher's readiness probe, tests. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Credentials and region any client of DynamoDB Local may use (`-sharedDb` makes them irrelevant to the data). */
export const DYNAMODB_LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const DYNAMODB_LOCAL_REGION = 'us-east-1';

/** A DynamoDB client for a local endpoint, with dummy credentials. */
export function localDynamoDbClient(endpoint: string, extra: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: DYNAMODB_LOCAL_REGION,
    credentials: { ...DYNAMODB_LOCAL_CREDENTIALS },
    ...(extra.maxAttempts !== undefined ? { maxAttempts: extra.maxAttempts } : {}),
  });
}
