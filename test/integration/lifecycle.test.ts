/**
 * The use cases against the real thing, in process: DynamoDB Local and the
 * synthesized state machine run by the local interpreter. Here the races and
 * retries that HTTP tests can only sample are driven on purpose.
 */
import { devPerson } from '../support/principals';
import type { Deps } from '../../shared/runtime';
import { parseConfig } from '../../shared/config/config';
import { PolicyIndex } from '../../shared/domain/policy';
import { currentCode } from '../../shared/domain/totp';
import { decide } from '../../shared/usecases/decisions';
import { answerMfa, confirmTotp, enrolTotp } from '../../shared/usecases/mfa';
import { createRequest } from '../../shared/usecases/requests';
import { awaitApproval, endRequest, parkMfaToken } from '../../shared/usecases/workflow-steps';
import { startLocal, type LocalJitgate } from '../../local/server';
import { depsOf } from '../support/in-process';
import { freePort, tempDir } from '../support/local-mode';
import { sharedDynamoDb } from '../support/shared-dynamodb';
import { waitFor } from '../support/wait';
import { readDemoConfig } from '../support/demo-config';

let local: LocalJitgate;
let deps: Deps;

beforeAll(async () => {
  local = await startLocal({
    port: await freePort(),
    dataDir: tempDir('jitgate-int-'),
    inMemory: true,
    idp: 'keys',
    dynamodb: await sharedDynamoDb(),
  });
  deps = depsOf(local, 'api');
}, 120_000);

afterAll(async () => {
  await local?.close();
});

const person = (sub: string, claims: Record<string, unknown>) => devPerson(local.config, sub, claims);

const linkBase = () => `${local.url}/approve/`;

test('ten approvers racing on one request: one approval counts, nine get 409, one activation', async () => {
  const alice = person('alice-race', { groups: ['engineering'] });
  const { request } = await createRequest(
    deps,
    alice,
    { action: 'prod:debug', resource: 'race/10', durationSeconds: 60 },
    { linkBase: linkBase() },
  );
  await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.tokens.approvalTaskToken !== undefined,
  );

  const approvers = Array.from({ length: 10 }, (_, i) => person(`approver-${i}`, { groups: ['security-admins'] }));
  const outcomes = await Promise.allSettled(
    approvers.map((p) => decide(deps, { person: p, groups: p.groups, via: 'api' }, request.id, 'approve', undefined)),
  );
  const ok = outcomes.filter((o) => o.status === 'fulfilled');
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  expect(ok).toHaveLength(1);
  expect(refused.map((r) => (r.reason as { status: number }).status)).toEqual(Array(9).fill(409));

  const active = await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.request.status === 'active',
  );
  expect(active?.request.approvals).toHaveLength(1);
  const audit = await deps.store.listAudit({ requestId: request.id, limit: 100 });
  expect(audit.events.filter((e) => e.type === 'activated')).toHaveLength(1);
  expect(audit.events.filter((e) => e.type === 'approved')).toHaveLength(1);
});

/** Approval links sent for request `id` (a link's payload names its request). */
function linksTo(id: string): number {
  const requestOf = (link: string) => {
    try {
      return JSON.parse(Buffer.from(link.split('/approve/')[1]!.split('.')[0]!, 'base64url').toString('utf8')).r as string;
    } catch {
      return undefined;
    }
  };
  return local.outbox
    .list()
    .flatMap((m) => m.links)
    .filter((l) => l.includes('/approve/') && requestOf(l) === id).length;
}

test('a retried AwaitApproval step parks the new token but notifies approvers once', async () => {
  const alice = person('alice-retry', { groups: ['engineering'] });
  const { request } = await createRequest(deps, alice, { action: 'prod:debug', resource: 'retry/1' }, { linkBase: linkBase() });
  const first = await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.tokens.approvalTaskToken !== undefined,
  );
  // The step parks the token first, then notifies: wait for both approvers' links before counting.
  await waitFor(
    async () => linksTo(request.id),
    (n) => n >= 2,
  );
  const before = linksTo(request.id);

  await awaitApproval(deps, request.id, 'token-from-a-retry', linkBase());
  const after = await deps.store.getRequest(request.id);
  expect(after?.tokens.approvalTaskToken).toBe('token-from-a-retry');
  expect(after?.tokens.approvalTaskToken).not.toBe(first?.tokens.approvalTaskToken);
  expect(linksTo(request.id)).toBe(before);
});

