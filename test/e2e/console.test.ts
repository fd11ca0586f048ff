/**
 * End to end, over HTTP against local mode: the web console. Sign-in through the development
 * IdP (consoleSignIn in the demo config), the session cookie, CSRF and same-origin refusals,
 * and each page's authorization (the same use cases as the API, with the signed-in person).
 * The console knows people by the demo users' plain names, so each test uses its own
 * request ids and never counts what other files, sharing this local mode, may add.
 */
import { Client, warmDevIdp } from '../support/local-mode';
import { SHARED_START_TIMEOUT_MS, sharedLocalMode, type SharedLocalMode } from '../support/shared-local-mode';
import { consoleSignIn, inboxPageWith, mainText, offeredActions, policyChoice, requestIdOf } from '../support/console';
import { titleOf } from '../support/approvers';

let local: SharedLocalMode;
let api: Client;

beforeAll(async () => {
  local = await sharedLocalMode('e2e');
  api = new Client(local.url, local.dataDir);
  await warmDevIdp(local);
}, SHARED_START_TIMEOUT_MS);

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${local.url}${path}`, { headers, redirect: 'manual' });

test('not signed in: the root is the sign-in page, other pages 401 with a sign-in link back to them, fragments 401', async () => {
  const root = await get('/');
  expect(root.status).toBe(200);
  expect(root.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(root.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-/);
  expect(root.headers.get('x-frame-options')).toBe('DENY');
  expect(await root.text()).toContain('href="/console/signin"');

  const inbox = await get('/console/inbox');
  expect(inbox.status).toBe(401);
  expect(await inbox.text()).toContain('href="/console/signin?next=console%2Finbox"');
  expect((await get('/console/audit', { 'x-jitgate-fragment': '1' })).status).toBe(401);
  // A forged session cookie is no session.
  expect((await get('/console/inbox', { cookie: 'jitgate_console=eyJwIjp7fX0.AAAA' })).status).toBe(401);
});

test('sign-in: code + PKCE through the picker, a sealed HttpOnly SameSite cookie on /, back to the page asked for', async () => {
  const bob = await consoleSignIn(local.url, 'bob', 'console/inbox');
  const hops = bob.landed.hops.map((h) => new URL(h.url).pathname);
  expect(hops[0]).toBe('/console/signin');
  expect(hops).toContain('/console/callback');
  const authorize = new URL(bob.landed.hops[1]!.url);
  expect(authorize.searchParams.get('client_id')).toBe('jitgate-console');
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  expect(new URL(bob.landed.url).pathname).toBe('/console/inbox');
  expect(titleOf(bob.landed.html)).toBe('Inbox');
  expect(bob.client.jar.has('jitgate_console')).toBe(true);
  expect(bob.client.jar.has('jitgate_console_signin')).toBe(false);

  const raw = await fetch(`${local.url}/console/signin`, { redirect: 'manual' });
  expect(raw.headers.getSetCookie()[0]).toMatch(/^jitgate_console_signin=[^;]+; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
  // Back from the IdP: a code it refuses, a state this browser did not start, or no sign-in cookie: 4xx pages, no session.
  const state = new URL(raw.headers.get('location')!).searchParams.get('state')!;
  const signin = { cookie: raw.headers.getSetCookie()[0]!.split(';')[0]! };
  const refused = await get(`/console/callback?state=${state}&code=not-a-code`, signin);
  expect(refused.status).toBe(401);
  const refusedText = await refused.text();
  expect(refusedText).toContain('the sign-in service refused the sign-in (invalid_grant).');
  expect(refusedText).not.toContain('email');
  expect(refused.headers.getSetCookie().join()).not.toContain('jitgate_console=');
  expect((await get(`/console/callback?state=someone-else&code=not-a-code`, signin)).status).toBe(400);
  expect((await get(`/console/callback?state=${state}&code=not-a-code`)).status).toBe(400);
  // A "next" that leaves the console is dropped: sign-in comes back to the root.
  const offsite = await fetch(`${local.url}/console/signin?next=${encodeURIComponent('//evil.example/x')}`, { redirect: 'manual' });
  expect(offsite.status).toBe(302);

  // Signing out clears the cookie; the root is the sign-in page again.
  const out = await bob.post('/console/signout', {});
  expect(out.status).toBe(200);
  expect(bob.client.jar.has('jitgate_console')).toBe(false);
  expect(mainText(out.html)).toContain('You are signed out.');
});

test('ask from the form, approve from the inbox, watch the timeline: alice and bob', async () => {
  const alice = await consoleSignIn(local.url, 'alice');
  const choice = policyChoice(alice.landed.html, 'prod:debug');
  expect(choice).toBeDefined();
  const asked = await alice.post('/console/requests', {
    policy: choice!,
    resource: 'cluster/console-e2e',
    justification: 'checking the console end to end',
    minutes: '20',
  });
  expect(asked.status).toBe(200);
  const id = requestIdOf(asked.url);
  expect(mainText(asked.html)).toContain('Request sent.');
  expect(mainText(asked.html)).toContain('Waiting for 1 approval from security-admins');
  const token = await api.token('alice');
  expect((await api.call('GET', `/v1/requests/${id}`, { token })).json).toMatchObject({
    status: 'pending_approval',
    action: 'prod:debug',
    resource: 'cluster/console-e2e',
    durationSeconds: 1200,
  });

  // Erin is no approver: the request is not in her inbox, its page is 404, and her decision too.
  const erin = await consoleSignIn(local.url, 'erin');
  expect((await erin.get('/console/inbox')).html).not.toContain(id);
  expect((await erin.get(`/console/requests/${id}`)).status).toBe(404);
  expect((await erin.post(`/console/requests/${id}/approve`, {})).status).toBe(404);

  const bob = await consoleSignIn(local.url, 'bob', 'console/inbox');
  expect(await inboxPageWith(bob, id)).toContain(`id="approve-${id}"`);
  const approved = await bob.post(`/console/requests/${id}/approve`, { reason: 'go ahead' });
  expect(approved.status).toBe(200);
  expect(new URL(approved.url).pathname).toBe('/console/inbox');
  expect(mainText(approved.html)).toContain('You approved it');
  await api.waitForStatus(token, id, 'active');

  const page = mainText((await alice.get(`/console/requests/${id}`)).html);
  expect(page).toContain('Approved by Bob for security-admins');
  expect(page).toContain('go ahead');
  expect(page).toMatch(/Active until \d{4}-/);
  // The live region alone, with its version, for the page's script.
  const fragment = await fetch(`${local.url}/console/requests/${id}`, {
    headers: { cookie: `jitgate_console=${alice.client.jar.get('jitgate_console')}`, 'x-jitgate-fragment': '1' },
  });
  expect(fragment.status).toBe(200);
  expect(fragment.headers.get('x-jitgate-version')).toMatch(/^[A-Za-z0-9+/]{16}$/);
  expect(await fragment.text()).not.toContain('<main');

  const revoked = await alice.post(`/console/requests/${id}/revoke`, { reason: 'done debugging' });
  expect(mainText(revoked.html)).toContain('Grant revoked.');
  expect((await api.call('GET', `/v1/requests/${id}`, { token })).json).toMatchObject({ status: 'revoked', reason: 'done debugging' });
});

test('CSRF: a wrong token, another origin, or no origin at all is refused and changes nothing', async () => {
  const carol = await consoleSignIn(local.url, 'carol');
  const choice = policyChoice(carol.landed.html, 'prod:debug')!;
  const before = (await api.call('GET', '/v1/requests', { token: await api.token('carol') })).json.requests.length;
  const wrong = await carol.client.request(`${local.url}/console/requests`, { form: { csrf: 'x'.repeat(43), policy: choice } });
  expect(wrong.status).toBe(403);
  expect(titleOf(wrong.html)).toBe('This form has expired');

  const cookie = `jitgate_console=${carol.client.jar.get('jitgate_console')}`;
  const body = new URLSearchParams({ csrf: carol.csrf, policy: choice }).toString();
  const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
  const foreign = await fetch(`${local.url}/console/requests`, {
    method: 'POST',
    body,
    headers: { ...form, origin: 'https://evil.example' },
    redirect: 'manual',
  });
  expect(foreign.status).toBe(403);
  const crossSite = await fetch(`${local.url}/console/requests`, {
    method: 'POST',
    body,
    headers: { ...form, 'sec-fetch-site': 'cross-site' },
    redirect: 'manual',
  });
  expect(crossSite.status).toBe(403);
  const anonymous = await fetch(`${local.url}/console/requests`, { method: 'POST', body, headers: form, redirect: 'manual' });
  expect(anonymous.status).toBe(403);
  expect((await api.call('GET', '/v1/requests', { token: await api.token('carol') })).json.requests.length).toBe(before);
});

test('bad input is a 4xx page that says what to fix', async () => {
  const carol = await consoleSignIn(local.url, 'carol');
  const noPolicy = await carol.post('/console/requests', { policy: '999' });
  expect(noPolicy.status).toBe(400);
  expect(mainText(noPolicy.html)).toContain('Choose one of the actions listed in the form.');
  const pattern = await carol.post('/console/requests', { policy: policyChoice(carol.landed.html, 'prod:*')! });
  expect(pattern.status).toBe(400);
  expect(mainText(pattern.html)).toContain('type the exact one under "Exact action"');
  const minutes = await carol.post('/console/requests', { policy: policyChoice(carol.landed.html, 'prod:debug')!, minutes: 'ten' });
  expect(minutes.status).toBe(400);
  expect((await carol.get('/?cursor=not-a-cursor')).status).toBe(400);
  expect((await carol.get('/console/requests/no-such-request')).status).toBe(404);
  expect((await carol.post('/console/requests/no-such-request/frobnicate', {})).status).toBe(404);
  const since = await carol.get('/console/audit?since=yesterday');
  // Carol is no auditor: the page refuses before reading the filters.
  expect(since.status).toBe(403);
});

test('MFA in the console: a wrong code is refused with attempts left, the right one moves it on (dave)', async () => {
  const code = await api.enrolTotp(await api.token('dave'));
  const dave = await consoleSignIn(local.url, 'dave');
  const asked = await dave.post('/console/requests', {
    policy: policyChoice(dave.landed.html, 'payments:approve')!,
    justification: 'quarterly supplier run',
  });
  const id = requestIdOf(asked.url);
  expect(asked.html).toContain(`id="code-${id}"`);
  const wrong = await dave.post(`/console/requests/${id}/mfa`, { code: code.wrong() });
  expect(wrong.status).toBe(400);
  expect(titleOf(wrong.html)).toBe('The code is not valid');
  const right = await dave.post(`/console/requests/${id}/mfa`, { code: code() });
  expect(right.status).toBe(200);
  expect(mainText(right.html)).toContain('MFA passed');
  const cancelled = await dave.post(`/console/requests/${id}/cancel`, {});
  expect(mainText(cancelled.html)).toContain('Cancelled by the requester');
});

test('pages by privilege: the audit page for auditors only, its export and verification; erin offered only what she may ask', async () => {
  const erin = await consoleSignIn(local.url, 'erin');
  const allowed = (await api.call('GET', '/v1/policies', { token: await api.token('erin') })).json.policies
    .filter((p: { mayRequest: boolean }) => p.mayRequest)
    .map((p: { action: string }) => p.action);
  expect(offeredActions(erin.landed.html)).toEqual(allowed);
  expect(offeredActions(erin.landed.html)).not.toContain('reports:read');
  expect(erin.landed.html).not.toContain('href="/console/audit"');
  expect((await erin.get('/console/audit')).status).toBe(403);
  const policies = mainText((await erin.get('/console/policies')).html);
  expect(policies).toContain('Denied to you guests may not read reports');

  const alice = await consoleSignIn(local.url, 'alice');
  const asked = await alice.post('/console/requests', {
    policy: policyChoice(alice.landed.html, 'prod:debug')!,
    resource: 'cluster/console-audit',
  });
  const id = requestIdOf(asked.url);
  await alice.post(`/console/requests/${id}/cancel`, {});

  const audrey = await consoleSignIn(local.url, 'audrey', 'console/audit');
  expect(audrey.landed.html).toContain('href="/console/audit"');
  const trail = mainText((await audrey.get(`/console/audit?requestId=${id}`)).html);
  expect(trail).toContain('created');
  expect(trail).toContain('cancelled');
  const exported = await fetch(`${local.url}/console/audit?requestId=${id}&format=jsonl`, {
    headers: { cookie: `jitgate_console=${audrey.client.jar.get('jitgate_console')}` },
  });
  expect(exported.headers.get('content-type')).toBe('application/x-ndjson');
  const lines = (await exported.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines.map((e) => e.type)).toEqual(await api.auditTypes(id));
  const byAction = mainText((await audrey.get(`/console/audit?requestId=${id}&action=reports:*`)).html);
  expect(byAction).toContain('No events match these filters.');
  const verify = mainText((await audrey.get('/console/audit?verify=1')).html);
  const report = (await api.call('GET', '/v1/audit/verify', { token: await api.token('audrey') })).json;
  expect(verify).toContain(report.ok ? 'The trail is intact' : 'The trail is broken');
  expect((await audrey.get('/console/audit?since=yesterday')).status).toBe(400);
});
