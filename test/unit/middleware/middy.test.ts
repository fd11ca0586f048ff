/**
 * `jitgate/middy` around a real middy handler, called with API Gateway events as Lambda
 * would; jitgate's answers come from a stub `fetch` shaped like the API's (the end-to-end
 * run against local mode is test/e2e/express-app.test.ts). Also: Express and middy answer
 * the same for the same jitgate answer, since both adapters share middleware/core.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult, Context } from 'aws-lambda';
import express from 'express';
import { requireApproval as expressApproval } from 'jitgate/express';
import { requireApproval, type AuthorizeResult } from 'jitgate/middy';

const URL_ = 'https://jit.example.com/prod';
const PROBLEM = 'https://jitgate.dev/problems/';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
interface Call {
  url: string;
  method: string;
  authorization: string | null;
  body: any;
}

/** A stub jitgate: answers in order of the routes called, recording each call. */
function stubJitgate(answers: Record<string, Answer | (() => Answer)>) {
  const calls: Call[] = [];
  const fetchFn = (async (input: string | URL | globalThis.Request, init?: RequestInit) => {
    const url = String(input);
    const headers = new Headers(init?.headers);
    const sent = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ url, method: init?.method ?? 'GET', authorization: headers.get('authorization'), body: sent });
    const route = `${init?.method ?? 'GET'} ${new URL(url).pathname.replace('/prod', '')}`;
    const a = answers[route];
    if (!a) throw new Error(`stub jitgate has no answer for ${route}`);
    const { status, body, headers: h } = typeof a === 'function' ? a() : a;
    const type = status >= 400 ? 'application/problem+json' : 'application/json';
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': type, ...h } });
  }) as typeof fetch;
  return { calls, fetch: fetchFn };
}

function event(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    path: '/payments/42/approve',
    resource: '/payments/{id}/approve',
    pathParameters: { id: '42' },
    headers: { Authorization: 'Bearer alice.token.sig' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    ...overrides,
  };
}

const context = {} as Context;

