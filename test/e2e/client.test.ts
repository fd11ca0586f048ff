/**
 * `jitgate/client` against local mode started as `npm start` does: every method, every
 * error class, paging, waiting for activation. Every response the client receives is also
 * checked against what GET /openapi.json declares for its route and status (success and
 * error), and a few routes the client does not call are checked the same way at the end.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import {
  ConflictError,
  ForbiddenError,
  JitgateClient,
  type JitgateError,
  NotFoundError,
  PolicyDeniedError,
  RateLimitedError,
  StepUpRequiredError,
  UnauthorizedError,
  UnexpectedStatusError,
  ValidationError,
  WaitTimeoutError,
  type Request,
} from 'jitgate/client';
import { currentCode } from '../../shared/domain/totp';
import { OpenApiContract } from '../support/openapi-contract';
import { waitFor } from '../support/wait';
import { Client, freePort, startLocalMode, tempDir, type Running } from '../support/local-mode';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

const CREATES_PER_DAY = 5;

let local: Running;
let api: Client;
let contract: OpenApiContract;

/** The demo config, with a tight create rate (to meet 429 quickly) and a step-up policy naming an acr. */
function clientConfig(dir: string): string {
  const demo = require(DEMO_CONFIG_FILE) as { limits: object; policies: unknown[] };
  const config = {
    ...demo,
    // Per day: the windows are fixed, and one ending mid-test would reset the count.
    limits: { ...demo.limits, creates: { count: CREATES_PER_DAY, per: '1d' } },
    policies: [
      ...demo.policies,
      {
        action: 'e2e:acr',
        approvals: { groups: { 'security-admins': 1 } },
        mfa: { stepUp: { acr: ['urn:jitgate:dev:mfa'], maxAge: '5m' } },
        grant: { mode: 'window', maxDuration: '10m' },
      },
    ],
  };
  const file = path.join(dir, 'jitgate.client.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** A client for a demo user (`as`: a distinct principal with the same claims), its token minted per call as an app would. */
function clientFor(user: string, as?: string): JitgateClient {
  return new JitgateClient({ baseUrl: local.url, token: () => api.token(user, as ? { as } : {}), fetch: contract.fetch() });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  const dataDir = tempDir('jitgate-client-');
  // A generous start: on a busy shared machine local mode has taken over 90 s to come up.
  local = await startLocalMode({ port: await freePort(), dataDir, configPath: clientConfig(dataDir), timeoutMs: 240_000 });
  api = new Client(local.url, dataDir);
  const doc = (await (await fetch(`${local.url}/openapi.json`)).json()) as any;
  contract = new OpenApiContract(doc);
}, 300_000);

afterAll(async () => {
  await local?.stop();
});

test('GET /openapi.json as served is valid OpenAPI 3.1 and names this server', async () => {
  const doc = (await (await fetch(`${local.url}/openapi.json`)).json()) as any;
  await SwaggerParser.validate(structuredClone(doc));
  expect(doc.servers).toEqual([{ url: local.url, description: 'this deployment' }]);
});

test('alice asks for prod:debug, bob approves, waitFor resolves once it is active; authorize, extend, then revoke', async () => {
  const alice = clientFor('alice', 'client-life');
  const bob = clientFor('bob');
  const created = await alice.createRequest({
    action: 'prod:debug',
    resource: 'db-1',
    justification: 'incident 7 needs a look',
    durationSeconds: 600,
  });
  expect(created.status).toBe('pending_approval');
  expect(await alice.getRequest(created.id)).toMatchObject({ id: created.id, status: 'pending_approval' });

  const inbox: Request[] = [];
  for await (const page of bob.listRequests({ role: 'approver' })) inbox.push(...page.requests);
  expect(inbox.map((r) => r.id)).toContain(created.id);

  const before = await alice.authorize({ action: 'prod:debug', resource: 'db-1' });
  expect(before).toMatchObject({ allowed: false, pendingRequestId: created.id });

  const decided = await bob.decide(created.id, 'approve', 'looks fine');
  // Activation follows the decision through the state machine: the answer may not show it yet.
  expect(['pending_approval', 'active']).toContain(decided.status);
  const active = await alice.waitFor(created.id, 'active', { timeoutMs: 30_000 });
  expect(active.status).toBe('active');
  if (active.status === 'active') expect(Date.parse(active.expiresAt)).toBeGreaterThan(Date.now());

  const allowed = await alice.authorize({ action: 'prod:debug', resource: 'db-1' });
  expect(allowed).toMatchObject({ allowed: true, grant: { requestId: created.id, mode: 'window' } });

  // More time: past the policy's 30 minutes from activation is refused; 5 more minutes, approved by bob, move the end.
  const tooLong = await rejection(alice.extend(created.id, { durationSeconds: 1800 }));
  expect(tooLong).toBeInstanceOf(ValidationError);
  expect((tooLong as ValidationError).message).toMatch(/at most 1800 s from activation .*1200 s left/);
  const extension = await alice.extend(created.id, { durationSeconds: 300, justification: 'incident 7 is not over' });
  expect(extension).toMatchObject({ extends: created.id, status: 'pending_approval', durationSeconds: 300 });
  await bob.decide(extension.id, 'approve');
  const applied = await alice.waitFor(extension.id, 'applied', { timeoutMs: 30_000 });
  // Activate applies the extension: the end fixed on it, then the grant's moved, moments apart.
  const grant = await waitFor(
    () => alice.getRequest(created.id),
    (r) => r.status === 'active' && active.status === 'active' && r.expiresAt !== active.expiresAt,
  );
  if (active.status === 'active' && applied.status === 'applied') {
    const later = new Date(Date.parse(active.expiresAt) + 300_000).toISOString();
    expect(applied.expiresAt).toBe(later);
    expect(grant).toMatchObject({ status: 'active', expiresAt: later });
  }

  const revoked = await alice.revoke(created.id, 'done');
  expect(revoked).toMatchObject({ status: 'revoked', reason: 'done' });
  expect((await alice.authorize({ action: 'prod:debug', resource: 'db-1' })).allowed).toBe(false);
});

test('MFA: enrol, a wrong code is a ValidationError with attemptsLeft, the right one passes; cancel, and again conflicts', async () => {
  const alice = clientFor('alice', 'client-mfa');
  const { secret, otpauthUri } = await alice.enrolTotp();
  expect(otpauthUri).toMatch(/^otpauth:\/\/totp\//);
  let step = 0;
  const code = () => currentCode(secret, new Date(Date.now() + 30_000 * step++));
  expect(await alice.confirmTotp(code())).toEqual({ confirmed: true });

  const justification = 'customer asked for deletion';
  const created = await alice.createRequest({ action: 'projects:delete', resource: 'projects/42', justification });
  expect(created).toMatchObject({ status: 'pending_mfa', waitingFor: { mfa: { method: 'totp' } } });
  const valid = new Set([-1, 0, 1, 2, 3, 4].map((k) => currentCode(secret, new Date(Date.now() + 30_000 * k))));
  const wrongCode = ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c))!;
  const wrong = await rejection(alice.answerMfa(created.id, wrongCode));
  expect(wrong).toBeInstanceOf(ValidationError);
  expect(wrong).toMatchObject({ status: 400, code: 'mfa-failed', attemptsLeft: 4 });

  await alice.answerMfa(created.id, code());
  await alice.waitFor(created.id, ['pending_approval'], { timeoutMs: 30_000 });
  expect(await alice.cancel(created.id)).toMatchObject({ status: 'cancelled' });

  const again = await rejection(alice.cancel(created.id));
  expect(again).toBeInstanceOf(ConflictError);
  expect(again).toMatchObject({ status: 409, code: 'already-decided', currentStatus: 'cancelled' });
  // Waiting for a status a cancelled request can never reach ends at once.
  expect(await rejection(alice.waitFor(created.id, 'active'))).toBeInstanceOf(UnexpectedStatusError);
});

