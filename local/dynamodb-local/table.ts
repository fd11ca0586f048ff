/** `ensureTable`: the table from the synthesized CloudFormation resource properties, created or brought up to date. */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type Projection,
  type ProvisionedThroughput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';

/** The parts of `AWS::DynamoDB::Table` (or `AWS::DynamoDB::GlobalTable`, CDK's TableV2) properties used here. */
export interface CfnTableProperties {
  TableName?: unknown;
  KeySchema: { AttributeName: string; KeyType: string }[];
  AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
  BillingMode?: string;
  ProvisionedThroughput?: { ReadCapacityUnits: number | string; WriteCapacityUnits: number | string };
  GlobalSecondaryIndexes?: CfnIndex[];
  LocalSecondaryIndexes?: CfnIndex[];
  TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean | string };
  StreamSpecification?: { StreamViewType?: string };
  /** SSE, PITR, tags, deletion protection, replicas...: ignored locally. */
  [other: string]: unknown;
}

interface CfnIndex {
  IndexName: string;
  KeySchema: { AttributeName: string; KeyType: string }[];
  Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
  ProvisionedThroughput?: { ReadCapacityUnits: number | string; WriteCapacityUnits: number | string };
}

export interface EnsureTableResult {
  tableName: string;
  /** True when the table did not exist and was created. */
  created: boolean;
  /** GSIs added to an existing table (or recreated because their keys or projection changed). */
  addedIndexes: string[];
  /** True when UpdateTimeToLive was called. */
  timeToLiveUpdated: boolean;
}

/**
 * Creates the table from CloudFormation properties unless it exists; an existing table
 * keeps its data, gains any GSI it lacks, and has a GSI whose keys or projection changed
 * rebuilt. A different primary key is an error (that needs a new data directory).
 * SSE, PITR, tags and the like are ignored; TTL is enabled when specified.
 */
