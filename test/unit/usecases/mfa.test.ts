/** The requester's answer to a request's MFA challenge, and the lockouts that stop guessing. */
import { currentCode, MAX_MFA_FAILURES, newTotpSecret } from '../../../shared/domain/totp';
import { answerMfa } from '../../../shared/usecases/mfa';
import { createRequest } from '../../../shared/usecases/requests';
import { parkMfaToken } from '../../../shared/usecases/workflow-steps';
import { demo } from '../../support/principals';
import { LINK_BASE, world } from './scenario';

const alice = demo('alice');
const bob = demo('bob');
const secret = newTotpSecret();
/** A code that is not the current one (nor the one either side of it). */
const wrongCode = (right: string) => String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');

/** Alice, with a confirmed authenticator, asks to open the door (TOTP, then the grant at once). */
async function doorRequest(w = world()) {
  await w.store.putEnrolment(alice.id, { secret, confirmed: true, createdAt: w.clock.now().toISOString() });
  const { request } = await createRequest(
    w.deps,
    alice,
    { action: 'door:open', resource: `door/${w.workflow.started.length + 1}` },
    { linkBase: LINK_BASE },
  );
  await parkMfaToken(w.deps, request.id, `T-mfa-${request.id}`);
  return { w, id: request.id };
}

test('the right code passes MFA, the waiting step goes on, and the workflow activates the grant and announces it', async () => {
  const { w, id } = await doorRequest();
  const view = await answerMfa(w.deps, alice, id, currentCode(secret, w.clock.now()));
  // The answer is the request as the pass left it; activation is the state machine's (played here by the in-memory workflow).
  expect(view).toMatchObject({ status: 'pending_mfa', waitingFor: { activation: true } });
  expect(w.workflow.answers).toEqual([expect.objectContaining({ token: `T-mfa-${id}`, succeeded: true })]);
  expect(w.store.peek(id)).toMatchObject({ status: 'active' });
  expect(w.notifier.events.at(-1)).toMatchObject({
    type: 'grant.activated',
    requester: alice.id,
    body: expect.objectContaining({ requestId: id }),
  });
  expect(w.notifier.events.filter((e) => e.type === 'grant.activated')).toHaveLength(1);
});

test('the same code twice is a replay, not a second pass', async () => {
  const { w, id } = await doorRequest();
  const code = currentCode(secret, w.clock.now());
  await answerMfa(w.deps, alice, id, code);
  await expect(answerMfa(w.deps, alice, id, code)).rejects.toMatchObject({ name: 'MfaCodeReused' });
});

test(`${MAX_MFA_FAILURES} wrong codes deny the request and close its step`, async () => {
  const w = world();
  // A lockout wider than the request's own count, so the request's limit is what ends it here.
  w.deps.config = {
    ...w.deps.config,
    limits: { ...w.deps.config.limits, mfaLockout: { ...w.deps.config.limits.mfaLockout, failures: 100 } },
  };
  const { id } = await doorRequest(w);
  const wrong = wrongCode(currentCode(secret, w.clock.now()));
  for (let i = 1; i < MAX_MFA_FAILURES; i++) {
    await expect(answerMfa(w.deps, alice, id, wrong)).rejects.toMatchObject({ name: 'MfaFailed', attemptsLeft: MAX_MFA_FAILURES - i });
  }
  await expect(answerMfa(w.deps, alice, id, wrong)).rejects.toMatchObject({ name: 'MfaFailed', attemptsLeft: 0 });
  expect((await w.store.getRequest(id))!.request).toMatchObject({ status: 'denied', decidedBy: 'jitgate' });
  expect(w.workflow.answers).toEqual([{ token: `T-mfa-${id}`, succeeded: false, cause: 'MFA failed too often' }]);
  expect(w.store.auditTrail(id).at(-1)).toMatchObject({ type: 'mfa_locked_out' });
});

test('wrong codes across requests lock the user: even the right code is refused, the security admins are told', async () => {
  const { w, id } = await doorRequest();
  const { id: other } = await doorRequest(w);
  const wrong = wrongCode(currentCode(secret, w.clock.now()));
  await expect(answerMfa(w.deps, alice, id, wrong)).rejects.toMatchObject({ name: 'MfaFailed' });
  await expect(answerMfa(w.deps, alice, other, wrong)).rejects.toMatchObject({ name: 'MfaFailed' });
  // The third wrong code within the window (config: failures 3) locks MFA for the user.
  await expect(answerMfa(w.deps, alice, id, wrong)).rejects.toMatchObject({ name: 'MfaLocked', status: 429 });
  await expect(answerMfa(w.deps, alice, other, currentCode(secret, w.clock.now()))).rejects.toMatchObject({ name: 'MfaLocked' });
  expect(w.notifier.events.filter((e) => e.type === 'mfa.locked')).toHaveLength(1);
  expect(w.notifier.sent.map((m) => m.to)).toEqual(expect.arrayContaining([bob.id]));
  expect(w.store.auditTrail().filter((e) => e.type === 'mfa_user_locked')).toHaveLength(1);
  expect(w.metrics.total('MfaFailures')).toBe(3);
  expect(w.metrics.total('MfaLockouts')).toBe(1);
  // The lock ends on the clock.
  w.clock.advance(16 * 60);
  await expect(answerMfa(w.deps, alice, other, currentCode(secret, w.clock.now()))).rejects.toMatchObject({ name: 'WindowClosed' });
});
