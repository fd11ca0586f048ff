/**
 * What the cost model (cost.ts) reads from the synthesized template: each function's memory
 * size, the KMS keys, secrets, alarms and API methods an idle deployment pays for, the table's
 * indexes with their projections (what a write costs in them), and the roles and topics whose
 * KMS data keys AWS caches per caller.
 */
import type { IndexSpec } from './dynamodb-capacity';

/** What the cost model reads from the synthesized template. */
export interface TemplateFacts {
  /** Memory size (MB) per entry (`api`, `authorize`, ...). */
  memoryMb: Record<string, number>;
  kmsKeys: number;
  secrets: number;
  alarms: number;
  /** API Gateway methods: with detailed metrics on, each is billed as custom metrics. */
  apiMethods: number;
  detailedMetrics: boolean;
  /** The table's key attributes and its global secondary indexes, with their projections. */
  tableKeys: string[];
  indexes: IndexSpec[];
  /** Roles allowed to call DynamoDB: each is a caller DynamoDB keeps the table key for. */
  tableCallers: number;
  /** (role, topic) pairs allowed sns:Publish: each is a publishing principal SNS keeps a data key for. */
  topicPublishers: number;
}

export function templateFacts(template: {
  Resources?: Record<string, { Type?: string; Properties?: any; Metadata?: any }>;
}): TemplateFacts {
  const resources = Object.values(template.Resources ?? {});
  const ofType = (type: string) => resources.filter((r) => r.Type === type);
  const memoryMb: Record<string, number> = {};
  for (const fn of ofType('AWS::Lambda::Function')) {
    const entry = /^functions\/([^/]+)\//.exec(String(fn.Metadata?.['jitgate:entry'] ?? ''))?.[1];
    if (entry) memoryMb[entry] = Number(fn.Properties?.MemorySize ?? 128); // Lambda's default
  }
  const stages = ofType('AWS::ApiGateway::Stage');
  const table = ofType('AWS::DynamoDB::Table')[0]?.Properties ?? {};
  const tableCallers = new Set<string>();
  const topicPublishers = new Set<string>();
  for (const policy of ofType('AWS::IAM::Policy')) {
    const role = JSON.stringify(policy.Properties?.Roles ?? []);
    for (const statement of policy.Properties?.PolicyDocument?.Statement ?? []) {
      const actions: string[] = [statement.Action].flat();
      if (actions.some((a) => a.startsWith('dynamodb:'))) tableCallers.add(role);
      if (actions.includes('sns:Publish'))
        for (const topic of [statement.Resource].flat()) topicPublishers.add(`${role} ${JSON.stringify(topic)}`);
    }
  }
  const keyNames = (schema: { AttributeName: string }[] = []) => schema.map((k) => k.AttributeName);
  const indexes: IndexSpec[] = (table.GlobalSecondaryIndexes ?? []).map(
    (g: {
      IndexName: string;
      KeySchema: { AttributeName: string }[];
      Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
    }) => ({
      name: g.IndexName,
      keys: keyNames(g.KeySchema),
      projection:
        g.Projection?.ProjectionType === 'INCLUDE'
          ? (g.Projection.NonKeyAttributes ?? [])
          : g.Projection?.ProjectionType === 'ALL'
            ? 'ALL'
            : 'KEYS_ONLY',
    }),
  );
  return {
    memoryMb,
    kmsKeys: ofType('AWS::KMS::Key').length,
    secrets: ofType('AWS::SecretsManager::Secret').length,
    alarms: ofType('AWS::CloudWatch::Alarm').length + ofType('AWS::CloudWatch::CompositeAlarm').length,
    apiMethods: ofType('AWS::ApiGateway::Method').length,
    detailedMetrics: stages.some((s) => (s.Properties?.MethodSettings ?? []).some((m: { MetricsEnabled?: boolean }) => m.MetricsEnabled)),
    tableKeys: keyNames(table.KeySchema),
    indexes,
    tableCallers: tableCallers.size,
    topicPublishers: topicPublishers.size,
  };
}
