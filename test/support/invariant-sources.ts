/**
 * Snapshots for test/support/invariants.ts: the whole table read straight from local mode's
 * DynamoDB Local (so an orphan slot or a stray event shows too), or what a Store port says
 * (the use-case tests' memory store); and each request's execution as local mode's Step
 * Functions endpoint describes it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { accessKeyFor } from '../../local/credentials';
import { LOCAL_OPERATOR_ROLE } from '../../local/iam/roles';
import { keys } from '../../shared/adapters/keys';
import { chainOf, fromItem, stripKeys } from '../../shared/adapters/table';
import { JOURNAL, type ChainedEvent } from '../../shared/domain/audit-chain';
import type { GrantSlot } from '../../shared/domain/grant';
import type { Store, StoredRequest } from '../../shared/usecases/ports';
import type { LocalTable } from './dynamodb-items';
import type { Snapshot } from './invariants';

const STATE_MACHINE_ARN = 'arn:aws:states:local:000000000000:stateMachine:jitgate';

/** Every item of local mode's table, with a consistent Scan, sorted into requests, slots and events. */
function tableSnapshots({ endpoint, table }: LocalTable) {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const doc = DynamoDBDocumentClient.from(client);
  return {
    async read(): Promise<Snapshot> {
      const snapshot: Snapshot = { requests: [], slots: new Map(), events: [] };
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
        for (const item of page.Items ?? []) sortItem(snapshot, item);
        start = page.LastEvaluatedKey;
      } while (start);
      return snapshot;
    },
    close: () => client.destroy(),
  };
}

function sortItem(snapshot: Snapshot, item: Record<string, unknown>): void {
  const pk = item.pk as string;
  const sk = item.sk as string;
  if (sk === 'REQUEST') snapshot.requests.push(fromItem(item));
  else if (sk === 'GRANT') snapshot.slots.set(pk, stripKeys(item) as unknown as GrantSlot);
  else if (sk.startsWith('EVT#')) snapshot.events.push(stripKeys(item) as unknown as ChainedEvent);
  else if (pk === keys.journalHead().pk) snapshot.journalHead = chainOf(item);
}

/** What a Store port holds: every chain it can verify, each chain's request, and each request's grant slot. */
export async function storeSnapshot(store: Store): Promise<Snapshot> {
  const chains = await store.readChains();
  const snapshot: Snapshot = { requests: [], slots: new Map(), events: chains.flatMap((c) => c.events) };
  for (const c of chains) {
    if (c.chain === JOURNAL) {
      if (c.head) snapshot.journalHead = c.head;
      continue;
    }
    const stored: StoredRequest | undefined = await store.getRequest(c.chain);
    if (!stored) continue;
    snapshot.requests.push(stored);
    const { id: principal } = stored.request.requester;
    const slot = await store.getGrantSlot(principal, stored.request.action, stored.request.resource);
    if (slot) snapshot.slots.set(keys.grantSlot(principal, stored.request.action, stored.request.resource).pk, slot);
  }
  return snapshot;
}

/**
 * Each request's execution status from local mode's Step Functions endpoint (DescribeExecution, signed with the
 * operator's key, as failed-execution.test.ts does); an execution it does not know (ended before a restart) is left out.
 */
async function executionStatuses(url: string, requestIds: string[]): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  await Promise.all(
    requestIds.map(async (id) => {
      const res = await fetch(`${url}/dev/aws/sfn/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'AWSStepFunctions.DescribeExecution',
          authorization:
            `AWS4-HMAC-SHA256 Credential=${accessKeyFor(LOCAL_OPERATOR_ROLE)}/20260101/us-east-1/states/aws4_request, ` +
            'SignedHeaders=host, Signature=local',
        },
        body: JSON.stringify({ executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${id}` }),
      });
      const json = (await res.json()) as { status?: string; __type?: string };
      if (res.status === 200 && json.status) statuses.set(id, json.status);
      else if (!String(json.__type).includes('ExecutionDoesNotExist'))
        throw new Error(`DescribeExecution ${id}: ${res.status} ${JSON.stringify(json)}`);
    }),
  );
  return statuses;
}

/** Local mode's table and executions together: the reader `expectInvariants` takes. */
export function localModeSnapshots(url: string, where: LocalTable, only?: (r: StoredRequest['request']) => boolean) {
  const table = tableSnapshots(where);
  return {
    async read(): Promise<Snapshot> {
      const snapshot = await table.read();
      const ids = snapshot.requests.filter((s) => !only || only(s.request)).map((s) => s.request.id);
      return { ...snapshot, executions: await executionStatuses(url, ids) };
    },
    close: table.close,
  };
}