test('listRequests follows the cursor across pages', async () => {
  const carl = clientFor('alice', 'client-pages');
  const ids: string[] = [];
  for (const resource of ['db-1', 'db-2', 'db-3']) ids.push((await carl.createRequest({ action: 'prod:debug', resource })).id);
  const pages: string[][] = [];
  for await (const page of carl.listRequests({ limit: 2 })) pages.push(page.requests.map((r) => r.id));
  expect(pages.length).toBeGreaterThanOrEqual(2);
  expect(pages[0]).toHaveLength(2);
  expect(pages.flat().sort()).toEqual([...ids].sort());
  const pending: string[] = [];
  for await (const page of carl.listRequests({ status: 'pending_approval', limit: 1 })) pending.push(...page.requests.map((r) => r.id));
  expect(pending.sort()).toEqual([...ids].sort());
});

test('waitFor stops when its signal aborts, and gives up with WaitTimeoutError after timeoutMs', async () => {
  const alice = clientFor('alice', 'client-wait');
  const { id } = await alice.createRequest({ action: 'prod:debug', resource: 'db-wait' });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('the user went away')), 300);
  const started = Date.now();
  await expect(alice.waitFor(id, 'active', { signal: controller.signal, timeoutMs: 30_000 })).rejects.toThrow('the user went away');
  expect(Date.now() - started).toBeLessThan(5_000);

  const timedOut = await rejection(alice.waitFor(id, 'active', { timeoutMs: 400, intervalMs: 100 }));
  expect(timedOut).toBeInstanceOf(WaitTimeoutError);
  expect((timedOut as WaitTimeoutError).request?.status).toBe('pending_approval');
});

