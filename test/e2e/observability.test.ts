/**
 * End to end: what operators see in local mode. The functions' EMF lines become
 * `GET /dev/metrics`, and their log lines (request id as `correlation_id`, never the
 * bearer token) appear on local mode's console.
 */
import { Client } from '../support/local-mode';
import { SHARED_START_TIMEOUT_MS, sharedLocalMode, type SharedLocalMode } from '../support/shared-local-mode';
import { waitFor } from '../support/wait';

let local: SharedLocalMode;
let api: Client;

beforeAll(async () => {
  local = await sharedLocalMode('e2e');
  api = new Client(local.url, local.dataDir);
}, SHARED_START_TIMEOUT_MS);

type Stats = { unit: string; samples: number; sum: number };
async function metrics(): Promise<Record<string, Stats>> {
  const res = await fetch(`${local.url}/dev/metrics`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { namespaces: Record<string, Record<string, Stats>> }).namespaces.jitgate ?? {};
}

test('a request created: /dev/metrics counts it, and the console shows the log line with its id, not the token', async () => {
  const alice = await api.token('alice', { as: 'metrics' });
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/metrics-1', durationSeconds: 600 },
  });
  expect(created.status).toBe(201);
  const id: string = created.json.id;

  const seen = await waitFor(metrics, (m) => (m.RequestsCreated?.sum ?? 0) >= 1, { timeoutMs: 10_000 });
  expect(seen.RequestsCreated).toMatchObject({ unit: 'Count' });

  const line = await waitFor(
    async () =>
      (await local.output())
        .split('\n')
        .filter((l) => l.startsWith('{') && l.includes(`"correlation_id":"${id}"`))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.message === 'handled'),
    (l) => l !== undefined,
    { timeoutMs: 10_000 },
  );
  expect(line).toMatchObject({ level: 'INFO', service: 'jitgate', statusCode: 201, function_request_id: expect.any(String) });
  expect(await local.output()).not.toContain(alice);
});

test('/dev/metrics answers only GET, HEAD and DELETE', async () => {
  const res = await fetch(`${local.url}/dev/metrics`, { method: 'POST' });
  expect(res.status).toBe(405);
});
