/**
 * The console's handler in process, on the in-memory ports: the session cookie (sealed,
 * sliding, capped), CSRF and same-origin on posts, the live fragments and their versions,
 * the pages' authorization, and log lines that never carry the session cookie.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Principal } from '../../../shared/domain/identity';
import type { Deps } from '../../../shared/runtime';
import {
  CONSOLE_SESSION_COOKIE,
  csrfFor,
  newConsoleSession,
  safeNext,
  sessionCookie,
  type ConsoleSession,
} from '../../../shared/web/console/session';
import { cookieScope } from '../../../shared/web/sso';
import { demo } from '../../support/principals';
import { LINK_BASE, world } from '../usecases/scenario';

const w = world();
const deps: Deps = w.deps;
jest.mock('../../../shared/runtime', () => ({ runtime: () => deps }));

// Imported after the mock: the handler takes its Deps from it.
import { handler } from '../../../functions/console/index';
import { createRequest } from '../../../shared/usecases/requests';

const KEY = Buffer.alloc(32, 7);
const SCOPE = cookieScope('http://127.0.0.1:4000/');

function event(
  method: string,
  resource: string,
  opts: { cookie?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
) {
  const params = /\{id\}/.test(resource) ? { id: 'x' } : null;
  return {
    httpMethod: method,
    resource,
    path: resource,
    headers: {
      host: '127.0.0.1:4000',
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' } : {}),
      ...opts.headers,
    },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: params,
    stageVariables: null,
    body: opts.form ? new URLSearchParams(opts.form).toString() : null,
    isBase64Encoded: false,
    requestContext: { stage: 'prod', domainName: '127.0.0.1:4000' } as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
}

const withId = (e: APIGatewayProxyEvent, params: Record<string, string>) => ({ ...e, pathParameters: params });

function signedIn(p: Principal): { cookie: string; session: ConsoleSession } {
  const session = newConsoleSession(p, deps.now());
  const line = sessionCookie(session, KEY, SCOPE, deps.now());
  return { cookie: line.split(';')[0]!, session };
}

/** What the handler logged in this test (Powertools writes JSON lines to stdout). */
let logged: string[] = [];
beforeEach(() => {
  logged = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
});
afterEach(() => jest.restoreAllMocks());

const call = (e: APIGatewayProxyEvent) => handler(e) as Promise<APIGatewayProxyResult>;
const cookiesOf = (res: APIGatewayProxyResult) => (res.multiValueHeaders?.['Set-Cookie'] ?? []) as string[];

async function pending(who = demo('alice'), resource = 'cluster/unit') {
  const created = await createRequest(deps, who, { action: 'prod:debug', resource }, { linkBase: LINK_BASE });
  return created.request.id;
}

test('a page needs the sealed session: none, a forged one, or one idle for 31 minutes gets the sign-in page', async () => {
  expect((await call(event('GET', '/'))).statusCode).toBe(200);
  expect((await call(event('GET', '/console/inbox'))).statusCode).toBe(401);
  const { cookie } = signedIn(demo('alice'));
  const page = await call(event('GET', '/', { cookie }));
  expect(page.statusCode).toBe(200);
  expect(page.body).toContain('My requests');
  // Each page load slides the session: a fresh cookie, HttpOnly, on the root path.
  expect(cookiesOf(page)[0]).toMatch(/^jitgate_console=[^;]+; Path=\/; Max-Age=1800; HttpOnly; SameSite=Lax$/);
  const [payload, mac] = cookie.split('=')[1]!.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), p: demo('audrey') };
  const forged = `${CONSOLE_SESSION_COOKIE}=${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`;
  expect((await call(event('GET', '/console/audit', { cookie: forged }))).statusCode).toBe(401);
  w.clock.advance(31 * 60);
  expect((await call(event('GET', '/console/inbox', { cookie }))).statusCode).toBe(401);
});