test('ending a request twice changes it once', async () => {
  const alice = person('alice-end', { groups: ['engineering'] });
  const { request } = await createRequest(
    deps,
    alice,
    { action: 'reports:read', resource: 'end/1', durationSeconds: 60 },
    { linkBase: linkBase() },
  );
  // Auto-approved: the answer is pending; the state machine activates it moments later.
  expect(request).toMatchObject({ status: 'pending_approval', waitingFor: { activation: true } });
  await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.request.status === 'active',
  );
  expect(await endRequest(deps, request.id, 'expired')).toEqual({ changed: true });
  expect(await endRequest(deps, request.id, 'expired')).toEqual({ changed: false });
  expect(await endRequest(deps, request.id, 'timed_out')).toEqual({ changed: false });
  const audit = await deps.store.listAudit({ requestId: request.id, limit: 100 });
  expect(audit.events.filter((e) => e.type === 'expired')).toHaveLength(1);
});

test('five wrong MFA codes deny the request and close its execution; a code is accepted once', async () => {
  const alice = person('alice-mfa', { groups: ['engineering'], auth_time: Math.floor(Date.now() / 1000) });
  const { secret } = await enrolTotp(deps, alice);
  await confirmTotp(deps, alice, currentCode(secret, new Date()));
  // The confirmation used the current step: the same code must not pass again, and is not counted as a guess.
  const { request } = await createRequest(
    deps,
    alice,
    { action: 'projects:delete', resource: 'projects/mfa', justification: 'test lockout' },
    { linkBase: linkBase() },
  );
  await expect(answerMfa(deps, alice, request.id, currentCode(secret, new Date()))).rejects.toMatchObject({
    status: 400,
    code: 'mfa-code-reused',
  });
  await expect(
    answerMfa(deps, alice, request.id, '000000' === currentCode(secret, new Date()) ? '111111' : '000000'),
  ).rejects.toMatchObject({ status: 400, attemptsLeft: 4 });
  for (let i = 3; i >= 1; i--) {
    await expect(
      answerMfa(deps, alice, request.id, '000000' === currentCode(secret, new Date()) ? '111111' : '000000'),
    ).rejects.toMatchObject({ attemptsLeft: i });
  }
  await expect(
    answerMfa(deps, alice, request.id, '000000' === currentCode(secret, new Date()) ? '111111' : '000000'),
  ).rejects.toMatchObject({ attemptsLeft: 0 });
  const denied = await deps.store.getRequest(request.id);
  expect(denied?.request).toMatchObject({ status: 'denied', decidedBy: 'jitgate' });
  await expect(answerMfa(deps, alice, request.id, currentCode(secret, new Date(Date.now() + 30_000)))).rejects.toMatchObject({
    status: 409,
  });

  const execution = await waitFor(
    () => local.sfn.describeExecution({ executionArn: local.sfn.executionArnFor(request.id) }),
    (d) => d.status !== 'RUNNING',
  );
  expect(execution.status).toBe('SUCCEEDED');
  const history = await local.sfn.getExecutionHistory({ executionArn: local.sfn.executionArnFor(request.id) });
  expect(history.events.map((e) => e.type)).toContain('SucceedStateEntered');
  // Every execution starts at MfaChallenge: no Choice before it.
  const entered = history.events
    .filter((e) => e.type.endsWith('StateEntered'))
    .map((e) => (e.stateEnteredEventDetails as { name: string }).name);
  expect(entered).toEqual(['MfaChallenge', 'Closed']);
});

const enteredStates = async (requestId: string) =>
  (await local.sfn.getExecutionHistory({ executionArn: local.sfn.executionArnFor(requestId) })).events
    .filter((e) => e.type.endsWith('StateEntered'))
    .map((e) => (e.stateEnteredEventDetails as { name: string }).name);

