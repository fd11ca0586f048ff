/**
 * Extending an active window grant: the same policy (here one security admin), the maximum
 * counted from the original activation, only the requester, only while active, only window
 * grants; applied, the grant's end moves (and the slot's, which authorize reads).
 */
import { AlreadyDecided, Forbidden, ValidationFailed } from '../../../shared/domain/errors';
import { decide } from '../../../shared/usecases/decisions';
import { currentCode, newTotpSecret } from '../../../shared/domain/totp';
import { applyExtension, askExtension } from '../../../shared/usecases/extensions';
import { answerMfa } from '../../../shared/usecases/mfa';
import { revokeGrant } from '../../../shared/usecases/cancel-revoke';
import { createRequest } from '../../../shared/usecases/requests';
import { awaitApproval, endRequest, parkMfaToken } from '../../../shared/usecases/workflow-steps';
import { demo } from '../../support/principals';
import { by, LINK_BASE, world } from './scenario';

const alice = demo('alice');
const bob = demo('bob');
const carol = demo('carol');
const opts = { linkBase: LINK_BASE };

type World = ReturnType<typeof world>;

/** prod:debug (one security admin, window grants of at most 30 minutes), approved by Bob: req-1 active. */
async function activeGrant(durationSeconds: number): Promise<World> {
  const w = world();
  await createRequest(w.deps, alice, { action: 'prod:debug', durationSeconds }, opts);
  await awaitApproval(w.deps, 'req-1', 'T-1', LINK_BASE);
  await decide(w.deps, by(bob), 'req-1', 'approve', undefined);
  expect(w.store.peek('req-1')).toMatchObject({ status: 'active' });
  return w;
}

const expiresAt = (w: World, id: string) => (w.store.peek(id) as { expiresAt: string }).expiresAt;
const plus = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

test('asked, approved by the same policy, applied: the end moves by the duration, the slot with it, audited on both chains', async () => {
  const w = await activeGrant(600);
  const before = expiresAt(w, 'req-1');
  w.clock.advance(300);
  const { created, request } = await askExtension(w.deps, alice, 'req-1', { durationSeconds: 600, justification: 'still on it' }, opts);
  expect(created).toBe(true);
  expect(request).toMatchObject({ id: 'req-2', extends: 'req-1', action: 'prod:debug', status: 'pending_approval' });
  // Alice's grant runs on meanwhile; the extension holds no slot of its own.
  expect(await w.store.getGrantSlot(alice.id, 'prod:debug', '*')).toMatchObject({ requestId: 'req-1', expiresAt: before });

  await awaitApproval(w.deps, 'req-2', 'T-2', LINK_BASE);
  await decide(w.deps, by(bob), 'req-2', 'approve', 'ok');
  const after = plus(before, 600);
  expect(w.store.peek('req-2')).toMatchObject({ status: 'applied', expiresAt: after });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'active', expiresAt: after });
  expect(await w.store.getGrantSlot(alice.id, 'prod:debug', '*')).toMatchObject({ requestId: 'req-1', expiresAt: after });
  expect(w.store.auditTrail('req-1').map((e) => e.type)).toEqual([
    'created',
    'approvers_notified',
    'approved',
    'activated',
    'extension_requested',
    'extended',
  ]);
  expect(w.store.auditTrail('req-2').map((e) => e.type)).toEqual(['created', 'approvers_notified', 'approved', 'extended']);
  // Alice hears it on the grant's own id, with the old and the new end.
  const extended = w.notifier.events.filter((e) => e.type === 'grant.extended');
  expect(extended).toEqual([
    {
      type: 'grant.extended',
      requester: alice.id,
      body: expect.objectContaining({ requestId: 'req-1', outcome: 'extended', extension: 'req-2', from: before, expiresAt: after }),
    },
  ]);
  expect(extended[0]!.body.summary).toMatch(/^Extended: prod:debug on \* is active until .* UTC\.$/);
  // The step repeated (Step Functions retries it) moves nothing and tells nothing again.
  expect(await applyExtension(w.deps, 'req-2')).toMatchObject({ changed: true, extension: { status: 'applied' } });
  expect(w.notifier.events.filter((e) => e.type === 'grant.extended')).toHaveLength(1);

  // The grant's own execution, at the old end: nothing ends, it waits for the new one; there, it expires.
  w.clock.advance(300);
  // (The extension's own execution waits for the new end: see activation.test.ts.)
  expect(await endRequest(w.deps, 'req-1', 'expired', before)).toMatchObject({ changed: false, expiresAt: after });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'active' });
  w.clock.advance(600);
  expect(await endRequest(w.deps, 'req-1', 'expired', after)).toEqual({ changed: true });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'expired', expiresAt: after });
});

test('the maximum counts from the original activation: refused with the maximum and what is left', async () => {
  const w = await activeGrant(1200);
  w.clock.advance(600);
  await expect(askExtension(w.deps, alice, 'req-1', { durationSeconds: 900 }, opts)).rejects.toThrow(
    new ValidationFailed(
      '"prod:debug" grants at most 1800 s from activation (2026-03-01T10:00:00.000Z); 600 s left to extend by, 900 s asked',
    ),
  );
  // Up to the maximum is fine.
  expect((await askExtension(w.deps, alice, 'req-1', { durationSeconds: 600 }, opts)).request).toMatchObject({
    status: 'pending_approval',
  });
});

