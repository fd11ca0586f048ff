/**
 * Personal approval links, end to end over HTTP against local mode started as
 * `npm start` does: reading a link changes nothing (GET, HEAD, prefetch); forged,
 * tampered, expired, foreign, reused links and links to requests no longer pending get
 * a clear page with a 4xx status and change nothing; form posts need the page's CSRF
 * token and the same origin; `approverAuth: "sso"` needs a sign-in through the
 * development IdP as the link's approver, still in an approver group; and no link ever
 * reaches the console except in the outbox lines.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { csrfToken } from '../../shared/domain/links';
import { Client, freePort, startLocalMode, tempDir, type Running, warmDevIdp } from '../support/local-mode';
import { approverConfig, CookieClient, csrfOf, linkClaims, linkKey, makeLink, SSO_ACTION, titleOf } from '../support/approvers';

let local: Running;
let api: Client;
let audrey: string;
let key: Buffer;

beforeAll(async () => {
  const dataDir = tempDir('jitgate-links-');
  local = await startLocalMode({ port: await freePort(), dataDir, configPath: approverConfig(dataDir) });
  api = new Client(local.url, dataDir);
  await warmDevIdp(local);
  audrey = await api.token('audrey');
  key = linkKey(dataDir);
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

const base = () => `${local.url}/approve/`;

/** A pending prod:debug request by a fresh alice (`alice-<as>`), or by `requester` himself. */
async function pendingDebug(as: string, requester?: string) {
  const token = requester ? await api.token(requester) : await api.token('alice', { as });
  const created = await api.call('POST', '/v1/requests', {
    token,
    body: { action: 'prod:debug', resource: `cluster/${as}`, durationSeconds: 600 },
  });
  expect(created.status).toBe(201);
  expect(created.json.status).toBe('pending_approval');
  const id = created.json.id as string;
  // Pending from its creation, but the AwaitApproval step has yet to notify the approvers (and audit it):
  // a snapshot taken before that would see the step's own write as a change.
  await api.approversNotified(id);
  return { token, id };
}

/** What must not change: the request's status and approvals, and its audit trail. */
async function snapshot(token: string, id: string) {
  const request = await api.call('GET', `/v1/requests/${id}`, { token });
  const audit = await api.call('GET', `/v1/audit?requestId=${id}`, { token: audrey });
  expect(audit.status).toBe(200);
  return {
    status: request.json.status,
    approvals: request.json.approvals,
    audit: audit.json.events.map((e: { type: string; at: string }) => `${e.at} ${e.type}`),
  };
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

async function post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams(form),
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin, ...headers },
    redirect: 'manual',
  });
  return { status: res.status, headers: res.headers, html: await res.text() };
}

test('GET, HEAD and prefetches of a link change nothing; the page is strict about what it loads', async () => {
  const { token, id } = await pendingDebug('readonly');
  const link = await api.linkFor('bob@example.com', id);
  const before = await snapshot(token, id);

  const page = await get(link);
  expect(page.status).toBe(200);
  expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.headers.get('x-frame-options')).toBe('DENY');
  const csp = page.headers.get('content-security-policy')!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).not.toMatch(/script-src/);
  expect(titleOf(page.html)).toBe('Approve prod:debug?');
  expect(page.html).toContain(`cluster/readonly`);
  // No script and nothing from elsewhere: no <script>, <img>, <link>, no URL in an attribute.
  expect(page.html).not.toMatch(/<script|<img|<link|<iframe|src=|https?:\/\//i);

  // A mail scanner, a link previewer, a browser prefetching: read-only, whatever they say.
  expect((await get(link, { 'sec-purpose': 'prefetch' })).status).toBe(200);
  expect((await get(link, { purpose: 'prefetch' })).status).toBe(200);
  expect((await get(link, { 'user-agent': 'Mozilla/5.0 (compatible; SafeLinks)' })).status).toBe(200);
  const head = await fetch(link, { method: 'HEAD' });
  expect([200, 405]).toContain(head.status); // API Gateway answers HEAD on a GET/POST resource with its 405 mock
  // The sign-in route of a link-only policy just leads back to the page.
  const signin = await get(`${link}/signin`);
  expect(signin.status).toBe(303);
  expect(signin.headers.get('location')).toBe(link);

  expect(await snapshot(token, id)).toEqual(before);
  expect(before.status).toBe('pending_approval');
  expect(before.approvals).toEqual([]);
});

