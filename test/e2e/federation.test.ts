/**
 * Two issuers at once, end to end over HTTP against local mode started as
 * `npm start` does: the development IdP, and a second issuer on another loopback
 * port with other claim names (groups in `realm_access.roles`, roles in
 * `https://example.com/roles`, employment in `ext.employment`), access tokens only,
 * its JWKS URI discovered once at start. Identity is issuer-qualified: the second
 * issuer's "alice" is not the development IdP's alice. And step-up (RFC 9470):
 * `prod:deploy` wants a fresh MFA sign-in at the IdP.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { main as cli } from '../../cli/cli';
import { tableCounter } from '../support/dynamodb-items';
import { Client, freePort, startLocalMode, tempDir, type Running } from '../support/local-mode';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

const ROOT = path.resolve(__dirname, '../..');

let local: Running;
let api: Client;
let partner: TestIssuer;
let configPath: string;
let dataDir: string;
let port: number;
let table: ReturnType<typeof tableCounter>;

beforeAll(async () => {
  dataDir = tempDir('jitgate-federation-');
  partner = await startTestIssuer({ kidPrefix: 'partner' });
  const demo = require(DEMO_CONFIG_FILE);
  const config = {
    ...demo,
    issuers: {
      ...demo.issuers,
      partner: {
        issuer: partner.url,
        audience: ['jitgate-api'],
        tokenUse: 'access',
        claims: { groups: 'realm_access.roles', roles: 'https://example.com/roles', attributes: { employment: 'ext.employment' } },
      },
    },
    // Auditors may come from either issuer here; by default a group is trusted from its own issuers only.
    auditorGroups: [{ group: 'auditors', trustedIssuers: ['dev', 'partner'] }],
    policies: [
      ...demo.policies,
      {
        action: 'e2e:claims',
        deny: [
          { when: { claim: 'employment', equals: 'contractor' }, reason: 'no contractors' },
          { when: { claim: 'roles', contains: 'guest' }, reason: 'no guests' },
        ],
        autoApprove: { claim: 'groups', contains: 'engineering' },
        approvals: { groups: { 'security-admins': 1 } },
        grant: { mode: 'window', maxDuration: '1h' },
      },
      {
        action: 'e2e:acr',
        approvals: { groups: { 'security-admins': 1 } },
        mfa: { stepUp: { acr: ['urn:jitgate:dev:mfa'], maxAge: '5m' } },
        grant: { mode: 'window', maxDuration: '10m' },
      },
    ],
  };
  configPath = path.join(dataDir, 'jitgate.federation.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  port = await freePort();
  local = await startLocalMode({ port, dataDir, configPath });
  api = new Client(local.url, dataDir);
  table = tableCounter(local.table);
}, 120_000);

afterAll(async () => {
  table?.close();
  await local?.stop();
  await partner?.close();
});

/** An access token of the second issuer, in its own claim shape. */
function partnerToken(
  sub: string,
  claims: { groups?: string[]; roles?: string[]; employment?: string; extra?: Record<string, unknown> } = {},
): string {
  return partner.sign({
    sub,
    aud: 'jitgate-api',
    client_id: 'partner-portal',
    scope: 'openid jitgate',
    realm_access: { roles: claims.groups ?? [] },
    'https://example.com/roles': claims.roles ?? [],
    ext: { employment: claims.employment ?? 'employee' },
    ...claims.extra,
  });
}

const devIssuer = () => `${local.url}/dev/idp`;

test('the second issuer was discovered once, at start, not per request', async () => {
  expect(partner.requests[0]).toBe('/.well-known/openid-configuration');
  const before = partner.requests.length;
  for (let i = 0; i < 3; i++) {
    expect((await api.call('GET', '/v1/policies', { token: partnerToken('pat', { groups: ['engineering'] }) })).status).toBe(200);
  }
  // At most one JWKS fetch (the first verification), then the cache; never discovery again.
  expect(partner.requests.filter((p) => p === '/.well-known/openid-configuration')).toHaveLength(1);
  expect(partner.requests.length - before).toBeLessThanOrEqual(1);
});

