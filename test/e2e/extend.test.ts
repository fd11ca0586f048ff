/**
 * Extending an active window grant, end to end against local mode: alice's prod:debug grant,
 * approved by bob, gets more time through an extension bob approves too; the extension's
 * execution then waits for the new end and expires the grant (the grant's own execution stops
 * at the old end): still active past the old end, expired at the new one. Short durations.
 */
import { Client } from '../support/local-mode';
import { waitFor } from '../support/wait';
import { SHARED_START_TIMEOUT_MS, sharedLocalMode, type SharedLocalMode } from '../support/shared-local-mode';

let local: SharedLocalMode;
let api: Client;

beforeAll(async () => {
  local = await sharedLocalMode('e2e');
  api = new Client(local.url, local.dataDir);
}, SHARED_START_TIMEOUT_MS);

const sleepUntil = (iso: string, afterMs = 0) => new Promise((r) => setTimeout(r, Math.max(0, Date.parse(iso) + afterMs - Date.now())));

test('alice extends her window grant, bob approves: it ends at the new expiresAt, not before', async () => {
  const alice = await api.token('alice', { as: 'extend' });
  const bob = await api.token('bob');
  const subject = { action: 'prod:debug', resource: 'cluster/extend' };

  const created = await api.call('POST', '/v1/requests', { token: alice, body: { ...subject, durationSeconds: 12 } });
  expect(created.status).toBe(201);
  const id: string = created.json.id;
  await api.waitForStatus(alice, id, 'pending_approval');
  expect((await api.call('POST', `/v1/requests/${id}/decisions`, { token: bob, body: { decision: 'approve' } })).status).toBe(200);
  const grant = await api.waitForStatus(alice, id, 'active');
  const oldEnd: string = grant.expiresAt;

  // Past the policy's 30 minutes from activation: refused, naming the maximum and what is left.
  const tooLong = await api.call('POST', `/v1/requests/${id}/extend`, { token: alice, body: { durationSeconds: 1800 } });
  expect(tooLong.status).toBe(400);
  expect(tooLong.json.detail).toMatch(/at most 1800 s from activation .*1788 s left/);
  // Only the requester.
  expect((await api.call('POST', `/v1/requests/${id}/extend`, { token: bob, body: { durationSeconds: 6 } })).status).toBe(403);

  const asked = await api.call('POST', `/v1/requests/${id}/extend`, {
    token: alice,
    body: { durationSeconds: 6, justification: 'the rollout needs a few more seconds' },
  });
  expect(asked.status).toBe(201);
  expect(asked.json).toMatchObject({ ...subject, extends: id, durationSeconds: 6 });
  const extensionId: string = asked.json.id;
  await api.waitForStatus(alice, extensionId, 'pending_approval');
  // Bob's page says it is an extension, of which grant, and when that grant ends now.
  const page = await (await fetch(await api.linkFor('bob@example.com', extensionId))).text();
  expect(page).toContain(`<dt>Extends</dt><dd>request ${id}, active, ends in `);
  expect((await api.call('POST', `/v1/requests/${extensionId}/decisions`, { token: bob, body: { decision: 'approve' } })).status).toBe(200);
  const applied = await api.waitForStatus(alice, extensionId, 'applied');
  const newEnd = new Date(Date.parse(oldEnd) + 6000).toISOString();
  expect(applied.expiresAt).toBe(newEnd);
  // Activate applies the extension: the end fixed on it, then the grant's moved, moments apart.
  const moved = await waitFor(
    async () => (await api.call('GET', `/v1/requests/${id}`, { token: alice })).json,
    (r) => r.expiresAt !== oldEnd,
  ).catch(async (err) => {
    throw new Error(`${err}\n${await local.output()}`);
  });
  expect(moved).toMatchObject({ status: 'active', expiresAt: newEnd });
  // Alice is told on the events topic, on the grant's id (published by the activate function, which applied it).
  const told = await waitFor(
    async () => (await api.outbox()).map((m) => JSON.parse(m.message.trim().startsWith('{') ? m.message : '{}')),
    (events) => events.some((e) => e.type === 'grant.extended' && e.requestId === id),
  );
  expect(told.find((e) => e.type === 'grant.extended' && e.requestId === id)).toMatchObject({
    extension: extensionId,
    from: oldEnd,
    expiresAt: newEnd,
  });

  // Past the old end: the same execution waited on; the grant is still active and honoured.
  await sleepUntil(oldEnd, 1500);
  expect((await api.call('GET', `/v1/requests/${id}`, { token: alice })).json.status).toBe('active');
  const check = await api.call('POST', '/v1/authorize', { token: alice, body: subject });
  expect(check.json).toMatchObject({ allowed: true });

  // At the new end it expires, once.
  const expired = await api.waitForStatus(alice, id, 'expired', 30_000);
  expect(expired.expiresAt).toBe(newEnd);
  expect(Date.parse(expired.endedAt)).toBeGreaterThanOrEqual(Date.parse(newEnd));
  const types = await api.auditTypes(id);
  expect(types).toEqual(expect.arrayContaining(['activated', 'extension_requested', 'extended', 'expired']));
  expect(types.filter((t) => t === 'expired')).toHaveLength(1);
  expect(await api.auditTypes(extensionId)).toEqual(expect.arrayContaining(['created', 'approved', 'extended']));
}, 120_000);