test('policies, and the audit trail paged for an auditor', async () => {
  const alice = clientFor('alice', 'client-audit');
  const list = await alice.policies();
  expect(list.unknownActions).toBe('denied');
  expect(list.policies.find((p) => p.action === 'projects:delete')).toMatchObject({ decision: 'requestable', mayRequest: true });
  expect(list.policies.find((p) => p.action === 'reports:read')).toMatchObject({ decision: 'auto' });

  const { id } = await alice.createRequest({ action: 'prod:debug', resource: 'db-audit' });
  await alice.cancel(id);
  const audrey = clientFor('audrey');
  const pages: string[][] = [];
  for await (const page of audrey.audit({ requestId: id, limit: 1 })) pages.push(page.events.map((e) => e.type));
  expect(pages.length).toBeGreaterThanOrEqual(2);
  expect(pages.flat()).toEqual(expect.arrayContaining(['created', 'cancelled']));
  expect((await audrey.verifyAudit()).ok).toBe(true);
});

test('typed errors: policy denied, step-up, not found, validation, unauthorized, forbidden', async () => {
  const denied = await rejection(clientFor('erin').createRequest({ action: 'reports:read' }));
  expect(denied).toBeInstanceOf(PolicyDeniedError);
  expect(denied).toBeInstanceOf(ForbiddenError);
  expect(denied).toMatchObject({ status: 403, code: 'policy-denied' });
  expect((denied as JitgateError).problem.detail).toContain('guests');

  const stepUp = await rejection(clientFor('alice', 'client-acr').createRequest({ action: 'e2e:acr' }));
  expect(stepUp).toBeInstanceOf(StepUpRequiredError);
  expect(stepUp).toBeInstanceOf(UnauthorizedError);
  expect(stepUp).toMatchObject({ status: 401, code: 'insufficient-user-authentication', acrValues: ['urn:jitgate:dev:mfa'], maxAge: 300 });
  const amrOnly = await rejection(clientFor('alice', 'client-acr').authorize({ action: 'prod:deploy' }));
  expect(amrOnly).toMatchObject({ acrValues: [], maxAge: 900 });

  const missing = await rejection(clientFor('alice').getRequest('no-such-request'));
  expect(missing).toBeInstanceOf(NotFoundError);
  expect(missing).toMatchObject({ status: 404, code: 'not-found' });

  const invalid = await rejection(clientFor('alice').createRequest({ action: 'not an action!' }));
  expect(invalid).toBeInstanceOf(ValidationError);
  expect((invalid as ValidationError).errors[0]).toMatchObject({ path: 'action' });

  const unknown = new JitgateClient({ baseUrl: local.url, token: 'not-a-jwt', fetch: contract.fetch() });
  const unauthorized = await rejection(unknown.policies());
  expect(unauthorized).toBeInstanceOf(UnauthorizedError);
  expect(unauthorized).not.toBeInstanceOf(StepUpRequiredError);
  expect(unauthorized).toMatchObject({ status: 401, code: 'invalid-token' });

  const alice = clientFor('alice', 'client-self');
  const { id } = await alice.createRequest({ action: 'prod:debug', resource: 'db-self' });
  const self = await rejection(alice.decide(id, 'approve'));
  expect(self).toBeInstanceOf(ForbiddenError);
  expect(self).not.toBeInstanceOf(PolicyDeniedError);
  expect(self).toMatchObject({ code: 'self-approval' });
  // Revoking is for active grants: a pending request conflicts.
  expect(await rejection(alice.revoke(id))).toBeInstanceOf(ConflictError);
  // A cursor the API did not give is refused, not followed.
  const forged = await rejection(
    (async () => {
      for await (const page of alice.listRequests({ cursor: 'bm90LWEtY3Vyc29y' })) void page;
    })(),
  );
  expect(forged).toBeInstanceOf(ValidationError);
  expect((forged as ValidationError).errors[0]).toMatchObject({ path: 'cursor' });
});

