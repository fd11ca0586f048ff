/**
 * Issue 10 "Security", replayed over HTTP against local mode started as `npm start`
 * does: the demo config plus a second, partner issuer whose tokens carry whatever
 * groups the test wants, and development-IdP tokens with crafted claims. Each test
 * is one finding's attack; each failed on the code before its fix.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, freePort, startLocalMode, tempDir, type OutboxMessage, type Running } from '../support/local-mode';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

let local: Running;
let api: Client;
let partner: TestIssuer;

beforeAll(async () => {
  const dataDir = tempDir('jitgate-security-');
  partner = await startTestIssuer({ kidPrefix: 'partner' });
  const demo = require(DEMO_CONFIG_FILE);
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
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'reports:read', resource: 'reports/q3', durationSeconds: 600 },
  });
  const id: string = created.json.id;
  await api.waitForStatus(alice, id, 'active');

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
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'cluster/sec-3', durationSeconds: 600 },
  });
  expect(created.json.status).toBe('pending_approval');
  const friend = await api.token('erin', { extraClaims: { sub: 'mallory', groups: 'Friends of security-admins', roles: 'editor' } });
  const decided = await api.call('POST', `/v1/requests/${created.json.id}/decisions`, { token: friend, body: { decision: 'approve' } });
  // Not an approver, so the request is invisible to them: 404, as for a GET.
  expect(decided.status).toBe(404);
  expect((await api.call('GET', `/v1/requests/${created.json.id}`, { token: alice })).json.status).toBe('pending_approval');
});

test('finding 9: deny rules compare trimmed and caseless, and a list under "equals" fails closed', async () => {
  for (const [as, employment] of [
    ['upper', 'Contractor'],
    ['space', ' contractor'],
    ['list', ['contractor', 'temp']],
  ] as const) {
    const token = await api.token('dave', { extraClaims: { sub: `dave-${as}`, employment } });
    const res = await api.call('POST', '/v1/requests', {
      token,
      body: { action: 'projects:delete', resource: 'projects/9', justification: 'cleaning up old projects' },
    });
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
    expect(res.json.detail).toContain(
      'break-glass on "prod:debug" is only for callers where groups is one of "engineering", "security-admins" (from dev)',
    );
    expect((await api.call('POST', '/v1/authorize', { token, body: { action: body.action, resource: body.resource } })).json.allowed).toBe(
      false,
    );
    const trail = await api.call('GET', `/v1/audit?actor=${encodeURIComponent(`${local.url}/dev/idp#${user}`)}`, {
      token: await api.token('audrey'),
    });
    expect(trail.json.events).toEqual([
      expect.objectContaining({
        type: 'denied_by_policy',
        action: 'prod:debug',
        details: { rule: 'policies[2] prod:debug breakGlass.who', breakGlass: true },
      }),
    ]);
  }
  // A partner token naming an eligible group is not eligible: "who" trusts the development IdP for it.
  const partnerAdmin = partnerToken('mallory', { groups: ['security-admins'] });
  expect((await api.call('POST', '/v1/requests', { token: partnerAdmin, body })).status).toBe(403);
});

/** The review link mailed to `email` for request `id` (a personal link whose payload says purpose "review"). */
async function reviewLinkFor(email: string, id: string): Promise<string> {
  const isReview = (link: string) => {
    const payload = JSON.parse(Buffer.from(link.split('/approve/')[1]!.split('.')[0]!, 'base64url').toString()) as {
      r: string;
      p?: string;
    };
    return payload.r === id && payload.p === 'review';
  };
  const reviewLinks = (m: OutboxMessage) => m.links.filter((l) => l.includes('/approve/') && isReview(l));
  const [mail] = await api.messages((m) => reviewLinks(m).length > 0, { to: email, what: `a review link for ${email} and ${id}` });
  return reviewLinks(mail!)[0]!;
}