test('every request takes one path: the steps it does not need answer their own tasks, as IAM allows them', async () => {
  // Auto-approved, no MFA: MfaChallenge and AwaitApproval answer at once, parking nothing and notifying nobody.
  const dave = person('dave-auto', { groups: ['engineering'] });
  const auto = (await createRequest(deps, dave, { action: 'reports:read', resource: 'r/1' }, { linkBase: linkBase() })).request;
  await waitFor(
    () => enteredStates(auto.id),
    (states) => states.includes('WaitUntilExpiring'),
  );
  expect(await enteredStates(auto.id)).toEqual(['MfaChallenge', 'AwaitApproval', 'Activate', 'WaitUntilExpiring']);
  const active = await deps.store.getRequest(auto.id);
  expect(active?.request.status).toBe('active');
  expect(active?.tokens).toEqual({});
  const audit = await deps.store.listAudit({ requestId: auto.id, limit: 50 });
  expect(audit.events.map((e) => e.type)).toEqual(['created', 'activated']);

  // No MFA, one approval: MfaChallenge answers at once, AwaitApproval parks its token and waits.
  const erin = person('erin-debug', { groups: ['engineering'] });
  const debug = (await createRequest(deps, erin, { action: 'prod:debug', resource: 'one-path/1' }, { linkBase: linkBase() })).request;
  const parked = await waitFor(
    () => deps.store.getRequest(debug.id),
    (s) => s?.tokens.approvalTaskToken !== undefined,
  );
  expect(parked?.tokens.mfaTaskToken).toBeUndefined();
  expect(await enteredStates(debug.id)).toEqual(['MfaChallenge', 'AwaitApproval']);
});

test('MFA and nothing to approve: after the answer, AwaitApproval answers itself with the grant', async () => {
  // A policy the demo lacks: the API side evaluates it in process; the functions read what the request item says.
  const [doorOpen] = parseConfig({
    ...readDemoConfig(),
    policies: [{ action: 'door:open', mfa: 'totp', autoApprove: true, grant: { mode: 'window', maxDuration: '1h' } }],
  }).policies;
  const config = { ...local.config, policies: [...local.config.policies, doorOpen!] };
  const api: Deps = { ...deps, config, policies: new PolicyIndex(config) };
  const frank = person('frank-door', { groups: ['engineering'], auth_time: Math.floor(Date.now() / 1000) });
  const { secret } = await enrolTotp(api, frank);
  await confirmTotp(api, frank, currentCode(secret, new Date()));
  const { request } = await createRequest(api, frank, { action: 'door:open', resource: 'doors/1' }, { linkBase: linkBase() });
  await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.tokens.mfaTaskToken !== undefined,
  );
  // The next time step's code: the confirmation used the current one.
  await answerMfa(api, frank, request.id, currentCode(secret, new Date(Date.now() + 30_000)));
  await waitFor(
    () => enteredStates(request.id),
    (states) => states.includes('WaitUntilExpiring'),
  );
  expect(await enteredStates(request.id)).toEqual(['MfaChallenge', 'AwaitApproval', 'Activate', 'WaitUntilExpiring']);
  const audit = await deps.store.listAudit({ requestId: request.id, limit: 50 });
  expect(audit.events.map((e) => e.type)).toEqual(['created', 'mfa_passed', 'activated']);
  expect((await deps.store.getRequest(request.id))?.request.status).toBe('active');
});

test('a writer that read the request before the MFA token was parked loses its write, so the token is never dropped', async () => {
  const alice = person('alice-park', { groups: ['engineering'], auth_time: Math.floor(Date.now() / 1000) });
  const { request } = await createRequest(
    deps,
    alice,
    { action: 'projects:delete', resource: 'projects/park', justification: 'a race with the park' },
    { linkBase: linkBase() },
  );
  const parked = await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.tokens.mfaTaskToken !== undefined,
  );
  // The re-park below is what the MfaChallenge step does on a retried invocation.
  await parkMfaToken(deps, request.id, parked!.tokens.mfaTaskToken!);
  const reparked = await deps.store.getRequest(request.id);
  expect(reparked?.request.version).toBe(parked!.request.version + 1);
  await expect(deps.store.saveRequest(parked!, reparked!.request, [], {})).rejects.toMatchObject({ name: 'ConcurrentModification' });
  expect((await deps.store.getRequest(request.id))?.tokens.mfaTaskToken).toBe(parked!.tokens.mfaTaskToken);
});
