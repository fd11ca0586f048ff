/**
 * A write that commits, then a hand-over to the state machine that fails (StartExecution or
 * SendTaskSuccess throttled, the function's container gone): the caller got a 503 and asks
 * again. Asking again must finish the hand-over, or the request waits for ever
 * (test/integration/faults.test.ts found each of these against local mode).
 */
import { DependencyUnavailable } from '../../../shared/domain/errors';
import { currentCode, newTotpSecret } from '../../../shared/domain/totp';
import { decide } from '../../../shared/usecases/decisions';
import { answerMfa } from '../../../shared/usecases/mfa';
import { createRequest } from '../../../shared/usecases/requests';
import { awaitApproval, parkMfaToken } from '../../../shared/usecases/workflow-steps';
import { demo } from '../../support/principals';
import { by, LINK_BASE, world } from './scenario';

const alice = demo('alice');
const bob = demo('bob');
const unavailable = () => Promise.reject(new DependencyUnavailable('the workflow service is unavailable: ThrottlingException'));

test('the approval is written but SendTaskSuccess fails: the same approval again hands over, and nothing is recorded twice', async () => {
  const w = world();
  await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
  await awaitApproval(w.deps, 'req-1', 'T-approval', LINK_BASE);
  const succeed = w.workflow.succeed.bind(w.workflow);
  w.workflow.succeed = unavailable;
  await expect(decide(w.deps, by(bob), 'req-1', 'approve', undefined)).rejects.toMatchObject({ name: 'DependencyUnavailable' });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'pending_approval', grantTimes: expect.any(Object) });

  w.workflow.succeed = succeed;
  expect(await decide(w.deps, by(bob), 'req-1', 'approve', undefined)).toMatchObject({ waitingFor: { activation: true } });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'active' });
  expect(w.store.auditTrail('req-1').map((e) => e.type)).toEqual(['created', 'approvers_notified', 'approved', 'activated']);
  expect(w.metrics.total('RequestsApproved')).toBe(1);
  // Another decision, or a change of mind, is still refused.
  await expect(decide(w.deps, by(bob), 'req-1', 'deny', undefined)).rejects.toMatchObject({ name: 'AlreadyDecided' });
});

test('MFA is passed but SendTaskSuccess fails: the next right code hands over; a wrong one is still refused', async () => {
  const w = world();
  const secret = newTotpSecret();
  await w.store.putEnrolment(alice.id, { secret, confirmed: true, createdAt: w.clock.now().toISOString() });
  const { request } = await createRequest(w.deps, alice, { action: 'door:open', resource: 'door/1' }, { linkBase: LINK_BASE });
  await parkMfaToken(w.deps, request.id, 'T-mfa');
  const succeed = w.workflow.succeed.bind(w.workflow);
  w.workflow.succeed = unavailable;
  await expect(answerMfa(w.deps, alice, request.id, currentCode(secret, w.clock.now()))).rejects.toMatchObject({
    name: 'DependencyUnavailable',
  });

  w.workflow.succeed = succeed;
  w.clock.advance(30);
  await expect(answerMfa(w.deps, alice, request.id, '000000')).rejects.toMatchObject({ name: 'AlreadyDecided' });
  await answerMfa(w.deps, alice, request.id, currentCode(secret, w.clock.now()));
  expect(w.store.peek(request.id)).toMatchObject({ status: 'active' });
  expect(w.store.auditTrail(request.id).filter((e) => e.type === 'mfa_passed')).toHaveLength(1);
});

test('StartExecution fails: the request is cancelled, and a retry with the same Idempotency-Key creates a new one', async () => {
  const w = world();
  const start = w.workflow.start.bind(w.workflow);
  w.workflow.start = unavailable;
  const ask = () => createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE, idempotencyKey: 'k-1' });
  await expect(ask()).rejects.toMatchObject({ name: 'DependencyUnavailable' });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'cancelled' });

  w.workflow.start = start;
  const retried = await ask();
  expect(retried).toMatchObject({ created: true, request: { status: 'pending_approval' } });
  expect(retried.request.id).not.toBe('req-1');
  expect((await ask()).request.id).toBe(retried.request.id);
});

test('the create died between its write and StartExecution: asking again starts the execution', async () => {
  const w = world();
  const start = w.workflow.start.bind(w.workflow);
  // The container is gone: the caller saw API Gateway's 502, the request stays written, no execution.
  w.workflow.start = () => new Promise(() => undefined);
  const ask = () => createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE, idempotencyKey: 'k-2' });
  void ask();
  await new Promise((resolve) => setImmediate(resolve));
  expect(w.store.peek('req-1')).toMatchObject({ status: 'pending_approval' });
  expect(w.workflow.started).toEqual([]);

  w.workflow.start = start;
  expect(await ask()).toMatchObject({ created: false, request: { id: 'req-1' } });
  expect(w.workflow.started.map((s) => s.requestId)).toEqual(['req-1']);
  // Asked again without the key, the live request holding the slot is answered, and its execution is not started twice.
  await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
  expect(w.workflow.started.map((s) => s.requestId)).toEqual(['req-1']);
});
