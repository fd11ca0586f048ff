/**
 * Faults x lifecycle steps, against one local mode: each row arms one fault (local/faults) at
 * one step of a request's life (create, MFA answer, approve, activate, authorize/consume,
 * expire) and runs that request to its end. Whatever the fault, an API caller gets a 2xx, or a
 * 429/503 with Retry-After and a problem document (never a 500), or API Gateway's 502 when the
 * function's container itself died; asking again succeeds; the state machine's retries carry
 * the steps it runs; and the request ends consistent: its status matches its audit events, its
 * grant slot, and its execution.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FaultSpec } from '../../local/faults';
import { startLocal, type LocalJitgate } from '../../local/server';
import type { Deps } from '../../shared/runtime';
import { readDemoConfig } from '../support/demo-config';
import { depsOf } from '../support/in-process';
import { Client, freePort, tempDir } from '../support/local-mode';
import { waitFor } from '../support/wait';

let local: LocalJitgate;
let restart: () => Promise<LocalJitgate>;
let api: Client;
let deps: Deps;
let bob: string;

const POLICIES = [
  { action: 'faults:approve', approvals: { groups: { 'security-admins': 1 }, window: '10m' }, grant: { mode: 'once', useWithin: '10m' } },
  {
    action: 'faults:mfa',
    approvals: { groups: { 'security-admins': 1 }, window: '10m' },
    mfa: 'totp',
    grant: { mode: 'once', useWithin: '10m' },
  },
  {
    action: 'faults:expire',
    approvals: { groups: { 'security-admins': 1 }, window: '10m' },
    grant: { mode: 'window', maxDuration: '2s', defaultDuration: '2s' },
  },
];

beforeAll(async () => {
  const dataDir = tempDir('jitgate-faults-');
  const demo = readDemoConfig();
  const configPath = path.join(dataDir, 'jitgate.faults.config.json');
  writeFileSync(configPath, JSON.stringify({ ...demo, policies: [...POLICIES, ...demo.policies] }));
  // A data file, not memory: the last test kills DynamoDB Local and expects nothing lost.
  const port = await freePort();
  restart = () => startLocal({ port, dataDir, configPath, idp: 'keys' });
  local = await restart();
  api = new Client(local.url, dataDir);
  deps = depsOf(local, 'api');
  bob = await api.token('bob');
}, 180_000);

afterAll(async () => {
  await local?.close();
  const steps = new Set(MATRIX.map((row) => row.at)).size;
  const services = new Set(MATRIX.map((row) => row.fault.service)).size;
  console.log(`faults: ${MATRIX.length} rows (${services} services x ${steps} lifecycle steps), each lifecycle run to its end`);
});

type Step = 'create' | 'mfa' | 'approve' | 'activate' | 'consume' | 'expire';
/**
 * `absorbed`: the caller never sees it (the SDK's or the use case's own retries, or a state-machine
 * step's Retry); `retry-after`: 429/503 with Retry-After, then the same call again succeeds;
 * `gateway`: the function's container died, API Gateway's 502, then the same call again succeeds;
 * `failed`: a step no Retry covers failed its execution, and the request ended `failed`, cleanly.
 */
type Outcome = 'absorbed' | 'retry-after' | 'gateway' | 'failed';

interface Row {
  at: Step;
  fault: FaultSpec;
  outcome: Outcome;
}

const ddb = (operation: string, kind: FaultSpec['kind'], times: number, extra: Partial<FaultSpec> = {}): FaultSpec => ({
  service: 'dynamodb',
  operation,
  kind,
  times,
  ...extra,
});
const BY_FUNCTION = { caller: 'function' } as const;

