/**
 * End to end, over HTTP against local mode started as `npm start` does: each demo
 * action through its whole life, and the ways a request can fail to become a grant.
 */
import { Client, decideByLink } from '../support/local-mode';
import { SHARED_START_TIMEOUT_MS, sharedLocalMode, type SharedLocalMode } from '../support/shared-local-mode';
import { localModeSnapshots } from '../support/invariant-sources';
import { expectInvariants } from '../support/invariants';

let local: SharedLocalMode;
let api: Client;
let audrey: string;

beforeAll(async () => {
  local = await sharedLocalMode('e2e');
  api = new Client(local.url, local.dataDir);
  audrey = await api.token('audrey');
}, SHARED_START_TIMEOUT_MS);

// Every life above, whichever way it ended, leaves requests that obey the invariants (test/support/invariants.ts).
afterAll(async () => {
  const mine = (r: { requester: { sub: string } }) =>
    /^(alice-(delete|payments|debug|reports|timeout|race-\d+|idem)|bob-self)$/.test(r.requester.sub);
  const snapshots = localModeSnapshots(local.url, local.table, mine);
  try {
    const checked = await expectInvariants(snapshots.read, { only: mine, settleMs: 15_000 });
    expect(checked.requests).toBeGreaterThan(5);
  } finally {
    snapshots.close();
  }
}, 30_000);

test('alice deletes project 42: MFA, bob approves by link (GET changes nothing), one use, audited', async () => {
  const alice = await api.token('alice', { as: 'delete' });
  const code = await api.enrolTotp(alice);

  const missing = await api.call('POST', '/v1/requests', { token: alice, body: { action: 'projects:delete', resource: 'projects/42' } });
  expect(missing.status).toBe(400);
  expect(missing.json.errors[0].path).toBe('justification');

  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'projects:delete', resource: 'projects/42', justification: 'customer asked for deletion, ticket 881' },
  });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ status: 'pending_mfa', waitingFor: { mfa: { method: 'totp', attemptsLeft: 5 } } });
  const id: string = created.json.id;

  const wrong = await api.call('POST', `/v1/requests/${id}/mfa`, { token: alice, body: { code: code.wrong() } });
  expect(wrong.status).toBe(400);
  expect(wrong.json).toMatchObject({ attemptsLeft: 4 });

  const mfa = await api.call('POST', `/v1/requests/${id}/mfa`, { token: alice, body: { code: code() } });
  expect(mfa.status).toBe(200);
  // The answer hands over to the state machine, which moves on within moments; a busy machine may answer first.
  const afterMfa = await api.waitForStatus(alice, id, 'pending_approval');
  expect(afterMfa.waitingFor.approvals[0]).toMatchObject({ group: 'security-admins', required: 1, remaining: 1 });

  const link = await api.linkFor('bob@example.com', id);
  // Mail scanners fetch links: GET (twice) and HEAD must change nothing.
  const page = await fetch(link);
  expect(page.status).toBe(200);
  expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(await page.text()).toContain('customer asked for deletion, ticket 881');
  await fetch(link);
  await fetch(link, { method: 'HEAD' });
  expect((await api.call('GET', `/v1/requests/${id}`, { token: alice })).json.status).toBe('pending_approval');

  // A form post without the page's CSRF token is refused and changes nothing.
  const forged = await fetch(link, {
    method: 'POST',
    body: new URLSearchParams({ decision: 'approve' }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(link).origin },
  });
  expect(forged.status).toBe(400);
  expect((await api.call('GET', `/v1/requests/${id}`, { token: alice })).json.status).toBe('pending_approval');

  const decided = await decideByLink(link, 'approve', 'checked the ticket');
  expect(decided.status).toBe(200);
  expect(decided.html).toContain('You approved projects:delete');
  await api.waitForStatus(alice, id, 'active');

  // The link works once.
  expect((await decideByLink(link, 'approve')).pageStatus).toBe(409);

  const check = await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'projects:delete', resource: 'projects/42' } });
  expect(check.json).toMatchObject({ allowed: true, grant: { requestId: id, mode: 'once' } });
  const other = await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'projects:delete', resource: 'projects/43' } });
  expect(other.json.allowed).toBe(false);

  const use = await api.call('POST', '/v1/authorize', {
    token: alice,
    body: { action: 'projects:delete', resource: 'projects/42', consume: true },
  });
  expect(use.json).toMatchObject({ allowed: true, grant: { consumed: true } });
  const again = await api.call('POST', '/v1/authorize', {
    token: alice,
    body: { action: 'projects:delete', resource: 'projects/42', consume: true },
  });
  expect(again.json.allowed).toBe(false);
  expect((await api.call('GET', `/v1/requests/${id}`, { token: alice })).json.status).toBe('consumed');

  expect(await api.auditTypes(id)).toEqual(
    expect.arrayContaining(['created', 'mfa_failed', 'mfa_passed', 'approvers_notified', 'approved', 'activated', 'consumed']),
  );
});

