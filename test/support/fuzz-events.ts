/**
 * Generated API Gateway proxy events for one route of infra/api.ts: mostly near-valid (a valid body
 * or query with fields dropped, retyped or added, keyed on the route's zod schema in
 * shared/web/api-schemas.ts), some wholly random (JSON, text, bytes, wrong methods, forged ids and
 * links, junk headers). Used in process (test/generative/fuzz.test.ts) and over HTTP
 * (test/e2e/fuzz-http.test.ts).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import type { Route } from '../../infra/api';
import {
  auditQuery,
  auditVerifyQuery,
  authorizeBody,
  cancelBody,
  createRequestBody,
  decisionBody,
  enrolBody,
  extendBody,
  listQuery,
  mfaBody,
  revokeBody,
} from '../../shared/web/api-schemas';

/** Real things to aim at: stored request ids, valid approval links, tokens the verifier knows. */
export interface FuzzWorld {
  ids: string[];
  links: string[];
  tokens: string[];
}

type Shape = { shape: Record<string, unknown> };
/** Each route's input schema and a valid input or two, the starting points of the mutations. */
const INPUTS: Record<string, { schema: Shape; valid: Record<string, unknown>[] }> = {
  'POST /v1/authorize': {
    schema: authorizeBody,
    valid: [{ action: 'prod:debug' }, { action: 'reports:read', resource: '*', consume: true }],
  },
  'POST /v1/requests': {
    schema: createRequestBody,
    valid: [
      { action: 'prod:debug', durationSeconds: 60 },
      { action: 'projects:delete', resource: 'projects/1', justification: 'a long enough reason' },
    ],
  },
  'POST /v1/requests/{id}/mfa': { schema: mfaBody, valid: [{ code: '123456' }] },
  'POST /v1/requests/{id}/decisions': { schema: decisionBody, valid: [{ decision: 'approve', reason: 'ok' }, { decision: 'deny' }] },
  'POST /v1/requests/{id}/cancel': { schema: cancelBody, valid: [{}] },
  'POST /v1/requests/{id}/revoke': { schema: revokeBody, valid: [{ reason: 'done' }] },
  'POST /v1/requests/{id}/extend': { schema: extendBody, valid: [{ durationSeconds: 60, justification: 'more time please' }] },
  'POST /v1/mfa/totp': { schema: enrolBody, valid: [{}, { code: '123456' }] },
  'POST /v1/mfa/totp/verify': { schema: mfaBody, valid: [{ code: '123456' }] },
  'GET /v1/requests': { schema: listQuery as unknown as Shape, valid: [{ limit: '5' }, { role: 'approver', status: 'active' }] },
  'GET /v1/audit': { schema: auditQuery as unknown as Shape, valid: [{ limit: '10' }, { format: 'jsonl' }] },
  'GET /v1/audit/verify': { schema: auditVerifyQuery as unknown as Shape, valid: [{}, { since: '2026-01-01T00:00:00Z' }] },
  'GET /v1/audit/export': { schema: auditVerifyQuery as unknown as Shape, valid: [{}] },
};

const odd = fc.constantFrom(
  '',
  ' ',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '*',
  'projects/*',
  'prod:debug',
  '123456',
  '<script>alert(1)</script>',
  '9'.repeat(400),
  'x'.repeat(3000),
  '\ud800',
  '{"a":1}',
  '__proto__',
  'constructor',
  '-1',
  '1e309',
  'NaN',
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: odd },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
);

/** A valid input with up to three changes: a field dropped, a field's value replaced, an unknown field added. */
function mutated(input: { schema: Shape; valid: Record<string, unknown>[] }): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.keys(input.schema.shape);
  const change = fc.oneof(
    fc.record({ kind: fc.constant('drop' as const), field: fc.constantFrom(...fields, 'none') }),
    fc.record({ kind: fc.constant('set' as const), field: fields.length ? fc.constantFrom(...fields) : fc.constant('extra'), value }),
    fc.record({
      kind: fc.constant('set' as const),
      field: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'extra')),
      value,
    }),
  );
  return fc.tuple(fc.constantFrom(...input.valid), fc.array(change, { maxLength: 3 })).map(([valid, changes]) => {
    const out: Record<string, unknown> = { ...valid };
    for (const c of changes) {
      if (c.kind === 'drop') delete out[c.field];
      else Object.defineProperty(out, c.field, { value: c.value, enumerable: true, configurable: true, writable: true });
    }
    return out;
  });
}