const MATRIX: Row[] = [
  { at: 'create', fault: ddb('TransactWriteItems', 'throttle', 2, BY_FUNCTION), outcome: 'absorbed' },
  {
    at: 'create',
    fault: ddb('TransactWriteItems', 'throttle', 3, { ...BY_FUNCTION, error: 'ThrottlingException' }),
    outcome: 'retry-after',
  },
  { at: 'create', fault: ddb('TransactWriteItems', 'timeout', 3), outcome: 'retry-after' },
  { at: 'create', fault: { service: 'sfn', operation: 'StartExecution', kind: 'unavailable', times: 3 }, outcome: 'retry-after' },
  { at: 'create', fault: ddb('TransactWriteItems', 'crash', 1), outcome: 'gateway' },
  { at: 'create', fault: { service: 'sfn', operation: 'StartExecution', kind: 'crash' }, outcome: 'gateway' },
  { at: 'mfa', fault: ddb('TransactWriteItems', 'conflict', 1, BY_FUNCTION), outcome: 'absorbed' },
  // Three would be a 503 whose retry needs the next TOTP step, 30 s away: test/unit/usecases/handover.test.ts covers it.
  { at: 'mfa', fault: { service: 'sfn', operation: 'SendTaskSuccess', kind: 'throttle', times: 2 }, outcome: 'absorbed' },
  // An approver SNS refused (after the SDK's own three attempts) is recorded as unreached; the step's Retry
  // sends to them again. A crashed container is not retried (it may have sent): the request fails, and the
  // requester is told.
  { at: 'mfa', fault: { service: 'sns', operation: 'Publish', kind: 'throttle', times: 3 }, outcome: 'absorbed' },
  { at: 'mfa', fault: { service: 'lambda', operation: 'await-approval', kind: 'crash' }, outcome: 'failed' },
  { at: 'approve', fault: ddb('TransactWriteItems', 'unavailable', 3, BY_FUNCTION), outcome: 'retry-after' },
  { at: 'approve', fault: { service: 'sfn', operation: 'SendTaskSuccess', kind: 'unavailable', times: 3 }, outcome: 'retry-after' },
  // Activate is safe to repeat, so its Retry covers a container that died; grant.activated is best effort.
  { at: 'activate', fault: { service: 'lambda', operation: 'activate', kind: 'crash' }, outcome: 'absorbed' },
  { at: 'activate', fault: { service: 'sns', operation: 'Publish', kind: 'unavailable', times: 3, ...BY_FUNCTION }, outcome: 'absorbed' },
  { at: 'consume', fault: ddb('TransactWriteItems', 'throttle', 3, BY_FUNCTION), outcome: 'retry-after' },
  { at: 'consume', fault: ddb('TransactWriteItems', 'conflict', 1, BY_FUNCTION), outcome: 'absorbed' },
  { at: 'expire', fault: { service: 'lambda', operation: 'end-request', kind: 'crash' }, outcome: 'absorbed' },
];

type Response = Awaited<ReturnType<Client['call']>>;

/** The fault of `row` armed for `step`, and what the caller saw checked; the call's eventual success returned. */
async function stepOf(row: Row, step: Step, send: () => Promise<Response>): Promise<Response> {
  if (row.at !== step) return succeeded(step, await send());
  local.faults.clear();
  local.faults.inject(row.fault);
  const first = await send();
  // The fault took effect: a row that passed without hitting its fault would prove nothing.
  await waitFor(
    () => local.faults.pending().length,
    (left) => left === 0,
    { timeoutMs: 20_000, what: `the ${row.fault.kind} fault to be hit` },
  );
  if (row.outcome === 'absorbed' || row.outcome === 'failed') return succeeded(step, first);
  if (row.outcome === 'gateway') {
    expect({ step, status: first.status, body: first.json }).toEqual({ step, status: 502, body: { message: 'Internal server error' } });
  } else {
    expect({ step, status: [429, 503].includes(first.status) ? 'retry later' : first.status, body: first.json }).toMatchObject({
      step,
      status: 'retry later',
    });
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(first.headers.get('content-type')).toBe('application/problem+json');
    expect(first.json.retryAfter).toBe(Number(first.headers.get('retry-after')));
  }
  return succeeded(step, await send());
}