test('alice approves a payment: needs security AND finance; carol counts once; bob completes it', async () => {
  const alice = await api.token('alice', { as: 'payments' });
  const code = await api.enrolTotp(alice);
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'payments:approve', resource: 'payments/7', justification: 'quarterly supplier run' },
  });
  expect(created.status).toBe(201);
  const id = created.json.id;
  expect((await api.call('POST', `/v1/requests/${id}/mfa`, { token: alice, body: { code: code() } })).status).toBe(200);
  await api.waitForStatus(alice, id, 'pending_approval');

  const carol = await api.token('carol');
  const first = await api.call('POST', `/v1/requests/${id}/decisions`, { token: carol, body: { decision: 'approve' } });
  expect(first.status).toBe(200);
  expect(first.json.status).toBe('pending_approval');
  const remaining = first.json.waitingFor.approvals.filter((g: { remaining: number }) => g.remaining > 0);
  expect(remaining).toHaveLength(1);

  // Carol cannot fill the second group too.
  const twice = await api.call('POST', `/v1/requests/${id}/decisions`, { token: carol, body: { decision: 'approve' } });
  expect(twice.status).toBe(409);

  const bobLink = await api.linkFor('bob@example.com', id);
  expect((await decideByLink(bobLink, 'approve')).status).toBe(200);
  await api.waitForStatus(alice, id, 'active');
  const use = await api.call('POST', '/v1/authorize', {
    token: alice,
    body: { action: 'payments:approve', resource: 'payments/7', consume: true },
  });
  expect(use.json.allowed).toBe(true);
});

test('alice debugs production for 3 seconds: approved by API, then the grant expires by itself', async () => {
  const alice = await api.token('alice', { as: 'debug' });
  const tooLong = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/eu-1', durationSeconds: 7200 },
  });
  expect(tooLong.status).toBe(400);
  expect(tooLong.json.detail).toContain('maximum of 1800');

  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/eu-1', durationSeconds: 3 },
  });
  expect(created.status).toBe(201);
  expect(created.json.status).toBe('pending_approval');
  const id = created.json.id;

  // Same action and resource while the first is live: the same request, not a second one.
  const dup = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/eu-1', durationSeconds: 3 },
  });
  expect(dup.status).toBe(200);
  expect(dup.json.id).toBe(id);

  const bob = await api.token('bob');
  const approved = await api.call('POST', `/v1/requests/${id}/decisions`, {
    token: bob,
    body: { decision: 'approve', reason: 'incident 12' },
  });
  expect(approved.status).toBe(200);
  // The answer is the request as decided; the state machine activates it moments later.
  expect(approved.json).toMatchObject({ status: 'pending_approval', waitingFor: { activation: true } });
  await api.waitForStatus(alice, id, 'active');
  expect(
    (await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'prod:debug', resource: 'cluster/eu-1' } })).json.allowed,
  ).toBe(true);

  // Carol's link now says the request is decided.
  const carolLink = await api.linkFor('carol@example.com', id);
  expect((await fetch(carolLink)).status).toBe(409);

  await api.waitForStatus(alice, id, 'expired', 15_000);
  expect(
    (await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'prod:debug', resource: 'cluster/eu-1' } })).json.allowed,
  ).toBe(false);
  expect(await api.auditTypes(id)).toEqual(expect.arrayContaining(['approved', 'activated', 'expired']));
  expect(await api.messages((m) => m.message.includes(id) && m.message.includes('grant.ended'))).toHaveLength(1);
});