test('rate limit: one create too many is a RateLimitedError with retryAfter', async () => {
  const alice = clientFor('alice', 'client-rate');
  for (let i = 0; i < CREATES_PER_DAY; i++) await alice.createRequest({ action: 'prod:debug', resource: `rate-${i}` });
  const limited = await rejection(alice.createRequest({ action: 'prod:debug', resource: 'rate-over' }));
  expect(limited).toBeInstanceOf(RateLimitedError);
  expect(limited).toMatchObject({ status: 429, code: 'rate-limited' });
  expect((limited as RateLimitedError).retryAfter).toBeGreaterThan(0);
});

test('routes the client does not call answer as the document declares too', async () => {
  const audrey = await api.token('audrey');
  const check = async (method: string, route: string, init: RequestInit = {}) => {
    const res = await contract.fetch()(`${local.url}${route}`, { method, ...init });
    return res.status;
  };
  expect(await check('GET', '/health')).toBe(200);
  expect(await check('GET', '/v1/audit/verify?since=not-a-date', { headers: { authorization: `Bearer ${audrey}` } })).toBe(400);
  expect(await check('GET', '/v1/audit/export', { headers: { authorization: `Bearer ${audrey}` } })).toBe(200);
  expect(await check('GET', '/v1/audit/export?since=yesterday', { headers: { authorization: `Bearer ${audrey}` } })).toBe(400);
  expect(await check('GET', '/v1/audit?format=jsonl&limit=1', { headers: { authorization: `Bearer ${audrey}` } })).toBe(200);
  const alice = await api.token('alice');
  const big = JSON.stringify({ action: 'prod:debug', justification: 'x'.repeat(70 * 1024) });
  const headers = { authorization: `Bearer ${alice}`, 'content-type': 'application/json' };
  expect(await check('POST', '/v1/requests', { headers, body: big })).toBe(413);
  expect(await check('GET', '/v1/audit', { headers: { authorization: `Bearer ${alice}` } })).toBe(403);
});

test('every /v1 operation was checked against the document, on success and on error', () => {
  const doc = contract.doc as { paths: Record<string, Record<string, unknown>> };
  const operations = Object.entries(doc.paths)
    .filter(([route]) => route.startsWith('/v1/'))
    .flatMap(([route, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${route}`));
  const ok = new Set(contract.seen.filter((s) => s.status < 400).map((s) => s.operation));
  const failed = new Set(contract.seen.filter((s) => s.status >= 400).map((s) => s.operation));
  expect(operations.filter((o) => !ok.has(o))).toEqual([]);
  expect(operations.filter((o) => !failed.has(o) && o !== 'POST /v1/mfa/totp/verify' && o !== 'POST /v1/mfa/totp')).toEqual([]);
});