function succeeded(step: Step, res: Response): Response {
  expect({ step, status: res.status, body: res.status < 300 ? undefined : res.json }).toEqual({
    step,
    status: res.status === 201 ? 201 : 200,
    body: undefined,
  });
  return res;
}

/** The events each end needs on the request's chain (approvers_notified and approved may come in either order). */
const EVENTS_FOR = {
  consumed: ['activated', 'approved', 'approvers_notified', 'consumed', 'created'],
  expired: ['activated', 'approved', 'approvers_notified', 'created', 'expired'],
  failed: ['created', 'failed'],
};

/** The minimal consistency checks of a request that ended (test/support/invariants.ts will hold the full set). */
async function expectConsistent(id: string, status: keyof typeof EVENTS_FOR): Promise<void> {
  const stored = (await deps.store.getRequest(id))!;
  expect(stored.request.status).toBe(status);
  const types = await api.auditTypes(id);
  // Every step exactly once: a retried step must not write its event twice.
  expect(types.filter((t) => EVENTS_FOR[status].includes(t)).sort()).toEqual(EVENTS_FOR[status]);
  const { requester, action, resource } = stored.request;
  const slot = await deps.store.getGrantSlot(requester.id, action, resource);
  expect(slot?.requestId === id ? slot : undefined).toBeUndefined();
  if (status !== 'consumed') {
    const executionArn = local.sfn.executionArnFor(id);
    const ended = await waitFor(
      async () => (await local.sfn.describeExecution({ executionArn })).status,
      (s) => s !== 'RUNNING',
      { what: `the execution of ${id} to end` },
    );
    expect(ended).toBe(status === 'expired' ? 'SUCCEEDED' : 'FAILED');
  }
}

/** The request goes active, its one use is allowed and consumes it, and it ends consistent. */
async function expectUsedOnce(token: string, id: string, body: { action: string; resource: string }): Promise<void> {
  await api.waitForStatus(token, id, 'active');
  const used = await api.call('POST', '/v1/authorize', { token, body: { action: body.action, resource: body.resource, consume: true } });
  expect(used.json).toMatchObject({ allowed: true, grant: { requestId: id, consumed: true } });
  await expectConsistent(id, 'consumed');
}

/**
 * The step commits before it publishes (grant.activated, grant.expired), so the request can read its new
 * status while the publish is still failing its attempts: wait for them all, then check there were no more.
 */
async function expectAllHits(row: Row): Promise<void> {
  const times = row.fault.times ?? 1;
  await waitFor(
    () => local.faults.hits(),
    (hits) => hits.length >= times,
    { what: `${times} hits of the fault` },
  );
  expect(local.faults.hits()).toHaveLength(times);
}

let rowNumber = 0;
async function lifecycle(row: Row): Promise<void> {
  const n = ++rowNumber;
  const alice = await api.token('alice', { as: `faults-${n}` });
  const mfa = row.at === 'mfa';
  const expire = row.at === 'expire';
  const action = mfa ? 'faults:mfa' : expire ? 'faults:expire' : 'faults:approve';
  const code = mfa ? await api.enrolTotp(alice) : undefined;
  const body = { action, resource: `svc/${n}`, justification: `fault matrix row ${n}` };
  const headers = { 'idempotency-key': `faults-row-${n}` };
  const created = await stepOf(row, 'create', () => api.call('POST', '/v1/requests', { token: alice, body, headers }));
  const id: string = created.json.id;
  if (code) {
    await stepOf(row, 'mfa', () => api.call('POST', `/v1/requests/${id}/mfa`, { token: alice, body: { code: code() } }));
  }
  if (row.outcome === 'failed') {
    await api.waitForStatus(alice, id, 'failed');
    return expectConsistent(id, 'failed');
  }
  await api.waitForStatus(alice, id, 'pending_approval');
  // Pending from creation without MFA, but the fault is meant for the decision: before it is armed, the steps
  // ahead of it have run (MfaChallenge answering itself, AwaitApproval parking its token in the write that
  // audits approvers_notified), so neither takes its hits.
  await api.approversNotified(id);
  const approve = () => api.call('POST', `/v1/requests/${id}/decisions`, { token: bob, body: { decision: 'approve' } });
  if (row.at === 'activate') {
    local.faults.clear();
    local.faults.inject(row.fault);
    succeeded('approve', await approve());
    await api.waitForStatus(alice, id, 'active');
    await expectAllHits(row);
  } else {
    await stepOf(row, 'approve', approve);
    await api.waitForStatus(alice, id, 'active');
  }
  if (expire) {
    local.faults.clear();
    local.faults.inject(row.fault);
    await api.waitForStatus(alice, id, 'expired');
    await expectAllHits(row);
    return expectConsistent(id, 'expired');
  }
  const consume = () => api.call('POST', '/v1/authorize', { token: alice, body: { action, resource: body.resource, consume: true } });
  const used = await stepOf(row, 'consume', consume);
  expect(used.json).toMatchObject({ allowed: true, grant: { requestId: id, consumed: true } });
  await expectConsistent(id, 'consumed');
}

