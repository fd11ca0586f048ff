/**
 * Local mode keeps its data under .jitgate/: a restart loses no request, and
 * requests that were waiting carry on (their executions are resumed).
 */
import { Client, decideByLink, freePort, startLocalMode, tempDir, type Running } from '../support/local-mode';

let local: Running | undefined;
afterAll(async () => {
  await local?.stop();
});

test('a pending request and an active grant survive a restart; the old link still decides', async () => {
  const dataDir = tempDir('jitgate-restart-');
  const port = await freePort();
  // A JVM of its own, keeping its data in dataDir: what survives is what `npm start` keeps on disk.
  local = await startLocalMode({ port, dataDir, dynamodb: 'own' });
  const api = new Client(local.url, dataDir);
  const alice = await api.token('alice');

  const pending = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/eu-2', durationSeconds: 120 },
  });
  expect(pending.status).toBe(201);
  const link = await api.linkFor('bob@example.com', pending.json.id);
  const active = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'reports:read', resource: 'reports/q4', durationSeconds: 600 },
  });
  await api.waitForStatus(alice, active.json.id, 'active');

  await local.stop();
  local = await startLocalMode({ port, dataDir, dynamodb: 'own' });
  expect(local.output()).toContain('2 execution(s) resumed');

  expect((await api.call('GET', `/v1/requests/${pending.json.id}`, { token: alice })).json.status).toBe('pending_approval');
  expect(
    (await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'reports:read', resource: 'reports/q4' } })).json.allowed,
  ).toBe(true);
  // The outbox is kept too, and approvers were not notified a second time.
  const toBob = (await api.outbox('bob@example.com')).filter((m) => m.message.includes('prod:debug'));
  expect(toBob).toHaveLength(1);

  expect((await decideByLink(link, 'approve')).status).toBe(200);
  await api.waitForStatus(alice, pending.json.id, 'active');
  expect(
    (await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'prod:debug', resource: 'cluster/eu-2' } })).json.allowed,
  ).toBe(true);
}, 180_000);
