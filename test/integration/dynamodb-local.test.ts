/**
 * DynamoDB Local (AWS's jar, run with the machine's Java 17): the table from CloudFormation
 * properties, conditional writes and transactions, and the launcher's refusals. In the run's one
 * JVM (test/support/shared-dynamodb.ts), which the launcher started in memory on a free port: a JVM
 * costs seconds of CPU to start. Data that survives a restart of its own JVM is e2e/restart.test.ts.
 */
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ensureTable, localDynamoDbClient, startDynamoDbLocal, type CfnTableProperties } from '../../local/dynamodb-local';
import { sharedDynamoDb } from '../support/shared-dynamodb';

/** Shaped like the synthesized AWS::DynamoDB::Table (ARCHITECTURE.md "The table"). */
const tableProps: CfnTableProperties = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
    { AttributeName: 'gsi2pk', AttributeType: 'S' },
    { AttributeName: 'gsi2sk', AttributeType: 'S' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
  GlobalSecondaryIndexes: [
    {
      IndexName: 'gsi1',
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
    {
      IndexName: 'gsi2',
      KeySchema: [
        { AttributeName: 'gsi2pk', KeyType: 'HASH' },
        { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': ['Key961B73FD', 'Arn'] } },
  TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
};
const s = (v: string) => ({ S: v });

describe('DynamoDB Local in memory', () => {
  let endpoint: URL;
  let port: number;
  let client: DynamoDBClient;
  let table: string;

  beforeAll(async () => {
    const shared = await sharedDynamoDb();
    if (!shared) throw new Error('no shared DynamoDB Local: run this file with jest, whose globalSetup starts it');
    table = shared.table;
    client = localDynamoDbClient(shared.endpoint);
    endpoint = new URL(shared.endpoint);
    port = Number(endpoint.port);
  });
  afterAll(() => {
    client?.destroy();
  });

  it('picked a free port and answers on 127.0.0.1', async () => {
    expect(endpoint.hostname).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    expect((await client.send(new ListTablesCommand({}))).TableNames).not.toContain(table);
  });

  it('creates the table with both GSIs and TTL, and leaves an existing one alone', async () => {
    const first = await ensureTable(client, tableProps, table);
    expect(first).toEqual({ tableName: table, created: true, addedIndexes: [], timeToLiveUpdated: true });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName).sort()).toEqual(['gsi1', 'gsi2']);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' });

    const again = await ensureTable(client, tableProps, table);
    expect(again).toEqual({ tableName: table, created: false, addedIndexes: [], timeToLiveUpdated: false });
  });

  it('adds a GSI that an existing table lacks, keeping its items', async () => {
    await client.send(new PutItemCommand({ TableName: table, Item: { pk: s('KEEP'), sk: s('ME'), gsi2pk: s('PENDING'), gsi2sk: s('1') } }));
    await client.send(new UpdateTableCommand({ TableName: table, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'gsi2' } }] }));
    const res = await ensureTable(client, tableProps, table);
    expect(res.addedIndexes).toEqual(['gsi2']);
    const q = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p',
        ExpressionAttributeValues: { ':p': s('PENDING') },
      }),
    );
    expect(q.Items?.map((i) => i.pk?.S)).toEqual(['KEEP']);
  });

  it('refuses a table whose primary key differs from the template', async () => {
    await expect(ensureTable(client, { ...tableProps, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }, table)).rejects.toThrow(
      /primary key cannot change/,
    );
  });

  it('fails a conditional write with ConditionalCheckFailedException', async () => {
    const put = () =>
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: s('REQ#1'), sk: s('REQUEST'), status: s('pending_approval') },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    await put();
    const err = await put().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('cancels a transaction whose condition fails, writing nothing', async () => {
    const err = await client
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName: table,
                Key: { pk: s('REQ#1'), sk: s('REQUEST') },
                UpdateExpression: 'SET #s = :active',
                ConditionExpression: '#s = :pending',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':active': s('active'), ':pending': s('pending_approval') },
              },
            },
            {
              Put: {
                TableName: table,
                Item: { pk: s('GRANT#p#a#r'), sk: s('GRANT'), status: s('active') },
                ConditionExpression: 'attribute_exists(pk)', // the slot does not exist: this cancels the transaction
              },
            },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect((err as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    const item = await client.send(new GetItemCommand({ TableName: table, Key: { pk: s('REQ#1'), sk: s('REQUEST') } }));
    expect(item.Item?.status?.S).toBe('pending_approval');
  });

  it('refuses a port that is already taken, with a clear message', async () => {
    await expect(startDynamoDbLocal({ port })).rejects.toThrow(new RegExp(`port ${port} is already in use`));
  });

  it('says how to install Java 17 when java is missing', async () => {
    await expect(startDynamoDbLocal({ javaPath: '/nonexistent/bin/java' })).rejects.toThrow(
      /was not found.*Java 17.*apt-get install -y openjdk-17-jre-headless/s,
    );
  });
});