const title = (row: Row) =>
  `${row.at}: ${row.fault.service} ${row.fault.operation} ${row.fault.kind} x${row.fault.times ?? 1}` +
  `${row.fault.caller ? ` (${row.fault.caller})` : ''} → ${row.outcome}`;

describe.each(MATRIX.map((row) => [title(row), row] as const))('%s', (_title, row) => {
  test('the request ends consistent', () => lifecycle(row), 90_000);
});

describe("the functions' clock is off", () => {
  afterEach(() => local.lambda.skewClock(0));

  test('behind: a fresh token is still accepted within the issuer clockSkew (60 s), refused beyond it', async () => {
    // A token each: a verified one is remembered by the container.
    const list = async (as: string) => api.call('GET', '/v1/requests', { token: await api.token('alice', { as }) });
    local.lambda.skewClock(-30);
    expect((await list('faults-skew-30')).status).toBe(200);
    local.lambda.skewClock(-90);
    const refused = await list('faults-skew-90');
    expect({ status: refused.status, detail: refused.json.detail }).toEqual({
      status: 401,
      detail: expect.stringMatching(/future|nbf|iat/),
    });
  });

  test('ahead: the grant ends when its own clock says, never later, and the request expires consistent', async () => {
    const skewMs = 5_000;
    local.lambda.skewClock(skewMs / 1000);
    const alice = await api.token('alice', { as: 'faults-skew-grant' });
    const body = { action: 'faults:expire', resource: 'svc/skew', justification: 'a host clock 5 s ahead' };
    const id: string = succeeded('create', await api.call('POST', '/v1/requests', { token: alice, body })).json.id;
    const approvedAfter = Date.now();
    succeeded('approve', await api.call('POST', `/v1/requests/${id}/decisions`, { token: bob, body: { decision: 'approve' } }));
    const active = await api.waitForStatus(alice, id, 'active');
    // The approval fixed the grant's times by the function's clock, 5 s ahead of this one.
    expect(Date.parse(active.activatedAt)).toBeGreaterThanOrEqual(approvedAfter + skewMs);
    const expiresAt = Date.parse(active.expiresAt);
    // Each answer is computed at a function time of at least (sent + skew): an allowed one must precede expiresAt.
    const answers: { sent: number; allowed: boolean }[] = [];
    await waitFor(
      async () => {
        const sent = Date.now();
        const res = await api.call('POST', '/v1/authorize', { token: alice, body: { action: body.action, resource: body.resource } });
        answers.push({ sent, allowed: res.json.allowed });
        return res.json.allowed as boolean;
      },
      (allowed) => !allowed,
      { intervalMs: 200, what: 'authorize to say no once the grant ended' },
    );
    expect(answers.filter((a) => a.allowed && a.sent + skewMs >= expiresAt)).toEqual([]);
    await api.waitForStatus(alice, id, 'expired');
    await expectConsistent(id, 'expired');
  });
});

