/**
 * End to end, over HTTP against local mode started as `npm start` does: the policy
 * features of the demo config: break-glass, ticket references, who may request at
 * all, what `authorize` says is missing, and GET /v1/policies for two users.
 */
import { Client, decideByLink } from '../support/local-mode';
import { SHARED_START_TIMEOUT_MS, sharedLocalMode, type SharedLocalMode } from '../support/shared-local-mode';

let local: SharedLocalMode;
let api: Client;
let audrey: string;

beforeAll(async () => {
  local = await sharedLocalMode('e2e');
  api = new Client(local.url, local.dataDir);
  audrey = await api.token('audrey');
}, SHARED_START_TIMEOUT_MS);

const JUSTIFICATION = 'checkout is down for everyone, INC-4711';

test('break-glass: an emergency self-grant, active without approval, capped, announced to security-admins, audited', async () => {
  const alice = await api.token('alice', { as: 'glass' });
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/eu-9', breakGlass: true, justification: JUSTIFICATION },
  });
  expect(created.status).toBe(201);
  // The policy's default would be 30 minutes; break-glass caps it at 15.
  // Nothing to wait for but the state machine, which activates it moments after the answer.
  expect(created.json).toMatchObject({ status: 'pending_approval', waitingFor: { activation: true } });
  expect(created.json).toMatchObject({ breakGlass: true, autoApproved: true, durationSeconds: 900, approvals: [] });
  expect(created.json.justification).toBe(JUSTIFICATION);
  const id: string = created.json.id;
  await api.waitForStatus(alice, id, 'active');

  const check = await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'prod:debug', resource: 'cluster/eu-9' } });
  expect(check.json).toMatchObject({ allowed: true, grant: { requestId: id, mode: 'window' } });

  // Every member of the notify group is told, on the approver topic (their own subscription), with one
  // personal link: to review the grant afterwards (test/e2e/security.test.ts), not to approve it.
  for (const email of ['bob@example.com', 'carol@example.com']) {
    const [told] = await api.messages((m) => m.message.includes(id), { to: email });
    expect(told!.message).toContain('BREAK-GLASS');
    expect(told!.message).toContain(JUSTIFICATION);
    const links = told!.links.filter((l) => l.includes('/approve/'));
    expect(links).toHaveLength(1);
    expect(told!.message).toContain(`Review (personal, works once): ${links[0]}`);
  }
  // ... and a lifecycle event for other systems.
  expect(await api.messages((m) => m.message.includes('"grant.break_glass"') && m.message.includes(id))).toHaveLength(1);

  expect(await api.auditTypes(id)).toEqual(expect.arrayContaining(['created', 'break_glass', 'activated']));
  const trail = await api.call('GET', `/v1/audit?requestId=${id}`, { token: audrey });
  const glass = trail.json.events.find((e: { type: string }) => e.type === 'break_glass');
  expect(glass).toMatchObject({
    action: 'prod:debug',
    resource: 'cluster/eu-9',
    reason: JUSTIFICATION,
    details: { notify: 'security-admins', durationSeconds: 900 },
  });
});

test('break-glass ends by itself like any grant; its limits are 400/403 problems', async () => {
  const alice = await api.token('alice', { as: 'glass-short' });
  const tooLong = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/eu-8', breakGlass: true, justification: JUSTIFICATION, durationSeconds: 1200 },
  });
  expect(tooLong.status).toBe(400);
  expect(tooLong.json.detail).toContain('above the break-glass maximum of 900 s');
  const why = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/eu-8', breakGlass: true },
  });
  expect(why.status).toBe(400);
  expect(why.json.errors).toEqual([{ path: 'justification', message: 'required for break-glass' }]);
  const notAllowed = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'projects:delete', resource: 'projects/1', breakGlass: true, justification: JUSTIFICATION },
  });
  expect(notAllowed.status).toBe(403);
  expect(notAllowed.json.detail).toContain('does not allow break-glass');
  expect(notAllowed.json.rule).toMatch(/projects:delete/);

  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/eu-8', breakGlass: true, justification: JUSTIFICATION, durationSeconds: 2 },
  });
  expect(created.json).toMatchObject({ status: 'pending_approval', waitingFor: { activation: true } });
  await api.waitForStatus(alice, created.json.id, 'expired', 15_000);
  expect(
    (await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'prod:debug', resource: 'cluster/eu-8' } })).json.allowed,
  ).toBe(false);
});