test('forged, tampered, expired, foreign and malformed links: a clear 4xx page, nothing changes', async () => {
  const { token, id } = await pendingDebug('refusals');
  const other = await pendingDebug('refusals-2');
  const link = await api.linkFor('bob@example.com', id);
  const claims = linkClaims(link);
  const now = Math.floor(Date.now() / 1000);
  const before = await snapshot(token, id);
  const beforeOther = await snapshot(other.token, other.id);

  // Bob himself asks: he is not notified for his own request (carol and alice are).
  const bobsOwn = await pendingDebug('refusals-own', 'bob');
  const bobsOwnBefore = await snapshot(bobsOwn.token, bobsOwn.id);

  const [payload, signature] = link.split('/approve/')[1]!.split('.') as [string, string];
  const carolSignature = (await api.linkFor('carol@example.com', id)).split('.').pop();
  const edited = Buffer.from(JSON.stringify({ ...claims, r: other.id })).toString('base64url');
  const cases: { name: string; link: string; status: number; title: string }[] = [
    {
      name: 'signed with another key',
      link: makeLink(base(), { r: id, a: claims.a, g: claims.g, e: claims.e }, randomBytes(32)),
      status: 400,
      title: 'This link is not valid',
    },
    { name: 'payload edited to another request', link: `${base()}${edited}.${signature}`, status: 400, title: 'This link is not valid' },
    { name: "signature of carol's link", link: `${base()}${payload}.${carolSignature}`, status: 400, title: 'This link is not valid' },
    {
      name: 'expired',
      link: makeLink(base(), { r: id, a: claims.a, g: claims.g, e: now - 5 }, key),
      status: 400,
      title: 'This link has expired',
    },
    {
      name: 'for someone not notified',
      link: makeLink(base(), { r: id, a: `${local.url}/dev/idp#mallory`, g: ['security-admins'], e: now + 600 }, key),
      status: 403,
      title: 'Not your link',
    },
    {
      name: "bob's valid link to his own request",
      link: makeLink(base(), { r: bobsOwn.id, a: claims.a, g: claims.g, e: now + 600 }, key),
      status: 403,
      title: 'Not your link',
    },
    {
      name: 'for a request that does not exist',
      link: makeLink(base(), { r: randomUUID(), a: claims.a, g: claims.g, e: now + 600 }, key),
      status: 400,
      title: 'This link is not valid',
    },
    { name: 'malformed', link: `${base()}not-a-link`, status: 400, title: 'This link is not valid' },
    { name: 'too long', link: `${base()}${'a'.repeat(3000)}.b`, status: 400, title: 'This link is not valid' },
  ];
  for (const c of cases) {
    const page = await get(c.link);
    expect([c.name, page.status, titleOf(page.html)]).toEqual([c.name, c.status, c.title]);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.html).not.toContain('name="csrf"');
    // A post with the CSRF token that link would carry is refused the same way.
    const token = c.link.split('/approve/')[1]!;
    const decided = await post(c.link, { decision: 'approve', csrf: csrfToken(token, key) });
    expect([c.name, decided.status]).toEqual([c.name, c.status]);
  }

  expect(await snapshot(token, id)).toEqual(before);
  expect(await snapshot(other.token, other.id)).toEqual(beforeOther);
  expect(await snapshot(bobsOwn.token, bobsOwn.id)).toEqual(bobsOwnBefore);
});