test('a session slides, but never past 12 hours after sign-in', async () => {
  let { cookie } = signedIn(demo('carol'));
  // A page load every 29 minutes keeps it going for 11 h 36 min ...
  for (let load = 0; load < 24; load++) {
    w.clock.advance(29 * 60);
    const res = await call(event('GET', '/console/inbox', { cookie }));
    expect([load, res.statusCode]).toEqual([load, 200]);
    cookie = cookiesOf(res)[0]!.split(';')[0]!;
  }
  // ... and not past the twelfth hour.
  w.clock.advance(29 * 60);
  expect((await call(event('GET', '/console/inbox', { cookie }))).statusCode).toBe(401);
});

test('posts need the session CSRF token and the same origin; then bob approves from the inbox', async () => {
  const id = await pending();
  const bob = signedIn(demo('bob'));
  const alice = signedIn(demo('alice'));
  const approve = (cookie: string, csrf: string, headers: Record<string, string> = {}) =>
    call(
      withId(event('POST', '/console/requests/{id}/{verb}', { cookie, form: { csrf, reason: 'fine' }, headers }), { id, verb: 'approve' }),
    );
  // Alice's token with bob's cookie, a post from another site, or with no origin at all: refused, nothing decided.
  expect((await approve(bob.cookie, csrfFor(alice.session, KEY))).statusCode).toBe(403);
  expect((await approve(bob.cookie, csrfFor(bob.session, KEY), { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
  expect((await w.store.getRequest(id))!.request.approvals).toEqual([]);
  const done = await approve(bob.cookie, csrfFor(bob.session, KEY));
  expect(done.statusCode).toBe(303);
  expect(done.headers!.location).toBe('/console/inbox?done=approved');
  expect((await w.store.getRequest(id))!.request.approvals).toMatchObject([{ decision: 'approve', reason: 'fine', via: 'sso' }]);
});

test('the live fragment: the region alone with its version, the same until something changes', async () => {
  const id = await pending(demo('alice'), 'cluster/fragment');
  const { cookie } = signedIn(demo('alice'));
  const fragment = () => call(withId(event('GET', '/console/requests/{id}', { cookie, headers: { 'x-jitgate-fragment': '1' } }), { id }));
  const first = await fragment();
  expect(first.body).not.toContain('<html');
  expect(first.body).toContain('Waiting for 1 approval from security-admins');
  expect(cookiesOf(first)).toEqual([]);
  expect((await fragment()).headers!['x-jitgate-version']).toBe(first.headers!['x-jitgate-version']);
  const bob = signedIn(demo('bob'));
  const decide = withId(
    event('POST', '/console/requests/{id}/{verb}', { cookie: bob.cookie, form: { csrf: csrfFor(bob.session, KEY), reason: 'no' } }),
    { id, verb: 'deny' },
  );
  expect((await call(decide)).statusCode).toBe(303);
  const after = await fragment();
  expect(after.headers!['x-jitgate-version']).not.toBe(first.headers!['x-jitgate-version']);
  expect(after.body).toContain('Denied by Bob');
});

test('the audit page is for auditors; its export is JSON lines; nothing in the logs carries the session', async () => {
  const id = await pending(demo('alice'), 'cluster/audit-unit');
  const alice = signedIn(demo('alice'));
  expect((await call(event('GET', '/console/audit', { cookie: alice.cookie }))).statusCode).toBe(403);
  const audrey = signedIn(demo('audrey'));
  const res = await call({
    ...event('GET', '/console/audit', { cookie: audrey.cookie }),
    queryStringParameters: { requestId: id, format: 'jsonl' },
  });
  expect(res.headers!['content-type']).toBe('application/x-ndjson');
  expect(
    res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type),
  ).toContain('created');
  expect(logged.join('')).toContain('"message":"handled"');
  expect(logged.join('')).not.toContain(audrey.cookie.split('=')[1]!.split('.')[1]!);
});

test('where sign-in may send someone back: console pages only', () => {
  expect(safeNext('console/inbox')).toBe('console/inbox');
  expect(safeNext('console/requests/abc-1')).toBe('console/requests/abc-1');
  for (const bad of ['//evil.example', 'https://evil.example/', 'console/../x', '/console/inbox', 'console/inbox?x=1', undefined])
    expect(safeNext(bad)).toBe('');
});