test('reports:read is auto-approved: it comes back waiting only for activation, then is active', async () => {
  const alice = await api.token('alice', { as: 'reports' });
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'reports:read', resource: 'reports/q3', durationSeconds: 60 },
  });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ status: 'pending_approval', autoApproved: true, waitingFor: { activation: true } });
  await api.waitForStatus(alice, created.json.id, 'active');
  expect(
    (await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'reports:read', resource: 'reports/q3' } })).json,
  ).toMatchObject({ allowed: true, grant: { mode: 'window' } });
});

test('policy says no: dave (contractor) and erin (guest), recorded in the audit trail', async () => {
  const dave = await api.token('dave');
  const denied = await api.call('POST', '/v1/requests', {
    token: dave,
    body: { action: 'projects:delete', resource: 'projects/42', justification: 'cleanup' },
  });
  expect(denied.status).toBe(403);
  expect(denied.headers.get('content-type')).toContain('application/problem+json');
  expect(denied.json).toMatchObject({ title: 'A policy denies this action', detail: 'contractors may not delete projects' });

  const erin = await api.token('erin');
  expect((await api.call('POST', '/v1/requests', { token: erin, body: { action: 'reports:read' } })).status).toBe(403);
  expect((await api.call('POST', '/v1/requests', { token: erin, body: { action: 'unknown:thing' } })).status).toBe(403);

  const trail = await api.call('GET', `/v1/audit?actor=${encodeURIComponent(`${local.url}/dev/idp#dave`)}`, { token: audrey });
  expect(trail.json.events.map((e: { type: string }) => e.type)).toContain('denied_by_policy');
  // Only auditors read the trail.
  expect((await api.call('GET', '/v1/audit', { token: dave })).status).toBe(403);
});

test('bob cannot approve his own request; a denial ends it; strangers see 404', async () => {
  const bob = await api.token('bob', { as: 'self' });
  const created = await api.call('POST', '/v1/requests', { token: bob, body: { action: 'prod:debug', resource: 'cluster/us-1' } });
  const id = created.json.id;
  const self = await api.call('POST', `/v1/requests/${id}/decisions`, { token: bob, body: { decision: 'approve' } });
  expect(self.status).toBe(403);
  expect(self.json.type).toContain('self-approval');

  const alice = await api.token('alice');
  // A stranger's decision is 404 like their GET (issue 10): a 403 would name the approver groups.
  expect((await api.call('POST', `/v1/requests/${id}/decisions`, { token: alice, body: { decision: 'approve' } })).status).toBe(404);
  expect((await api.call('GET', `/v1/requests/${id}`, { token: alice })).status).toBe(404);

  const carol = await api.token('carol');
  const denied = await api.call('POST', `/v1/requests/${id}/decisions`, {
    token: carol,
    body: { decision: 'deny', reason: 'use staging' },
  });
  expect(denied.status).toBe(200);
  expect(denied.json).toMatchObject({ status: 'denied', reason: 'use staging' });
  const late = await api.call('POST', `/v1/requests/${id}/decisions`, { token: await api.token('bob'), body: { decision: 'approve' } });
  expect(late.status).toBe(409);
  expect(
    (await api.call('POST', '/v1/authorize', { token: bob, body: { action: 'prod:debug', resource: 'cluster/us-1' } })).json.allowed,
  ).toBe(false);
});

test('a request nobody decides times out; a late approval gets 409', async () => {
  const alice = await api.token('alice', { as: 'timeout' });
  const created = await api.call('POST', '/v1/requests', { token: alice, body: { action: 'e2e:short-window', resource: 'x' } });
  expect(created.status).toBe(201);
  const id = created.json.id;
  await api.waitForStatus(alice, id, 'timed_out', 15_000);
  const late = await api.call('POST', `/v1/requests/${id}/decisions`, { token: await api.token('bob'), body: { decision: 'approve' } });
  expect(late.status).toBe(409);
  expect(await api.auditTypes(id)).toContain('timed_out');
});

test('two approvers race: exactly one decision wins, the other gets 409, one activation', async () => {
  for (let round = 0; round < 3; round++) {
    const alice = await api.token('alice', { as: `race-${round}` });
    const id = (
      await api.call('POST', '/v1/requests', {
        token: alice,
        body: { action: 'prod:debug', resource: `race/${round}`, durationSeconds: 60 },
      })
    ).json.id;
    const [bob, carol] = await Promise.all([api.token('bob'), api.token('carol')]);
    const results = await Promise.all([
      api.call('POST', `/v1/requests/${id}/decisions`, { token: bob, body: { decision: 'approve' } }),
      api.call('POST', `/v1/requests/${id}/decisions`, { token: carol, body: { decision: 'approve' } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    await api.waitForStatus(alice, id, 'active');
    const types = await api.auditTypes(id);
    expect(types.filter((t) => t === 'approved')).toHaveLength(1);
    expect(types.filter((t) => t === 'activated')).toHaveLength(1);
  }
});

test('the same Idempotency-Key returns the same request; cancel ends a pending one', async () => {
  const alice = await api.token('alice', { as: 'idem' });
  const body = { action: 'prod:debug', resource: 'cluster/ap-1' };
  const a = await api.call('POST', '/v1/requests', { token: alice, body, headers: { 'idempotency-key': 'k-1' } });
  const b = await api.call('POST', '/v1/requests', { token: alice, body, headers: { 'idempotency-key': 'k-1' } });
  expect(a.status).toBe(201);
  expect(b.status).toBe(200);
  expect(b.json.id).toBe(a.json.id);
  const cancelled = await api.call('POST', `/v1/requests/${a.json.id}/cancel`, { token: alice });
  expect(cancelled.json.status).toBe('cancelled');
  expect((await api.call('POST', `/v1/requests/${a.json.id}/cancel`, { token: alice })).status).toBe(409);
});

test('bad input gets clear 4xx problem documents, never a 500', async () => {
  const alice = await api.token('alice');
  const noToken = await api.call('POST', '/v1/requests', { body: { action: 'prod:debug' } });
  expect(noToken.status).toBe(401);
  expect(noToken.headers.get('www-authenticate')).toContain('error="invalid_token"');
  const garbage = await api.call('POST', '/v1/authorize', { token: 'abc.def.ghi', body: { action: 'prod:debug' } });
  expect(garbage.status).toBe(401);
  const badJson = await api.call('POST', '/v1/requests', {
    token: alice,
    raw: '{"action":',
    headers: { 'content-type': 'application/json' },
  });
  expect(badJson.status).toBe(400);
  const unknownField = await api.call('POST', '/v1/requests', { token: alice, body: { action: 'prod:debug', admin: true } });
  expect(unknownField.status).toBe(400);
  expect(unknownField.json.errors).toBeDefined();
  const huge = await api.call('POST', '/v1/requests', { token: alice, body: { action: 'prod:debug', justification: 'x'.repeat(70_000) } });
  expect(huge.status).toBe(413);
  expect((await api.call('GET', '/v1/nothing-here', { token: alice })).status).toBe(404);
  expect((await api.call('DELETE', '/v1/requests', { token: alice })).status).toBe(405);
  expect((await api.call('GET', '/v1/requests/not-a-real-id', { token: alice })).status).toBe(404);
  expect((await api.call('POST', '/v1/requests/x/mfa', { token: alice, body: { code: 'abc' } })).status).toBe(400);
  expect((await fetch(`${local.url}/approve/forged.link`)).status).toBe(400);
  const health = await api.call('GET', '/health');
  expect(health.status).toBe(200);
  expect(await local.output()).not.toMatch(/failed: .*Error/);
});
