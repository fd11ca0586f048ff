/**
 * DynamoDB Local (AWS's jar, run with the machine's Java 17): start, the table from
 * CloudFormation properties, conditional writes and transactions, and data that
 * survives a restart. One JVM per phase; each start takes a couple of seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  ensureTable,
  localDynamoDbClient,
  startDynamoDbLocal,
  type CfnTableProperties,
  type DynamoDbLocal,
} from '../../local/dynamodb-local';

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
const TABLE = 'jitgate';
const s = (v: string) => ({ S: v });

describe('DynamoDB Local in memory', () => {
  let ddb: DynamoDbLocal;
  let client: DynamoDBClient;

  beforeAll(async () => {
    ddb = await startDynamoDbLocal({ port: 0 });
    client = localDynamoDbClient(ddb.endpoint);
    // eslint-disable-next-line no-console
    console.log(`DynamoDB Local (in memory) answered after ${ddb.startupMs} ms on port ${ddb.port}`);
  });
  afterAll(async () => {
    client?.destroy();
    await ddb?.stop();
  });

  it('picked a free port and answers on 127.0.0.1', () => {
    expect(ddb.port).toBeGreaterThan(0);
    expect(ddb.endpoint).toBe(`http://127.0.0.1:${ddb.port}`);
    expect(ddb.pid).toBeGreaterThan(0);
  });

  it('creates the table with both GSIs and TTL, and leaves an existing one alone', async () => {
    const first = await ensureTable(client, tableProps, TABLE);
    expect(first).toEqual({ tableName: TABLE, created: true, addedIndexes: [], timeToLiveUpdated: true });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName).sort()).toEqual(['gsi1', 'gsi2']);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' });

    const again = await ensureTable(client, tableProps, TABLE);
    expect(again).toEqual({ tableName: TABLE, created: false, addedIndexes: [], timeToLiveUpdated: false });
  });

  it('adds a GSI that an existing table lacks, keeping its items', async () => {
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: s('KEEP'), sk: s('ME'), gsi2pk: s('PENDING'), gsi2sk: s('1') } }));
    await client.send(new UpdateTableCommand({ TableName: TABLE, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'gsi2' } }] }));
    const res = await ensureTable(client, tableProps, TABLE);
    expect(res.addedIndexes).toEqual(['gsi2']);
    const q = await client.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :p',
        ExpressionAttributeValues: { ':p': s('PENDING') },
      }),
    );
    expect(q.Items?.map((i) => i.pk?.S)).toEqual(['KEEP']);
  });

  it('refuses a table whose primary key differs from the template', async () => {
    await expect(ensureTable(client, { ...tableProps, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }, TABLE)).rejects.toThrow(
      /primary key cannot change/,
    );
  });

  it('fails a conditional write with ConditionalCheckFailedException', async () => {
    const put = () =>
      client.send(
        new PutItemCommand({
          TableName: TABLE,
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
                TableName: TABLE,
                Key: { pk: s('REQ#1'), sk: s('REQUEST') },
                UpdateExpression: 'SET #s = :active',
                ConditionExpression: '#s = :pending',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':active': s('active'), ':pending': s('pending_approval') },
              },
            },
            {
              Put: {
                TableName: TABLE,
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
    const item = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: s('REQ#1'), sk: s('REQUEST') } }));
    expect(item.Item?.status?.S).toBe('pending_approval');
  });

  it('refuses a port that is already taken, with a clear message', async () => {
    await expect(startDynamoDbLocal({ port: ddb.port })).rejects.toThrow(new RegExp(`port ${ddb.port} is already in use`));
  });

  it('says how to install Java 17 when java is missing', async () => {
    await expect(startDynamoDbLocal({ javaPath: '/nonexistent/bin/java' })).rejects.toThrow(
      /was not found.*Java 17.*apt-get install -y openjdk-17-jre-headless/s,
    );
  });
});

describe('DynamoDB Local with a data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jitgate-ddb-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the table and its items across a restart', async () => {
    let ddb = await startDynamoDbLocal({ dataDir: dir });
    let client = localDynamoDbClient(ddb.endpoint);
    try {
      expect((await ensureTable(client, tableProps, TABLE)).created).toBe(true);
      await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: s('USER#x'), sk: s('TOTP'), secret: s('abc') } }));
    } finally {
      client.destroy();
      await ddb.stop();
    }
    // eslint-disable-next-line no-console
    console.log(`DynamoDB Local (dbPath) first start: ${ddb.startupMs} ms`);

    ddb = await startDynamoDbLocal({ dataDir: dir });
    client = localDynamoDbClient(ddb.endpoint);
    try {
      expect(await ensureTable(client, tableProps, TABLE)).toMatchObject({ created: false, addedIndexes: [] });
      const got = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: s('USER#x'), sk: s('TOTP') } }));
      expect(got.Item?.secret?.S).toBe('abc');
    } finally {
      client.destroy();
      await ddb.stop();
    }
    // eslint-disable-next-line no-console
    console.log(`DynamoDB Local (dbPath) restart: ${ddb.startupMs} ms`);
  });
});