test('checked again when applied: of two extensions asked together, the one that would pass the maximum is denied', async () => {
  const w = await activeGrant(1200);
  await askExtension(w.deps, alice, 'req-1', { durationSeconds: 600 }, opts);
  await askExtension(w.deps, alice, 'req-1', { durationSeconds: 300 }, opts);
  await awaitApproval(w.deps, 'req-2', 'T-2', LINK_BASE);
  await awaitApproval(w.deps, 'req-3', 'T-3', LINK_BASE);
  await decide(w.deps, by(bob), 'req-2', 'approve', undefined);
  await decide(w.deps, by(bob), 'req-3', 'approve', undefined);
  expect(w.store.peek('req-2')).toMatchObject({ status: 'applied' });
  expect(w.store.peek('req-3')).toMatchObject({ status: 'denied', decidedBy: 'jitgate', reason: expect.stringMatching(/at most 1800 s/) });
  expect(expiresAt(w, 'req-1')).toBe(plus((w.store.peek('req-1') as { activatedAt: string }).activatedAt, 1800));
});

test('only the requester, only while active, only window grants', async () => {
  const w = await activeGrant(600);
  await expect(askExtension(w.deps, bob, 'req-1', { durationSeconds: 60 }, opts)).rejects.toThrow(Forbidden);
  await revokeGrant(w.deps, alice, 'req-1', undefined);
  await expect(askExtension(w.deps, alice, 'req-1', { durationSeconds: 60 }, opts)).rejects.toThrow(AlreadyDecided);

  const once = world();
  await createRequest(once.deps, alice, { action: 'vault:open' }, opts);
  await awaitApproval(once.deps, 'req-1', 'T-1', LINK_BASE);
  await decide(once.deps, by(bob), 'req-1', 'approve', undefined);
  await decide(once.deps, by(carol), 'req-1', 'approve', undefined);
  expect(once.store.peek('req-1')).toMatchObject({ status: 'active' });
  await expect(askExtension(once.deps, alice, 'req-1', { durationSeconds: 60 }, opts)).rejects.toThrow(
    /only window grants can be extended/,
  );
});

test('a grant that ended before the extension was approved is not brought back: the extension is denied', async () => {
  const w = await activeGrant(600);
  await askExtension(w.deps, alice, 'req-1', { durationSeconds: 300 }, opts);
  await awaitApproval(w.deps, 'req-2', 'T-2', LINK_BASE);
  await revokeGrant(w.deps, alice, 'req-1', 'done early');
  await decide(w.deps, by(bob), 'req-2', 'approve', undefined);
  expect(w.store.peek('req-2')).toMatchObject({ status: 'denied', reason: 'the grant it extends (req-1) is revoked' });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'revoked' });
});

test("the approvers' message says it is an extension, of which grant, by how much", async () => {
  const w = await activeGrant(600);
  await askExtension(w.deps, alice, 'req-1', { durationSeconds: 300 }, opts);
  await awaitApproval(w.deps, 'req-2', 'T-2', LINK_BASE);
  const message = w.notifier.sent.at(-1)!;
  expect(message.text).toContain('This is an extension: 300 s more on the active grant req-1, from its current end.');
});

test('MFA as the policy requires: a TOTP policy asks the extension for a code too, then applies it', async () => {
  const w = world();
  const secret = newTotpSecret();
  await w.store.putEnrolment(alice.id, { secret, confirmed: true, createdAt: w.clock.now().toISOString() });
  await createRequest(w.deps, alice, { action: 'door:open', durationSeconds: 1200 }, opts);
  await parkMfaToken(w.deps, 'req-1', 'T-1');
  await answerMfa(w.deps, alice, 'req-1', currentCode(secret, w.clock.now()));
  const before = expiresAt(w, 'req-1');

  w.clock.advance(60);
  const { request } = await askExtension(w.deps, alice, 'req-1', { durationSeconds: 600 }, opts);
  expect(request).toMatchObject({ status: 'pending_mfa', extends: 'req-1', waitingFor: { mfa: { method: 'totp' } } });
  await parkMfaToken(w.deps, 'req-2', 'T-2');
  expect(w.store.peek('req-1')).toMatchObject({ expiresAt: before });
  await answerMfa(w.deps, alice, 'req-2', currentCode(secret, w.clock.now()));
  expect(w.store.peek('req-2')).toMatchObject({ status: 'applied' });
  expect(expiresAt(w, 'req-1')).toBe(plus(before, 600));
});

test('a grant that expires while the extension is applied: nothing half-written, the extension denied, the old end kept', async () => {
  const w = await activeGrant(600);
  const before = expiresAt(w, 'req-1');
  await askExtension(w.deps, alice, 'req-1', { durationSeconds: 600, justification: 'still on it' }, opts);
  await awaitApproval(w.deps, 'req-2', 'T-2', LINK_BASE);
  // The grant's own Expire commits between ApplyExtension's reads and its write.
  const save = w.store.saveRequests.bind(w.store);
  let raced = false;
  w.store.saveRequests = async (changes) => {
    if (!raced) {
      raced = true;
      await endRequest(w.deps, 'req-1', 'expired');
    }
    return save(changes);
  };
  await decide(w.deps, by(bob), 'req-2', 'approve', 'ok');
  expect(raced).toBe(true);
  expect(w.store.peek('req-2')).toMatchObject({ status: 'denied', decidedBy: 'jitgate' });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'expired', expiresAt: before });
  expect(w.store.auditTrail('req-1').map((e) => e.type)).not.toContain('extended');
  expect(w.store.auditTrail('req-2').map((e) => e.type)).not.toContain('extended');
});
