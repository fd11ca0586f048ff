/** Reads local mode's DynamoDB Local directly, to prove a request changed nothing. */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/** A local mode's table: its DynamoDB Local and the table's name in it (one JVM may hold several local modes' tables). */
export interface LocalTable {
  endpoint: string;
  table: string;
}

/** From local mode's banner line `DynamoDB Local    http://127.0.0.1:<port>  (table <name>, ...)`. */
export function localTable(output: string): LocalTable {
  const match = /DynamoDB Local\s+(http:\/\/127\.0\.0\.1:\d+)\s+\(table ([A-Za-z0-9_.-]+),/.exec(output);
  if (!match) throw new Error(`no DynamoDB Local endpoint and table in local mode's output:\n${output}`);
  return { endpoint: match[1]!, table: match[2]! };
}

export function tableCounter({ endpoint, table }: LocalTable) {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return {
    /** Every item in the table, counted with a consistent Scan; `withoutAudit` leaves out audit events and the journal head. */
    async count(opts: { withoutAudit?: boolean } = {}): Promise<number> {
      const filter = opts.withoutAudit
        ? {
            FilterExpression: 'NOT begins_with(sk, :evt) AND pk <> :journal',
            ExpressionAttributeValues: { ':evt': { S: 'EVT#' }, ':journal': { S: 'AUDIT#JOURNAL' } },
          }
        : {};
      let total = 0;
      let start: Record<string, any> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName: table, Select: 'COUNT', ConsistentRead: true, ExclusiveStartKey: start, ...filter }),
        );
        total += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start);
      return total;
    },
    close: () => client.destroy(),
  };
}