test('break-glass waives approvals only: a policy that demands TOTP still asks for the code, then activates without approval', async () => {
  const alice = await api.token('alice', { as: 'glass-totp' });
  const code = await api.enrolTotp(alice);
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'e2e:glass-totp', resource: 'x', breakGlass: true, justification: JUSTIFICATION },
  });
  expect(created.status).toBe(201);
  // Capped at the break-glass maximum (2 minutes) rather than the policy's useWithin (10 minutes).
  expect(created.json).toMatchObject({
    status: 'pending_mfa',
    breakGlass: true,
    durationSeconds: 120,
    waitingFor: { mfa: { method: 'totp' } },
  });
  expect(created.json.waitingFor.approvals).toBeUndefined();
  const id = created.json.id;
  const answered = await api.call('POST', `/v1/requests/${id}/mfa`, { token: alice, body: { code: code() } });
  expect(answered.status).toBe(200);
  await api.waitForStatus(alice, id, 'active');
  expect(await api.auditTypes(id)).toEqual(expect.arrayContaining(['break_glass', 'mfa_passed', 'activated']));
  expect(await api.auditTypes(id)).not.toContain('approvers_notified');
});

test('break-glass replaces an ordinary request still waiting for approval', async () => {
  const alice = await api.token('alice', { as: 'glass-replace' });
  const waiting = await api.call('POST', '/v1/requests', { token: alice, body: { action: 'prod:debug', resource: 'cluster/eu-7' } });
  expect(waiting.json.status).toBe('pending_approval');
  const glass = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/eu-7', breakGlass: true, justification: JUSTIFICATION },
  });
  expect(glass.status).toBe(201);
  await api.waitForStatus(alice, glass.json.id, 'active');
  expect((await api.call('GET', `/v1/requests/${waiting.json.id}`, { token: alice })).json.status).toBe('cancelled');
});

test('a ticket reference matching the pattern: 400 naming it when missing or wrong; stored and shown to approvers', async () => {
  const alice = await api.token('alice', { as: 'ticket' });
  const body = { action: 'prod:restart', resource: 'cluster/eu-1', justification: 'rolling restart after the config change' };
  const missing = await api.call('POST', '/v1/requests', { token: alice, body });
  expect(missing.status).toBe(400);
  expect(missing.json.detail).toContain('needs a ticket reference matching ^(INC|CHG)-\\d+$');
  expect(missing.json.errors).toEqual([{ path: 'ticket', message: 'required matching ^(INC|CHG)-\\d+$' }]);
  const wrong = await api.call('POST', '/v1/requests', { token: alice, body: { ...body, ticket: 'JIRA-12' } });
  expect(wrong.status).toBe(400);
  expect(wrong.json.detail).toBe('ticket "JIRA-12" does not match ^(INC|CHG)-\\d+$');

  const code = await api.enrolTotp(alice);
  const created = await api.call('POST', '/v1/requests', { token: alice, body: { ...body, ticket: 'CHG-42' } });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ status: 'pending_mfa', ticket: 'CHG-42' });
  const id = created.json.id;
  expect((await api.call('POST', `/v1/requests/${id}/mfa`, { token: alice, body: { code: code() } })).status).toBe(200);
  await api.waitForStatus(alice, id, 'pending_approval');

  const link = await api.linkFor('bob@example.com', id);
  const mail = (await api.outbox('bob@example.com')).find((m) => m.links.includes(link))!;
  expect(mail.message).toContain('Ticket:        CHG-42');
  expect(await (await fetch(link)).text()).toContain('CHG-42');
  expect((await decideByLink(link, 'approve')).status).toBe(200);
  await api.waitForStatus(alice, id, 'active');
});

test('who may request at all: a caller the requesters condition leaves out gets 403 with the rule and the reason', async () => {
  const dave = await api.token('dave');
  const res = await api.call('POST', '/v1/requests', {
    token: dave,
    body: { action: 'prod:restart', justification: 'rolling restart after the config change', ticket: 'CHG-1' },
  });
  expect(res.status).toBe(403);
  expect(res.json.rule).toMatch(/^policies\[\d+\] prod:\*$/);
  expect(res.json.detail).toBe(
    '"prod:restart" may only be requested by callers where groups is one of "engineering", ' +
      '"security-admins" and not employment equals "contractor"',
  );
  // The exact prod:debug policy is more specific than prod:*, and has no such rule.
  expect((await api.call('POST', '/v1/requests', { token: dave, body: { action: 'prod:debug', resource: 'cluster/dave' } })).status).toBe(
    201,
  );
});