test(
  'a user of the second issuer asks for prod:debug, ' + 'bob of the development IdP approves; the same sub elsewhere is ' + 'someone else',
  async () => {
    const partnerAlice = partnerToken('alice', { groups: ['engineering'], roles: ['editor'] });
    const devAlice = await api.token('alice');

    const created = await api.call('POST', '/v1/requests', {
      token: partnerAlice,
      body: { action: 'prod:debug', resource: 'cluster/eu-9', durationSeconds: 600 },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      status: 'pending_approval',
      requester: { id: `${partner.url}#alice`, issuer: partner.url, sub: 'alice' },
    });
    const id: string = created.json.id;

    // Dev alice is another person: she cannot see it, and her own ask is a new request, not this one.
    expect((await api.call('GET', `/v1/requests/${id}`, { token: devAlice })).status).toBe(404);
    expect((await api.call('POST', `/v1/requests/${id}/cancel`, { token: devAlice })).status).toBe(404);

    // The second issuer's "bob" is not the approver bob.
    const partnerBob = partnerToken('bob', { groups: ['engineering'] });
    const notBob = await api.call('POST', `/v1/requests/${id}/decisions`, { token: partnerBob, body: { decision: 'approve' } });
    // Not an approver, so the request is invisible to them: 404 like a GET, naming no approver group.
    expect(notBob.status).toBe(404);
    expect(notBob.json.type).toContain('not-found');

    const bob = await api.token('bob');
    const approved = await api.call('POST', `/v1/requests/${id}/decisions`, {
      token: bob,
      body: { decision: 'approve', reason: 'partner incident 7' },
    });
    expect(approved.status).toBe(200);
    // The state machine activates right after the decision; on a busy machine the answer may come just before.
    await api.waitForStatus(partnerAlice, id, 'active');

    const check = { action: 'prod:debug', resource: 'cluster/eu-9' };
    expect((await api.call('POST', '/v1/authorize', { token: partnerAlice, body: check })).json).toMatchObject({
      allowed: true,
      grant: { requestId: id },
    });
    // Her grant does not authorize dev alice.
    expect((await api.call('POST', '/v1/authorize', { token: devAlice, body: check })).json.allowed).toBe(false);
    const devOwn = await api.call('POST', '/v1/requests', { token: devAlice, body: { ...check, durationSeconds: 600 } });
    expect(devOwn.status).toBe(201);
    expect(devOwn.json.id).not.toBe(id);
    expect(devOwn.json.requester.id).toBe(`${devIssuer()}#alice`);

    // The audit trail names both people by issuer.
    const trail = await api.call('GET', `/v1/audit?requestId=${id}`, { token: await api.token('audrey') });
    expect(trail.status).toBe(200);
    const actors = new Map(trail.json.events.map((e: { type: string; actor: string }) => [e.type, e.actor]));
    expect(actors.get('created')).toBe(`${partner.url}#alice`);
    expect(actors.get('approved')).toBe(`${devIssuer()}#bob`);
  },
);

test("the second issuer's claim names: nested groups, a namespaced roles claim, a nested attribute", async () => {
  const ask = (token: string) => api.call('POST', '/v1/requests', { token, body: { action: 'e2e:claims', durationSeconds: 60 } });
  // ext.employment = contractor: denied by the rule on employment.
  const contractor = await ask(partnerToken('dave', { groups: ['engineering'], employment: 'contractor' }));
  expect(contractor.status).toBe(403);
  expect(contractor.json.detail).toBe('no contractors');
  // https://example.com/roles contains guest: denied by the rule on roles.
  const guest = await ask(partnerToken('erin', { groups: ['engineering'], roles: ['guest'] }));
  expect(guest.status).toBe(403);
  expect(guest.json.detail).toBe('no guests');
  // realm_access.roles contains engineering: auto-approved; without it, an approval is needed.
  const rita = await ask(partnerToken('rita', { groups: ['engineering'], roles: ['editor'] }));
  expect(rita.json).toMatchObject({ autoApproved: true, waitingFor: { activation: true } });
  expect((await ask(partnerToken('sam', { groups: ['marketing'], roles: ['editor'] }))).json.status).toBe('pending_approval');

  // realm_access.roles = auditors -> an auditor (this config trusts the partner for auditors).
  expect((await api.call('GET', '/v1/audit', { token: partnerToken('ivy', { groups: ['auditors'] }) })).status).toBe(200);
  expect((await api.call('GET', '/v1/audit', { token: partnerToken('ivy', { groups: [] }) })).status).toBe(403);
});