/** The guarded handler: what the app does once jitgate allows, and what it saw. */
/** Without a stub, the global fetch: a real connection. */
function guarded(
  stub: ReturnType<typeof stubJitgate> | undefined,
  options: { autoRequest?: boolean; url?: string; timeoutMs?: number } = {},
) {
  const seen: (AuthorizeResult | undefined)[] = [];
  const handler = middy<APIGatewayProxyEvent & { jitgate?: AuthorizeResult }, APIGatewayProxyResult>()
    .use(
      requireApproval<APIGatewayProxyEvent>({
        url: options.url ?? URL_,
        action: 'payments:approve',
        resource: (e) => `payments/${e.pathParameters?.id}`,
        consume: true,
        ...(stub ? { fetch: stub.fetch } : {}),
        ...(options.autoRequest ? { autoRequest: { justification: (e: APIGatewayProxyEvent) => e.body ?? undefined } } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      }),
    )
    .handler(async (e) => {
      seen.push(e.jitgate);
      return { statusCode: 200, body: JSON.stringify({ approved: e.pathParameters?.id }) };
    });
  return { handler: (e: APIGatewayProxyEvent) => handler(e, context), seen };
}

const allowed = {
  allowed: true,
  reason: 'one-time grant consumed',
  rule: 'payments:approve',
  grant: { requestId: 'r-1', mode: 'once', expiresAt: '2026-11-26T10:05:00.000Z', consumed: true },
};
const pending = {
  allowed: false,
  reason: 'request r-7 is pending_approval; still needed: approval from finance-approvers x1',
  rule: 'payments:approve',
  missing: ['approval from finance-approvers x1'],
  pendingRequestId: 'r-7',
};
const noRequest = {
  allowed: false,
  reason: 'no active grant; request one with POST /v1/requests',
  rule: 'payments:approve',
  missing: ['request', 'justification', 'mfa totp', 'approval from security-admins x1', 'approval from finance-approvers x1'],
};
const stepUpChallenge =
  'Bearer error="insufficient_user_authentication", error_description="sign in again", acr_values="urn:mfa", max_age=300';
const stepUp: Answer = {
  status: 401,
  headers: { 'www-authenticate': stepUpChallenge },
  body: { type: `${PROBLEM}insufficient-user-authentication`, title: 'Step-up needed', status: 401, detail: 'sign in again' },
};

test('allowed: the handler runs with the result on the event; the caller token, action, resource and consume are sent', async () => {
  const stub = stubJitgate({ 'POST /v1/authorize': { status: 200, body: allowed } });
  const { handler, seen } = guarded(stub);
  const res = await handler(event({ headers: { authorization: 'Bearer alice.token.sig' } }));
  expect(res).toMatchObject({ statusCode: 200, body: JSON.stringify({ approved: '42' }) });
  expect(seen).toEqual([allowed]);
  expect(stub.calls).toEqual([
    {
      url: `${URL_}/v1/authorize`,
      method: 'POST',
      authorization: 'Bearer alice.token.sig',
      body: { action: 'payments:approve', resource: 'payments/42', consume: true },
    },
  ]);
});

test('pending: 403 problem document naming what is missing and the pending request; the handler does not run', async () => {
  const stub = stubJitgate({ 'POST /v1/authorize': { status: 200, body: pending } });
  const { handler, seen } = guarded(stub, { autoRequest: true });
  const res = await handler(event());
  expect(res.statusCode).toBe(403);
  expect(res.headers).toMatchObject({ 'content-type': 'application/problem+json', location: `${URL_}/v1/requests/r-7` });
  expect(JSON.parse(res.body)).toEqual({
    type: `${PROBLEM}approval-required`,
    title: 'This action needs an approved request',
    status: 403,
    detail: 'request r-7 is pending; still needed: approval from finance-approvers x1',
    action: 'payments:approve',
    missing: ['approval from finance-approvers x1'],
    requestId: 'r-7',
    rule: 'payments:approve',
  });
  expect(seen).toEqual([]);
  // A request is pending already: autoRequest does not ask for a second one.
  expect(stub.calls.map((c) => c.url)).toEqual([`${URL_}/v1/authorize`]);
});

test('no request yet: 403 lists everything; with autoRequest and a justification, 202 with the new request and Location', async () => {
  const waitingFor = { mfa: { method: 'totp', attemptsLeft: 5 } };
  const created = { id: 'r-9', status: 'pending_mfa', action: 'payments:approve', resource: 'payments/42', waitingFor };
  const stub = stubJitgate({
    'POST /v1/authorize': { status: 200, body: noRequest },
    'POST /v1/requests': { status: 201, body: created },
  });

  const plain = await guarded(stub).handler(event());
  expect(plain.statusCode).toBe(403);
  expect(JSON.parse(plain.body)).toMatchObject({ missing: noRequest.missing, detail: `still needed: ${noRequest.missing.join(', ')}` });
  expect(JSON.parse(plain.body).requestId).toBeUndefined();

  // The policy needs a justification and the event has none: nothing is created.
  const auto = guarded(stub, { autoRequest: true });
  expect((await auto.handler(event())).statusCode).toBe(403);
  expect(stub.calls.filter((c) => c.url.endsWith('/v1/requests'))).toEqual([]);

  const res = await auto.handler(event({ body: 'supplier invoice 881, checked' }));
  expect(res.statusCode).toBe(202);
  expect(res.headers).toMatchObject({ location: `${URL_}/v1/requests/r-9` });
  expect(JSON.parse(res.body)).toEqual({ requestId: 'r-9', status: 'pending_mfa', waitingFor, location: `${URL_}/v1/requests/r-9` });
  const create = stub.calls.find((c) => c.url.endsWith('/v1/requests'))!;
  expect(create).toMatchObject({ authorization: 'Bearer alice.token.sig' });
  expect(create.body).toEqual({ action: 'payments:approve', resource: 'payments/42', justification: 'supplier invoice 881, checked' });
  expect(auto.seen).toEqual([]);
});

test('step-up: 401 with the RFC 9470 WWW-Authenticate challenge passed through', async () => {
  const { handler, seen } = guarded(stubJitgate({ 'POST /v1/authorize': stepUp }));
  const res = await handler(event());
  expect(res.statusCode).toBe(401);
  expect(res.headers).toMatchObject({ 'www-authenticate': stepUpChallenge, 'content-type': 'application/problem+json' });
  expect(JSON.parse(res.body)).toMatchObject({ type: `${PROBLEM}insufficient-user-authentication`, status: 401 });
  expect(seen).toEqual([]);
});

test('denied by a policy: 403 policy-denied with the reason', async () => {
  const denied = { allowed: false, reason: 'contractors may not approve payments', rule: 'payments:approve' };
  const { handler, seen } = guarded(stubJitgate({ 'POST /v1/authorize': { status: 200, body: denied } }), { autoRequest: true });
  const res = await handler(event({ body: 'a justification' }));
  expect(res.statusCode).toBe(403);
  expect(JSON.parse(res.body)).toEqual({
    type: `${PROBLEM}policy-denied`,
    title: 'A policy denies this action',
    status: 403,
    detail: 'contractors may not approve payments',
    rule: 'payments:approve',
  });
  expect(seen).toEqual([]);
});

test('no token, or not a bearer token: 401 without asking jitgate; a token jitgate refuses: its 401 passed through', async () => {
  const stub = stubJitgate({
    'POST /v1/authorize': {
      status: 401,
      headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' },
      body: { type: `${PROBLEM}invalid-token`, title: 'Invalid token', status: 401, detail: 'expired' },
    },
  });
  const { handler } = guarded(stub);
  for (const headers of [{}, { Authorization: 'Basic YWxpY2U6cHc=' }, { authorization: 'Bearer' }]) {
    const res = await handler(event({ headers }));
    expect(res.statusCode).toBe(401);
    expect(res.headers).toMatchObject({ 'www-authenticate': 'Bearer' });
    expect(JSON.parse(res.body)).toMatchObject({ type: `${PROBLEM}invalid-token` });
  }
  expect(stub.calls).toEqual([]);
  const refused = await handler(event());
  expect(refused.statusCode).toBe(401);
  expect(refused.headers).toMatchObject({ 'www-authenticate': 'Bearer error="invalid_token", error_description="expired"' });
});

test('jitgate down, failing, slow or answering nonsense: 503 with Retry-After, never the handler', async () => {
  // Nothing listens on a port just closed.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const down = guarded(undefined, { url: `http://127.0.0.1:${port}` });

  const cases: [string, (e: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>, string][] = [
    ['unreachable', down.handler, '5'],
    ['500', guarded(stubJitgate({ 'POST /v1/authorize': { status: 500, body: { message: 'Internal server error' } } })).handler, '5'],
    ['502 from API Gateway', guarded(stubJitgate({ 'POST /v1/authorize': { status: 502 } })).handler, '5'],
    [
      '503 with Retry-After',
      guarded(
        stubJitgate({
          'POST /v1/authorize': {
            status: 503,
            headers: { 'retry-after': '30' },
            body: {
              type: `${PROBLEM}dependency-unavailable`,
              title: 'Unavailable',
              status: 503,
              detail: 'DynamoDB is unavailable',
              retryAfter: 30,
            },
          },
        }),
      ).handler,
      '30',
    ],
    ['200 that is not an authorize result', guarded(stubJitgate({ 'POST /v1/authorize': { status: 200, body: '<html>' } })).handler, '5'],
    ['slow', guarded(slowJitgate(), { timeoutMs: 50 }).handler, '5'],
  ];
  for (const [name, handler, retryAfter] of cases) {
    const res = await handler(event());
    expect({ name, status: res.statusCode, retryAfter: res.headers?.['retry-after'] }).toEqual({ name, status: 503, retryAfter });
    expect(JSON.parse(String(res.body))).toMatchObject({ type: `${PROBLEM}dependency-unavailable`, status: 503 });
    expect(String(res.body)).toContain('not allowed');
  }
});

/** A jitgate that never answers until the call is aborted. */
function slowJitgate() {
  return {
    calls: [],
    fetch: ((_: unknown, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason));
      })) as typeof fetch,
  } as unknown as ReturnType<typeof stubJitgate>;
}

