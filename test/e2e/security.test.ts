/**
 * Issue 10 "Security", replayed over HTTP against local mode started as `npm start`
 * does: the demo config plus a second, partner issuer whose tokens carry whatever
 * groups the test wants, and development-IdP tokens with crafted claims. Each test
 * is one finding's attack; each failed on the code before its fix.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, freePort, startLocalMode, tempDir, type Running } from '../support/local-mode';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer';

const ROOT = path.resolve(__dirname, '../..');

let local: Running;
let api: Client;
let partner: TestIssuer;

beforeAll(async () => {
  const dataDir = tempDir('jitgate-security-');
  partner = await startTestIssuer({ kidPrefix: 'partner' });
  const demo = require(path.join(ROOT, 'jitgate.config.json'));
  const config = {
    ...demo,
    issuers: { ...demo.issuers, partner: { issuer: partner.url, audience: ['jitgate-api'], tokenUse: 'access' } },
  };
  const configPath = path.join(dataDir, 'jitgate.security.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  local = await startLocalMode({ port: await freePort(), dataDir, configPath });
  api = new Client(local.url, dataDir);
}, 120_000);

afterAll(async () => {
  await local?.stop();
  await partner?.close();
});

const partnerToken = (sub: string, claims: Record<string, unknown>) => partner.sign({ sub, aud: 'jitgate-api', ...claims });

test('finding 1: a partner token naming "security-admins" or "auditors" is neither admin nor auditor', async () => {
  const alice = await api.token('alice');
  const created = await api.call('POST', '/v1/requests', { token: alice, body: { action: 'reports:read', resource: 'reports/q3', durationSeconds: 600 } });
  expect(created.json.status).toBe('active');
  const id: string = created.json.id;

  const fakeAdmin = partnerToken('mallory', { groups: ['security-admins'] });
  expect((await api.call('GET', `/v1/requests/${id}`, { token: fakeAdmin })).status).toBe(404);
  expect((await api.call('POST', `/v1/requests/${id}/revoke`, { token: fakeAdmin, body: { reason: 'gotcha' } })).status).toBe(404);
  expect((await api.call('GET', `/v1/requests/${id}`, { token: alice })).json.status).toBe('active');

  const fakeAuditor = partnerToken('mallory', { groups: ['auditors'] });
  const trail = await api.call('GET', '/v1/audit', { token: fakeAuditor });
  expect(trail.status).toBe(403);
  expect(trail.json.detail).toBe('only auditors can read the audit trail');

  // The development IdP's own admins and auditors still are.
  expect((await api.call('GET', '/v1/audit', { token: await api.token('audrey') })).status).toBe(200);
  const revoked = await api.call('POST', `/v1/requests/${id}/revoke`, { token: await api.token('bob'), body: { reason: 'test over' } });
  expect(revoked.json.status).toBe('revoked');
});

test('finding 3: a string-valued groups claim is one value, not split on spaces', async () => {
  const alice = await api.token('alice');
  const created = await api.call('POST', '/v1/requests', { token: alice, body: { action: 'prod:debug', resource: 'cluster/sec-3', durationSeconds: 600 } });
  expect(created.json.status).toBe('pending_approval');
  const friend = await api.token('erin', { extraClaims: { sub: 'mallory', groups: 'Friends of security-admins', roles: 'editor' } });
  const decided = await api.call('POST', `/v1/requests/${created.json.id}/decisions`, { token: friend, body: { decision: 'approve' } });
  expect(decided.status).toBe(403);
  expect((await api.call('GET', `/v1/requests/${created.json.id}`, { token: alice })).json.status).toBe('pending_approval');
});

test('finding 9: deny rules compare trimmed and caseless, and a list under "equals" fails closed', async () => {
  for (const [as, employment] of [['upper', 'Contractor'], ['space', ' contractor'], ['list', ['contractor', 'temp']]] as const) {
    const token = await api.token('dave', { extraClaims: { sub: `dave-${as}`, employment } });
    const res = await api.call('POST', '/v1/requests', { token, body: { action: 'projects:delete', resource: 'projects/9', justification: 'cleaning up old projects' } });
    expect({ as, status: res.status, detail: res.json.detail }).toEqual({ as, status: 403, detail: 'contractors may not delete projects' });
  }
});

test('finding 2: break-glass is refused to whoever breakGlass.who does not name, with a 403 naming it, audited', async () => {
  const body = { action: 'prod:debug', resource: 'cluster/sec-2', breakGlass: true, justification: 'checkout is down, INC-4711' };
  for (const user of ['erin', 'dave']) {
    const token = await api.token(user);
    const res = await api.call('POST', '/v1/requests', { token, body });
    expect(res.status).toBe(403);
    expect(res.json.rule).toBe('policies[2] prod:debug breakGlass.who');
    expect(res.json.detail).toContain('break-glass on "prod:debug" is only for callers where groups is one of "engineering", "security-admins" (from dev)');
    expect((await api.call('POST', '/v1/authorize', { token, body: { action: body.action, resource: body.resource } })).json.allowed).toBe(false);
    const trail = await api.call('GET', `/v1/audit?actor=${encodeURIComponent(`${local.url}/dev/idp#${user}`)}`, { token: await api.token('audrey') });
    expect(trail.json.events).toEqual([expect.objectContaining({ type: 'denied_by_policy', action: 'prod:debug', details: { rule: 'policies[2] prod:debug breakGlass.who', breakGlass: true } })]);
  }
  // A partner token naming an eligible group is not eligible: "who" trusts the development IdP for it.
  const partnerAdmin = partnerToken('mallory', { groups: ['security-admins'] });
  expect((await api.call('POST', '/v1/requests', { token: partnerAdmin, body })).status).toBe(403);
});