function bodies(route: Route): fc.Arbitrary<{ body: string | null; isBase64Encoded: boolean }> {
  const text = (body: string | null) => ({ body, isBase64Encoded: false });
  const input = INPUTS[`${route.method} ${route.path}`];
  const random = [
    fc.jsonValue().map((v) => text(JSON.stringify(v) ?? null)),
    fc.string({ unit: 'binary', maxLength: 200 }).map(text),
    fc.uint8Array({ maxLength: 200 }).map((b) => ({ body: Buffer.from(b).toString('base64'), isBase64Encoded: true })),
    fc.constant(text(null)),
    fc.constant({ body: '!!not base64!!', isBase64Encoded: true }),
  ];
  if (route.target === 'approve') {
    const form = fc
      .record({
        decision: fc.oneof(fc.constantFrom('approve', 'deny'), fc.string()),
        csrf: fc.string(),
        reason: fc.string({ maxLength: 50 }),
      })
      .map((f) => text(new URLSearchParams(f).toString()));
    return fc.oneof({ weight: 4, arbitrary: form }, ...random);
  }
  if (!input || route.method === 'GET') return fc.oneof({ weight: 4, arbitrary: fc.constant(text(null)) }, ...random);
  const near = mutated(input).map((b) => text(JSON.stringify(b)));
  const truncated = fc
    .tuple(fc.constantFrom(...input.valid), fc.nat())
    .map(([b, n]) => text(JSON.stringify(b).slice(0, n % JSON.stringify(b).length)));
  return fc.oneof({ weight: 6, arbitrary: near }, { weight: 1, arbitrary: truncated }, ...random);
}

function queries(route: Route): fc.Arbitrary<Record<string, string> | null> {
  const input = INPUTS[`${route.method} ${route.path}`];
  const junk = fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 });
  if (!input || route.method !== 'GET') return fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, junk);
  const near = mutated(input).map((q) =>
    Object.fromEntries(Object.entries(q).map(([k, v]) => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')])),
  );
  return fc.oneof({ weight: 4, arbitrary: near }, junk, fc.constant(null));
}

function headers(route: Route, world: FuzzWorld): fc.Arbitrary<Record<string, string>> {
  const authorization = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...world.tokens) },
    fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
    fc.string({ maxLength: 30 }),
    fc.constant(undefined),
  );
  const contentType = fc.oneof(
    { weight: 4, arbitrary: fc.constant(route.target === 'approve' ? 'application/x-www-form-urlencoded' : 'application/json') },
    fc.constantFrom('text/plain', 'application/json; charset=utf-16', 'multipart/form-data', 'application/x-www-form-urlencoded'),
    fc.string({ maxLength: 20 }),
    fc.constant(undefined),
  );
  const extra = fc.dictionary(
    fc.constantFrom('idempotency-key', 'origin', 'cookie', 'x-forwarded-for', 'sec-purpose', 'accept', 'content-length'),
    fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('http://127.0.0.1:4000', 'https://evil.example', 'prefetch')),
    { maxKeys: 3 },
  );
  return fc.tuple(authorization, contentType, extra).map(([auth, type, more]) => ({
    host: '127.0.0.1:4000',
    ...(auth !== undefined ? { authorization: auth } : {}),
    ...(type !== undefined ? { 'content-type': type } : {}),
    ...more,
  }));
}

function pathParameters(route: Route, world: FuzzWorld): fc.Arbitrary<Record<string, string> | null> {
  const forged = (real: string[]) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...real) },
      fc
        .tuple(fc.constantFrom(...real), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }))
        .map(([s, i, c]) => s.slice(0, i % s.length) + c + s.slice((i % s.length) + 1)),
      fc.string({ maxLength: 80 }),
      odd,
    );
  if (route.path.includes('{id}')) return forged(world.ids).map((id) => ({ id }));
  if (route.path.includes('{link}')) return forged(world.links).map((link) => ({ link }));
  return fc.constant(null);
}

/** As a client would send it; a string no URL can carry (a lone surrogate) goes as it is, the handlers read pathParameters. */
function pathSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

/** One route's generated events: its own method nine times in ten. */
export function fuzzEvents(route: Route, world: FuzzWorld): fc.Arbitrary<APIGatewayProxyEvent> {
  const method = fc.oneof(
    { weight: 9, arbitrary: fc.constant(route.method) },
    fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'),
  );
  return fc
    .record({
      method,
      body: bodies(route),
      query: queries(route),
      headers: headers(route, world),
      params: pathParameters(route, world),
    })
    .map(({ method: httpMethod, body, query, headers: h, params }) => ({
      httpMethod,
      resource: route.path,
      path: route.path.replace(/\{(\w+)\}/g, (_m, name: string) => pathSegment(params?.[name] ?? '')),
      headers: h,
      multiValueHeaders: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, [v]])),
      queryStringParameters: query,
      multiValueQueryStringParameters: query && Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
      pathParameters: params,
      stageVariables: null,
      body: body.body,
      isBase64Encoded: body.isBase64Encoded,
      requestContext: { stage: 'prod', domainName: '127.0.0.1:4000' } as APIGatewayProxyEvent['requestContext'],
    }));
}