test('a 4xx in jitgate words passes through; one from API Gateway (a wrong url) fails closed as 503', async () => {
  const conflict = { type: `${PROBLEM}conflict`, title: 'Conflict', status: 409, detail: 'the request changed meanwhile' };
  const created = guarded(
    stubJitgate({
      'POST /v1/authorize': { status: 200, body: noRequest },
      'POST /v1/requests': { status: 409, body: conflict },
    }),
    { autoRequest: true },
  );
  const res = await created.handler(event({ body: 'supplier invoice 881' }));
  expect(res.statusCode).toBe(409);
  expect(JSON.parse(res.body)).toEqual(conflict);

  const wrongStage = guarded(stubJitgate({ 'POST /v1/authorize': { status: 403, body: { message: 'Missing Authentication Token' } } }));
  const refused = await wrongStage.handler(event());
  expect(refused.statusCode).toBe(503);
  expect(JSON.parse(refused.body)).toMatchObject({ type: `${PROBLEM}dependency-unavailable`, detail: expect.stringContaining('403') });
  expect(created.seen.concat(wrongStage.seen)).toEqual([]);
});

test('v2 events (HTTP API, function URLs) carry lower-case headers: read the same', async () => {
  const stub = stubJitgate({ 'POST /v1/authorize': { status: 200, body: { ...allowed, grant: undefined } } });
  const handler = middy<APIGatewayProxyEventV2>()
    .use(requireApproval<APIGatewayProxyEventV2>({ url: URL_, action: 'reports:read', fetch: stub.fetch }))
    .handler(async () => ({ statusCode: 204 }));
  const res = await handler({ headers: { authorization: 'Bearer t' } } as unknown as APIGatewayProxyEventV2, context);
  expect(res).toEqual({ statusCode: 204 });
  expect(stub.calls[0]!.body).toEqual({ action: 'reports:read' });
});