test('posts need the page CSRF token, the same origin and a decision', async () => {
  const { token, id } = await pendingDebug('csrf');
  const link = await api.linkFor('bob@example.com', id);
  const before = await snapshot(token, id);
  const csrf = csrfOf((await get(link)).html)!;
  expect(csrf).toBeDefined();

  expect((await post(link, { decision: 'approve' })).status).toBe(400);
  const stale = await post(link, { decision: 'approve', csrf: csrfToken('another.link', key) });
  expect([stale.status, titleOf(stale.html)]).toEqual([400, 'This form has expired']);
  expect((await post(link, { decision: 'approve', csrf }, { origin: 'https://evil.example' })).status).toBe(403);
  expect((await post(link, { decision: 'approve', csrf }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  expect((await post(link, { decision: 'maybe', csrf })).status).toBe(400);
  expect((await post(link, { csrf })).status).toBe(400);
  expect(await snapshot(token, id)).toEqual(before);

  // The real thing, with a reason; the answer says what happened.
  const done = await post(link, { decision: 'deny', reason: 'use staging first', csrf });
  expect([done.status, titleOf(done.html)]).toEqual([200, 'Denied']);
  const after = await api.waitForStatus(token, id, 'denied');
  expect(after.approvals).toEqual([expect.objectContaining({ decision: 'deny', reason: 'use staging first', via: 'link' })]);
});

test('a used link says "already decided", and so do links to requests no longer pending', async () => {
  const { token, id } = await pendingDebug('reuse');
  const bobLink = await api.linkFor('bob@example.com', id);
  const carolLink = await api.linkFor('carol@example.com', id);
  const csrf = csrfOf((await get(bobLink)).html)!;
  const first = await post(bobLink, { decision: 'approve', reason: 'incident 12', csrf });
  expect([first.status, titleOf(first.html)]).toEqual([200, 'Approved']);
  expect(first.html).toContain('You approved prod:debug for Alice');
  await api.waitForStatus(token, id, 'active');
  const before = await snapshot(token, id);

  const again = await get(bobLink);
  expect([again.status, titleOf(again.html)]).toEqual([409, 'Already decided']);
  expect(again.html).toContain('this link works once');
  expect((await post(bobLink, { decision: 'deny', csrf })).status).toBe(409);
  // Carol's link: the request is active now.
  const carol = await get(carolLink);
  expect([carol.status, titleOf(carol.html)]).toEqual([409, 'Already decided']);
  expect(carol.html).toContain('This request is active');
  expect((await post(carolLink, { decision: 'deny', csrf: csrfToken(carolLink.split('/approve/')[1]!, key) })).status).toBe(409);
  expect(await snapshot(token, id)).toEqual(before);
  expect(before.audit.filter((e: string) => e.endsWith(' approved'))).toHaveLength(1);

  // Cancelled by the requester: every link now says so.
  const cancelled = await pendingDebug('reuse-cancel');
  const link = await api.linkFor('bob@example.com', cancelled.id);
  const pageCsrf = csrfOf((await get(link)).html)!;
  expect((await api.call('POST', `/v1/requests/${cancelled.id}/cancel`, { token: cancelled.token })).json.status).toBe('cancelled');
  const beforeCancelled = await snapshot(cancelled.token, cancelled.id);
  const page = await get(link);
  expect([page.status, titleOf(page.html)]).toEqual([409, 'Already decided']);
  expect(page.html).toContain('This request is cancelled');
  expect((await post(link, { decision: 'approve', csrf: pageCsrf })).status).toBe(409);
  expect(await snapshot(cancelled.token, cancelled.id)).toEqual(beforeCancelled);
});

describe('approverAuth: "sso"', () => {
  async function pendingVault(as: string) {
    const token = await api.token('alice', { as });
    const created = await api.call('POST', '/v1/requests', {
      token,
      body: { action: SSO_ACTION, resource: `vault/${as}`, justification: 'rotate the root keys after incident 7', durationSeconds: 600 },
    });
    expect(created.status).toBe(201);
    expect(created.json.requirements.approverAuth).toBe('sso');
    return { token, id: created.json.id as string };
  }

  test('the link alone shows the request and "Sign in to decide", and cannot decide', async () => {
    const { token, id } = await pendingVault('sso-link-alone');
    const link = await api.linkFor('bob@example.com', id);
    const before = await snapshot(token, id);
    const page = await get(link);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Sign in to decide');
    expect(page.html).toContain('rotate the root keys after incident 7');
    expect(page.html).not.toContain('name="csrf"');
    // Even with the right CSRF token, a post without a sign-in is refused (and shows the sign-in again).
    const refused = await post(link, { decision: 'approve', csrf: csrfToken(link.split('/approve/')[1]!, key) });
    expect(refused.status).toBe(401);
    expect(refused.html).toContain('Sign in to decide');
    // Starting a sign-in sends nothing of the link to the IdP: a random state, PKCE S256.
    const start = await get(`${link}/signin`);
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${local.url}/dev/idp/auth`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'jitgate-approver',
      redirect_uri: `${local.url}/approve/callback`,
      code_challenge_method: 'S256',
      login_hint: 'bob',
    });
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(start.headers.get('location')).not.toContain(link.split('/approve/')[1]!.split('.')[0]!.slice(0, 24));
    const cookie = start.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^jitgate_signin=/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/approve');
    expect(await snapshot(token, id)).toEqual(before);
  });

  test('bob signs in through the development IdP and approves', async () => {
    const { token, id } = await pendingVault('sso-bob');
    const link = await api.linkFor('bob@example.com', id);
    const browser = new CookieClient();
    const signedIn = await browser.signIn(link, 'bob');
    expect(signedIn.hops.map((h) => h.status)).toEqual([302, 303, 200, 303, 303, 303, 200]);
    expect(signedIn.url).toBe(link);
    expect(signedIn.status).toBe(200);
    expect(signedIn.html).toContain('Signed in as Bob');
    expect(browser.jar.has('jitgate_signin')).toBe(false);
    expect(browser.jar.has('jitgate_approver')).toBe(true);
    const csrf = csrfOf(signedIn.html)!;
    expect((await snapshot(token, id)).status).toBe('pending_approval');

    // The session is for this link only: another request's link still asks to sign in.
    const second = await pendingVault('sso-bob-2');
    const secondLink = await api.linkFor('bob@example.com', second.id);
    expect((await browser.request(secondLink)).html).toContain('Sign in to decide');
    // Without the session cookie the same form post is refused.
    expect((await post(link, { decision: 'approve', csrf })).status).toBe(401);

    const done = await browser.request(link, { form: { decision: 'approve', reason: 'checked with the on-call', csrf } });
    expect([done.status, titleOf(done.html)]).toEqual([200, 'Approved']);
    expect(browser.jar.has('jitgate_approver')).toBe(false);
    const active = await api.waitForStatus(token, id, 'active');
    expect(active.approvals).toEqual([
      expect.objectContaining({
        decision: 'approve',
        reason: 'checked with the on-call',
        approver: expect.objectContaining({ sub: 'bob' }),
      }),
    ]);
    expect((await browser.request(link)).status).toBe(409);
  });

  test('signed in as someone else, or no longer in an approver group: 403, nothing changes', async () => {
    const { token, id } = await pendingVault('sso-wrong');
    const bobLink = await api.linkFor('bob@example.com', id);
    const aliceLink = await api.linkFor('alice@example.com', id);
    const before = await snapshot(token, id);

    const carol = new CookieClient();
    const asCarol = await carol.signIn(bobLink, 'carol');
    expect([asCarol.status, titleOf(asCarol.html)]).toEqual([403, 'Signed in as someone else']);
    expect(asCarol.html).toContain('carol@example.com');
    expect([carol.jar.has('jitgate_signin'), carol.jar.has('jitgate_approver')]).toEqual([false, false]);
    // Back on bob's link, carol's browser is still asked to sign in.
    expect((await carol.request(bobLink)).html).toContain('Sign in to decide');

    // alice is listed in security-admins, but her fresh ID token says she is not in it.
    const asAlice = await new CookieClient().signIn(aliceLink, 'alice');
    expect([asAlice.status, titleOf(asAlice.html)]).toEqual([403, 'Not an approver any more']);

    const cancelled = await new CookieClient().signIn(bobLink, 'cancel');
    expect([cancelled.status, titleOf(cancelled.html)]).toEqual([401, 'Not signed in']);

    // A callback with no sign-in cookie, or another state, goes nowhere.
    expect(titleOf((await get(`${local.url}/approve/callback?code=abc&state=xyz`)).html)).toBe('Sign-in expired');
    const browser = new CookieClient();
    const start = await browser.request(`${bobLink}/signin`);
    expect(start.status).toBe(200); // the IdP's picker
    const wrongState = await browser.request(`${local.url}/approve/callback?code=abc&state=not-the-state`);
    expect([wrongState.status, titleOf(wrongState.html)]).toEqual([400, 'Sign-in did not match']);

    expect(await snapshot(token, id)).toEqual(before);
  });
});

test('after all of the above, no link reached the console except in the outbox lines that print them on purpose', async () => {
  const { id } = await pendingDebug('logs');
  const link = await api.linkFor('bob@example.com', id);
  const token = link.split('/approve/')[1]!;
  await get(link);
  await post(link, { decision: 'approve' });
  const lines = local.output().split('\n');
  expect(lines.filter((l) => l.includes('✉')).length).toBeGreaterThan(0);
  const leaking = lines.filter((l) => !l.includes('✉') && /\/approve\/ey[A-Za-z0-9_-]{20,}/.test(l));
  expect(leaking).toEqual([]);
  expect(lines.filter((l) => l.includes(token.slice(0, 40)) && !l.includes('✉'))).toEqual([]);
});