/** Submits the review form as a browser would: GET the page, take its CSRF token, POST. */
async function reviewByLink(
  link: string,
  outcome: string,
  reason?: string,
  headers: Record<string, string> = { origin: new URL(link).origin },
) {
  const page = await fetch(link);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const res = await fetch(link, {
    method: 'POST',
    body: new URLSearchParams({ outcome, csrf, ...(reason ? { reason } : {}) }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  return { status: res.status, html: await res.text() };
}

test(
  'finding 2: the notify group reviews a break-glass grant ' + 'afterwards: confirm or flag, once each, audited, a flag published',
  async () => {
    const alice = await api.token('alice');
    const glass = await api.call('POST', '/v1/requests', {
      token: alice,
      body: { action: 'prod:debug', resource: 'cluster/sec-r', breakGlass: true, justification: 'checkout is down, INC-4711' },
    });
    expect(glass.status).toBe(201);
    const id: string = glass.json.id;
    await api.waitForStatus(alice, id, 'active');
    const bobLink = await reviewLinkFor('bob@example.com', id);
    const carolLink = await reviewLinkFor('carol@example.com', id);
    // reviewLinkFor waits for each mail (or fails); each reviewer gets a personal link.
    expect(bobLink).not.toBe(carolLink);

    // Opening the page changes nothing, however often.
    for (let i = 0; i < 2; i++) {
      const page = await fetch(bobLink);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Break-glass: <code>prod:debug</code>');
    }
    expect((await api.call('GET', `/v1/requests/${id}`, { token: alice })).json.reviews ?? []).toEqual([]);

    // Guarded like a decision: another site's form, a missing CSRF token, a flag without reason.
    expect((await reviewByLink(bobLink, 'flagged', 'x', { origin: 'https://evil.example' })).status).toBe(403);
    // No Origin at all is refused like a foreign one; the right Origin without the CSRF token is a bad form.
    const noOrigin = await fetch(bobLink, {
      method: 'POST',
      body: 'outcome=confirmed',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(noOrigin.status).toBe(403);
    const noCsrf = await fetch(bobLink, {
      method: 'POST',
      body: 'outcome=confirmed',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(bobLink).origin },
    });
    expect(noCsrf.status).toBe(400);
    expect((await reviewByLink(bobLink, 'flagged')).status).toBe(400);
    // A review link is not an approval link: the decision form's field does nothing there.
    expect((await reviewByLink(bobLink, 'approve')).status).toBe(400);

    const confirmed = await reviewByLink(carolLink, 'confirmed');
    expect(confirmed.status).toBe(200);
    expect(confirmed.html).toContain('You confirmed');
    expect((await reviewByLink(carolLink, 'flagged', 'changed my mind')).status).toBe(409);
    const flagged = await reviewByLink(bobLink, 'flagged', 'no incident INC-4711 exists');
    expect(flagged.status).toBe(200);

    const after = (await api.call('GET', `/v1/requests/${id}`, { token: alice })).json;
    expect(after.status).toBe('active');
    expect(after.reviews).toEqual([
      expect.objectContaining({ outcome: 'confirmed', reviewer: expect.objectContaining({ sub: 'carol' }) }),
      expect.objectContaining({
        outcome: 'flagged',
        reason: 'no incident INC-4711 exists',
        reviewer: expect.objectContaining({ sub: 'bob' }),
      }),
    ]);
    const trail = await api.call('GET', `/v1/audit?requestId=${id}`, { token: await api.token('audrey') });
    const reviews = trail.json.events.filter((e: { type: string }) => e.type === 'break_glass_reviewed');
    expect(reviews.map((e: { details: { outcome: string } }) => e.details.outcome)).toEqual(['confirmed', 'flagged']);
    const events = await api.messages(
      (m) => m.topicArn.includes('EventsTopic') && m.message.includes('"break_glass.flagged"') && m.message.includes(id),
    );
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.message)).toMatchObject({
      type: 'break_glass.flagged',
      requestId: id,
      reason: 'no incident INC-4711 exists',
    });
  },
);

test('finding 2: nobody reviews their own break-glass, and an approval link is no review link', async () => {
  const bob = await api.token('bob');
  const glass = await api.call('POST', '/v1/requests', {
    token: bob,
    body: { action: 'prod:debug', resource: 'cluster/sec-own', breakGlass: true, justification: 'checkout is down, INC-4712' },
  });
  await api.waitForStatus(bob, glass.json.id, 'active');
  expect(await reviewLinkFor('carol@example.com', glass.json.id)).toContain('/approve/');
  const own = await api.messages((m) => m.message.includes(glass.json.id), { to: 'bob@example.com' });
  expect(own).toHaveLength(1);
  expect(own[0]!.message).toContain('You broke glass yourself');
  expect(own[0]!.links.filter((l) => l.includes('/approve/'))).toEqual([]);

  // An approval link with its payload edited to claim the review purpose: refused, nothing recorded.
  const ordinary = await api.call('POST', '/v1/requests', {
    token: await api.token('alice'),
    body: { action: 'prod:debug', resource: 'cluster/sec-ord', durationSeconds: 600 },
  });
  const approval = await api.linkFor('bob@example.com', ordinary.json.id);
  const [base, token] = approval.split('/approve/') as [string, string];
  const [payload, sig] = token.split('.') as [string, string];
  const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), p: 'review' })).toString(
    'base64url',
  );
  const refused = await fetch(`${base}/approve/${edited}.${sig}`);
  expect(refused.status).toBe(400);
  expect((await api.call('GET', `/v1/requests/${ordinary.json.id}`, { token: await api.token('alice') })).json.status).toBe(
    'pending_approval',
  );
});