test('authorize names the rule and what is still missing', async () => {
  const alice = await api.token('alice', { as: 'missing' });
  const fresh = await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'projects:delete', resource: 'projects/9' } });
  expect(fresh.status).toBe(200);
  expect(fresh.json).toMatchObject({ allowed: false, rule: expect.stringMatching(/projects:delete on projects\/\*$/) });
  expect(fresh.json.missing).toEqual(['request', 'justification (at least 10 characters)', 'mfa totp', 'approval from security-admins x1']);

  const pending = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'payments:approve', resource: 'payments/9', justification: 'supplier run for March' },
  });
  expect(pending.json.status).toBe('pending_mfa');
  const waiting = await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'payments:approve', resource: 'payments/9' } });
  expect(waiting.json).toMatchObject({
    allowed: false,
    pendingRequestId: pending.json.id,
    missing: ['mfa totp', 'approval from security-admins x1', 'approval from finance-approvers x1'],
  });

  const auto = await api.call('POST', '/v1/authorize', { token: alice, body: { action: 'reports:read', resource: 'reports/q9' } });
  expect(auto.json).toMatchObject({ allowed: false, missing: ['request'] });

  const dave = await api.call('POST', '/v1/authorize', {
    token: await api.token('dave'),
    body: { action: 'projects:delete', resource: 'projects/9' },
  });
  expect(dave.json).toMatchObject({
    allowed: false,
    reason: 'contractors may not delete projects',
    rule: expect.stringMatching(/projects:delete/),
  });
  expect(dave.json.missing).toBeUndefined();
});

test('GET /v1/policies tells each caller what they may request and what it takes', async () => {
  type Row = {
    action: string;
    resource?: string;
    decision: string;
    mayRequest: boolean;
    deniedBecause?: string;
    deniedBy?: string;
    needs?: string[];
    breakGlass?: { allowed: boolean };
    requesters?: string;
  };
  const find = (rows: Row[], action: string, resource?: string) => rows.find((r) => r.action === action && r.resource === resource)!;

  const alice: Row[] = (await api.call('GET', '/v1/policies', { token: await api.token('alice') })).json.policies;
  expect(find(alice, 'reports:read')).toMatchObject({ decision: 'auto', mayRequest: true, needs: ['request'] });
  expect(find(alice, 'prod:*')).toMatchObject({
    decision: 'requestable',
    mayRequest: true,
    requesters: expect.stringContaining('groups is one of'),
  });
  expect(find(alice, 'prod:*').needs).toContain('ticket matching ^(INC|CHG)-\\d+$');
  expect(find(alice, 'prod:debug')).toMatchObject({
    mayRequest: true,
    breakGlass: { allowed: true, maxDurationSeconds: 900, notify: 'security-admins' },
  });
  expect(find(alice, 'projects:delete', 'projects/*')).toMatchObject({ decision: 'requestable', mayRequest: true });

  const dave: Row[] = (await api.call('GET', '/v1/policies', { token: await api.token('dave') })).json.policies;
  expect(find(dave, 'projects:delete', 'projects/*')).toMatchObject({
    decision: 'denied',
    mayRequest: false,
    deniedBecause: 'contractors may not delete projects',
    deniedBy: 'deny[0]',
  });
  expect(find(dave, 'prod:*')).toMatchObject({ decision: 'denied', mayRequest: false, deniedBy: 'requesters' });
  expect(find(dave, 'reports:read')).toMatchObject({
    decision: 'requestable',
    mayRequest: true,
    needs: ['request', 'approval from security-admins x1'],
  });
  expect(find(dave, 'data:export', 'datasets/public-*')).toMatchObject({ decision: 'auto' });
  // dave may ask for prod:debug, but breakGlass.who does not name him.
  expect(find(dave, 'prod:debug').breakGlass).toMatchObject({
    allowed: false,
    who: 'groups is one of "engineering", "security-admins" (from dev)',
  });
});