describe('DynamoDB Local dies after create, before approval', () => {
  test('local mode starts it again on its data: /health tells, the request completes, nothing is lost', async () => {
    const alice = await api.token('alice', { as: 'faults-heal' });
    const body = { action: 'faults:approve', resource: 'svc/heal', justification: 'the JVM goes away' };
    const created = await api.call('POST', '/v1/requests', { token: alice, body });
    expect(created.status).toBe(201);
    const id: string = created.json.id;
    // Parked: AwaitApproval has stored its token and sent bob his link. (Killed earlier, its retries may run
    // out while the JVM starts; the execution then fails and local mode resumes it once DynamoDB is back.)
    await api.linkFor('bob@example.com', id);
    // DynamoDB Local, unlike DynamoDB, can lose its very last writes to a SIGKILL (seen here once, under
    // load: AwaitApproval's write, made a second before, was gone after the restart). This test shows local
    // mode healing, not the emulator's durability, so the kill comes once those writes have had time to land.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const killed = local.dynamodb.pid;
    process.kill(killed, 'SIGKILL');
    const down = await waitFor(
      () => api.call('GET', '/health'),
      (res) => res.status === 503,
      { what: '/health to say DynamoDB is down' },
    );
    expect(down.json.components).toMatchObject({
      dynamodb: { status: expect.not.stringMatching(/^up$/) },
      stepfunctions: { status: 'up' },
    });
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    // The JVM takes seconds to start: meanwhile the API says when to come back.
    const meanwhile = await api.call('GET', `/v1/requests/${id}`, { token: alice });
    expect({ status: meanwhile.status, retryAfter: Number(meanwhile.headers.get('retry-after')) > 0 }).toEqual({
      status: 503,
      retryAfter: true,
    });

    const up = await waitFor(
      () => api.call('GET', '/health'),
      (res) => res.status === 200,
      { timeoutMs: 120_000, intervalMs: 250, what: 'DynamoDB Local to be back' },
    );
    expect(up.json).toMatchObject({ status: 'ok', components: { dynamodb: { status: 'up', restarts: 1 } } });
    expect(local.dynamodb.pid).not.toBe(killed);

    // Nothing lost: the request, its parked task token and its chain are all still there.
    expect((await api.call('GET', `/v1/requests/${id}`, { token: alice })).json.status).toBe('pending_approval');
    succeeded('approve', await api.call('POST', `/v1/requests/${id}/decisions`, { token: bob, body: { decision: 'approve' } }));
    await expectUsedOnce(alice, id, body);
  }, 180_000);
});

describe('local mode crashes between two steps', () => {
  test('approved, not yet active: after the restart the request activates, once', async () => {
    const alice = await api.token('alice', { as: 'faults-crash' });
    const body = { action: 'faults:approve', resource: 'svc/crash', justification: 'local mode goes down' };
    const id: string = succeeded('create', await api.call('POST', '/v1/requests', { token: alice, body })).json.id;
    await api.linkFor('bob@example.com', id);
    // Activate keeps failing, so local mode goes down with the approval written and the grant not yet active.
    local.faults.inject({ service: 'lambda', operation: 'activate', kind: 'crash', times: 1000 });
    succeeded('approve', await api.call('POST', `/v1/requests/${id}/decisions`, { token: bob, body: { decision: 'approve' } }));
    await waitFor(
      () => local.faults.hits().length,
      (hits) => hits > 0,
      { what: 'Activate to be tried' },
    );
    // Its executions stop unreported, as in a crash: none outlives local mode.
    await local.close();
    local = await restart();
    expect(local.resumed).toBeGreaterThan(0);

    await expectUsedOnce(alice, id, body);
  }, 180_000);
});

describe('after the faults', () => {
  test('every audit chain verifies', async () => {
    const verify = await api.call('GET', '/v1/audit/verify', { token: await api.token('audrey') });
    expect(verify.json).toMatchObject({ ok: true });
  });
});