export async function ensureTable(
  client: DynamoDBClient,
  props: CfnTableProperties,
  tableName: string = typeof props.TableName === 'string' ? props.TableName : '',
): Promise<EnsureTableResult> {
  if (!tableName) throw new Error("ensureTable: no table name (the template's TableName is not a plain string): pass one.");
  if (!Array.isArray(props.KeySchema) || !Array.isArray(props.AttributeDefinitions)) {
    throw new Error("ensureTable: KeySchema and AttributeDefinitions are required (pass the resource's Properties).");
  }
  const provisioned = props.BillingMode === 'PROVISIONED' || (!props.BillingMode && !!props.ProvisionedThroughput);
  const throughput = (t?: CfnIndex['ProvisionedThroughput']): ProvisionedThroughput | undefined =>
    provisioned
      ? { ReadCapacityUnits: Number(t?.ReadCapacityUnits ?? 5), WriteCapacityUnits: Number(t?.WriteCapacityUnits ?? 5) }
      : undefined;
  const keySchema = (k: CfnIndex['KeySchema']): KeySchemaElement[] =>
    k.map((e) => ({ AttributeName: e.AttributeName, KeyType: e.KeyType as KeySchemaElement['KeyType'] }));
  const projection = (p?: CfnIndex['Projection']): Projection => ({
    ProjectionType: (p?.ProjectionType ?? 'ALL') as Projection['ProjectionType'],
    ...(p?.NonKeyAttributes?.length ? { NonKeyAttributes: [...p.NonKeyAttributes] } : {}),
  });
  const gsis: GlobalSecondaryIndex[] = (props.GlobalSecondaryIndexes ?? []).map((g) => ({
    IndexName: g.IndexName,
    KeySchema: keySchema(g.KeySchema),
    Projection: projection(g.Projection),
    ...(provisioned ? { ProvisionedThroughput: throughput(g.ProvisionedThroughput) } : {}),
  }));
  const lsis: LocalSecondaryIndex[] = (props.LocalSecondaryIndexes ?? []).map((l) => ({
    IndexName: l.IndexName,
    KeySchema: keySchema(l.KeySchema),
    Projection: projection(l.Projection),
  }));
  const attributeDefinitions: AttributeDefinition[] = props.AttributeDefinitions.map((a) => ({
    AttributeName: a.AttributeName,
    AttributeType: a.AttributeType as AttributeDefinition['AttributeType'],
  }));
  const result: EnsureTableResult = { tableName, created: false, addedIndexes: [], timeToLiveUpdated: false };

  // An existing table may be mid-change (an index CREATING or DELETING): wait for it to settle.
  let table = (await describe(client, tableName)) && (await waitActive(client, tableName));
  if (!table) {
    const input: CreateTableCommandInput = {
      TableName: tableName,
      KeySchema: keySchema(props.KeySchema),
      AttributeDefinitions: attributeDefinitions,
      BillingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
      ...(provisioned ? { ProvisionedThroughput: throughput(props.ProvisionedThroughput) } : {}),
      ...(gsis.length ? { GlobalSecondaryIndexes: gsis } : {}),
      ...(lsis.length ? { LocalSecondaryIndexes: lsis } : {}),
      ...(props.StreamSpecification?.StreamViewType
        ? {
            StreamSpecification: {
              StreamEnabled: true,
              StreamViewType: props.StreamSpecification.StreamViewType as 'NEW_AND_OLD_IMAGES',
            },
          }
        : {}),
    };
    try {
      await client.send(new CreateTableCommand(input));
      result.created = true;
    } catch (err) {
      // Someone else created it in the meantime: fall through to the existing-table path.
      if ((err as Error).name !== 'ResourceInUseException') throw err;
    }
    table = await waitActive(client, tableName);
  }

  if (!result.created) {
    const same = (a: KeySchemaElement[] = [], b: KeySchemaElement[]) =>
      a.length === b.length && a.every((e, i) => e.AttributeName === b[i]!.AttributeName && e.KeyType === b[i]!.KeyType);
    if (!same(table.KeySchema, keySchema(props.KeySchema))) {
      throw new Error(
        `ensureTable: table ${tableName} exists with key schema ${JSON.stringify(table.KeySchema)}, ` +
          `but the template wants ${JSON.stringify(props.KeySchema)}. A primary key cannot change: delete the local data directory.`,
      );
    }
    for (const gsi of gsis) {
      const existing = table.GlobalSecondaryIndexes?.find((g) => g.IndexName === gsi.IndexName);
      const projectionSame =
        existing?.Projection?.ProjectionType === gsi.Projection!.ProjectionType &&
        [...(existing?.Projection?.NonKeyAttributes ?? [])].sort().join() === [...(gsi.Projection!.NonKeyAttributes ?? [])].sort().join();
      if (existing && same(existing.KeySchema, gsi.KeySchema!) && projectionSame) continue;
      if (existing) {
        await client.send(
          new UpdateTableCommand({ TableName: tableName, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: gsi.IndexName } }] }),
        );
        table = await waitActive(client, tableName);
      }
      const needed = new Set(gsi.KeySchema!.map((k) => k.AttributeName));
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: attributeDefinitions.filter((a) => needed.has(a.AttributeName)),
          GlobalSecondaryIndexUpdates: [{ Create: gsi }],
        }),
      );
      result.addedIndexes.push(gsi.IndexName!);
      table = await waitActive(client, tableName);
    }
  }

  const ttl = props.TimeToLiveSpecification;
  if (ttl?.AttributeName && (ttl.Enabled === true || ttl.Enabled === 'true')) {
    const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const d = current.TimeToLiveDescription;
    const on = d?.TimeToLiveStatus === 'ENABLED' || d?.TimeToLiveStatus === 'ENABLING';
    if (!on) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      );
      result.timeToLiveUpdated = true;
    }
  }
  return result;
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException || (err as Error).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

async function waitActive(client: DynamoDBClient, tableName: string, timeoutMs = 30_000): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await describe(client, tableName);
    if (t && t.TableStatus === 'ACTIVE' && (t.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) {
      return t;
    }
    if (Date.now() > deadline) throw new Error(`ensureTable: table ${tableName} not ACTIVE after ${timeoutMs} ms`);
    await sleep(50);
  }
}