describe('step-up (RFC 9470): prod:deploy wants amr mfa within 15 minutes', () => {
  const deploy = { action: 'prod:deploy', resource: 'service/api' };

  async function expectStepUp(token: string, acrValues?: string) {
    // Nothing changes but the audit trail, which records each step-up failure.
    const before = await table.count({ withoutAudit: true });
    const audited = await table.count();
    for (const [pathname, body] of [
      ['/v1/requests', deploy],
      ['/v1/authorize', deploy],
    ] as const) {
      const res = await api.call('POST', pathname, { token, body });
      expect(res.status).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer error="insufficient_user_authentication"/);
      expect(challenge).toContain(acrValues ? 'max_age=300' : 'max_age=900');
      if (acrValues) expect(challenge).toContain(`acr_values="${acrValues}"`);
      expect(res.json.type).toContain('insufficient-user-authentication');
    }
    expect(await table.count({ withoutAudit: true })).toBe(before);
    expect(await table.count()).toBeGreaterThanOrEqual(audited + 2);
  }

  test('a token without MFA, with MFA long ago, or with a password only gets the challenge', async () => {
    await expectStepUp(await api.token('alice', { as: 'deploy-weak' }));
    await expectStepUp(
      await api.token('alice', { as: 'deploy-weak', amr: ['pwd', 'mfa'], authTime: Math.floor(Date.now() / 1000) - 20 * 60 }),
    );
    await expectStepUp(await api.token('alice', { as: 'deploy-weak', amr: ['pwd'] }));
  });

  test('a fresh MFA token from `npx jitgate token alice --amr mfa` is accepted; the grant still needs a strong token', async () => {
    let out = '';
    const code = await cli(['token', 'alice', '--amr', 'mfa'], {
      cwd: ROOT,
      env: { JITGATE_DATA_DIR: dataDir, JITGATE_CONFIG: configPath, PORT: String(port) },
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => undefined },
    });
    expect(code).toBe(0);
    const strong = out.trim();

    const created = await api.call('POST', '/v1/requests', { token: strong, body: { ...deploy, durationSeconds: 600 } });
    expect(created.status).toBe(201);
    expect(created.json.status).toBe('pending_approval');
    const approved = await api.call('POST', `/v1/requests/${created.json.id}/decisions`, {
      token: await api.token('carol'),
      body: { decision: 'approve' },
    });
    expect(approved.json.waitingFor).toEqual({ activation: true });
    await api.waitForStatus(strong, created.json.id, 'active');

    expect((await api.call('POST', '/v1/authorize', { token: strong, body: deploy })).json).toMatchObject({ allowed: true });
    // Same person, active grant, but a token without the fresh MFA: the challenge again.
    const weak = await api.call('POST', '/v1/authorize', { token: await api.token('alice'), body: deploy });
    expect(weak.status).toBe(401);
    expect(weak.headers.get('www-authenticate')).toContain('error="insufficient_user_authentication"');
  });

  test('a policy naming acr values sends them in the challenge', async () => {
    const token = await api.token('alice', { as: 'acr', amr: ['mfa'] });
    const res = await api.call('POST', '/v1/requests', { token, body: { action: 'e2e:acr' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="sign in again at urn:jitgate:dev:mfa, ' +
        'within the last 300 s", acr_values="urn:jitgate:dev:mfa", max_age=300',
    );
    const strong = await api.token('alice', { as: 'acr', acr: 'urn:jitgate:dev:mfa' });
    expect((await api.call('POST', '/v1/requests', { token: strong, body: { action: 'e2e:acr', durationSeconds: 60 } })).status).toBe(201);
  });
});
