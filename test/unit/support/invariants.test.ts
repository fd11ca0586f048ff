/**
 * The invariants of test/support/invariants.ts catch what they name: a real lifecycle on the
 * in-memory ports passes, and each kind of damage to its snapshot is reported as its invariant.
 */
import { checkInvariants, type Snapshot } from '../../support/invariants';
import { storeSnapshot } from '../../support/invariant-sources';
import { demo } from '../../support/principals';
import { createRequest } from '../../../shared/usecases/requests';
import { decide } from '../../../shared/usecases/decisions';
import { awaitApproval } from '../../../shared/usecases/workflow-steps';
import { keys } from '../../../shared/adapters/keys';
import { by, LINK_BASE, world } from '../usecases/scenario';

const alice = demo('alice');

/** alice's prod:debug approved by bob (active), and a second request still pending. */
async function lifecycle() {
  const w = world();
  const { request } = await createRequest(w.deps, alice, { action: 'prod:debug', durationSeconds: 600 }, { linkBase: LINK_BASE });
  await awaitApproval(w.deps, request.id, 'T-1', LINK_BASE);
  await decide(w.deps, by(demo('bob')), request.id, 'approve', undefined);
  const pending = await createRequest(w.deps, alice, { action: 'vault:open' }, { linkBase: LINK_BASE });
  return { w, active: request.id, pending: pending.request.id, snapshot: await storeSnapshot(w.store) };
}

const names = (s: Snapshot, now: Date, extra = {}) => checkInvariants(s, { now, ...extra }).map((v) => v.invariant);

test('a real lifecycle keeps every invariant', async () => {
  const { w, snapshot } = await lifecycle();
  expect(snapshot.requests.map((r) => r.request.status).sort()).toEqual(['active', 'pending_approval']);
  expect(checkInvariants(snapshot, { now: w.clock.now() })).toEqual([]);
});

test('each kind of damage is named by its invariant', async () => {
  const { w, active, pending, snapshot } = await lifecycle();
  const now = w.clock.now();
  const copy = (): Snapshot => structuredClone(snapshot);
  const request = (s: Snapshot, id: string) => s.requests.find((r) => r.request.id === id)!.request as any;

  const unapproved = copy();
  request(unapproved, active).approvals = [];
  expect(names(unapproved, now)).toContain('an active request has what its policy required');

  const edited = copy();
  edited.events.find((e) => e.requestId === active && e.type === 'approved')!.actor = 'someone else';
  expect(names(edited, now)).toContain('the audit chain verifies');

  const statusOnly = copy();
  request(statusOnly, pending).status = 'cancelled';
  expect(names(statusOnly, now)).toContain('one status, consistent with the audit events');

  const strayslot = copy();
  const slotOf = request(strayslot, pending);
  strayslot.slots.set(keys.grantSlot(slotOf.requester.id, slotOf.action, slotOf.resource).pk, {
    requestId: active,
    status: 'active',
    mode: 'window',
  });
  expect(names(strayslot, now)).toContain('the grant slot points at the live request or at none');

  const expiresAt = Date.parse(request(snapshot, active).expiresAt);
  expect(names(copy(), now, { uses: [{ requestId: active, startedAt: expiresAt + 1 }] })).toContain('no use after expiresAt');
  expect(names(copy(), now, { uses: [{ requestId: pending, startedAt: now.getTime() }] })).toContain(
    'nothing is granted that nobody approved',
  );
  expect(
    names(copy(), now, { uses: [{ requestId: active, startedAt: now.getTime() + 5 }], endsSeen: new Map([[active, now.getTime()]]) }),
  ).toContain('no use after revocation');

  const late = checkInvariants(copy(), { now: new Date(expiresAt + 60_000), graceMs: 1000 });
  expect(late.filter((v) => v.eventual).map((v) => v.invariant)).toContain('no request is left stuck');
  expect(late.every((v) => v.eventual)).toBe(true);
});