test('no URL given and JITGATE_URL unset: requireApproval throws when the app starts', () => {
  const saved = process.env.JITGATE_URL;
  delete process.env.JITGATE_URL;
  try {
    expect(() => requireApproval({ action: 'payments:approve' })).toThrow(/JITGATE_URL/);
    process.env.JITGATE_URL = 'http://127.0.0.1:4000';
    expect(() => requireApproval({ action: 'payments:approve' })).not.toThrow();
  } finally {
    if (saved === undefined) delete process.env.JITGATE_URL;
    else process.env.JITGATE_URL = saved;
  }
});

describe('Express and middy answer the same', () => {
  let server: Server;
  let base: string;
  let answer: Answer;
  const stub = stubJitgate({ 'POST /v1/authorize': () => answer });

  beforeAll(async () => {
    const app = express();
    app.post(
      '/payments/:id/approve',
      expressApproval({
        url: URL_,
        action: 'payments:approve',
        resource: (req) => `payments/${req.params.id}`,
        consume: true,
        fetch: stub.fetch,
      }),
      (req, res) => void res.json({ approved: req.params.id }),
    );
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test.each([
    ['allowed', { status: 200, body: allowed }],
    ['pending', { status: 200, body: pending }],
    ['no request', { status: 200, body: noRequest }],
    ['step-up', stepUp],
    ['down', { status: 503, headers: { 'retry-after': '7' } }],
  ] as [string, Answer][])('%s', async (_name, a) => {
    answer = a;
    const fromMiddy = await guarded(stub).handler(event());
    const res = await fetch(`${base}/payments/42/approve`, { method: 'POST', headers: { authorization: 'Bearer alice.token.sig' } });
    const body = await res.text();
    expect(res.status).toBe(fromMiddy.statusCode);
    expect(JSON.parse(body)).toEqual(JSON.parse(fromMiddy.body));
    for (const [name, value] of Object.entries(fromMiddy.headers ?? {})) {
      expect([name, res.headers.get(name)]).toEqual([name, String(value)]);
    }
  });
});
