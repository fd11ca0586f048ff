/**
 * The Activate step (shared/usecases/activation.ts) on the memory ports: the grant starts
 * with the times the request holds, once, however often the step runs; a request no longer
 * pending is Closed, one whose requirements were not met has nothing to activate; an
 * extension is applied to the grant it extends, whose new end its execution then waits for.
 */
import { verifyChains } from '../../../shared/domain/audit-chain';
import { grantTimes, grantTimesUntil } from '../../../shared/domain/grant';
import { withState } from '../../../shared/domain/request';
import { activateGrant } from '../../../shared/usecases/activation';
import { cancelRequest } from '../../../shared/usecases/cancel-revoke';
import { decide } from '../../../shared/usecases/decisions';
import { askExtension } from '../../../shared/usecases/extensions';
import { createRequest } from '../../../shared/usecases/requests';
import { awaitApproval } from '../../../shared/usecases/workflow-steps';
import { demo } from '../../support/principals';
import { by, LINK_BASE, world } from './scenario';

const alice = demo('alice');
const bob = demo('bob');

type World = ReturnType<typeof world>;

/** prod:debug waiting for approval (req-1), then its requirements met as the deciding approval would leave it, without activating. */
async function completed(durationSeconds = 600): Promise<World> {
  const w = world();
  await createRequest(w.deps, alice, { action: 'prod:debug', durationSeconds }, { linkBase: LINK_BASE });
  await awaitApproval(w.deps, 'req-1', 'T-1', LINK_BASE);
  const stored = (await w.store.getRequest('req-1'))!;
  const times = grantTimes(durationSeconds, w.clock.now());
  await w.store.saveRequest(stored, withState(stored.request, stored.request, { grantTimes: times }), []);
  return w;
}

const activatedEvents = (w: World) => w.notifier.events.filter((e) => e.type === 'grant.activated');

test('the grant starts with the times the request holds: request and slot active, audited, announced, tokens gone', async () => {
  const w = await completed();
  const times = w.store.peek('req-1')!.grantTimes!;
  w.clock.advance(5);

  expect(await activateGrant(w.deps, 'req-1')).toEqual({ requestId: 'req-1', ...times });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'active', activatedAt: times.activatedAt, expiresAt: times.expiresAt });
  expect((await w.store.getRequest('req-1'))!.tokens).toEqual({});
  expect(await w.store.getGrantSlot(alice.id, 'prod:debug', '*')).toMatchObject({
    requestId: 'req-1',
    status: 'active',
    expiresAt: times.expiresAt,
  });
  const trail = w.store.auditTrail('req-1');
  expect(trail.at(-1)).toMatchObject({ type: 'activated', actor: 'jitgate', at: times.activatedAt });
  expect(verifyChains(await w.store.readChains()).ok).toBe(true);
  // The notice, derived from the committed request: its times (nobody approved here: the requirements were met by hand).
  expect(activatedEvents(w)).toEqual([
    {
      type: 'grant.activated',
      requester: alice.id,
      body: expect.objectContaining({
        requestId: 'req-1',
        outcome: 'activated',
        activatedAt: times.activatedAt,
        expiresAt: times.expiresAt,
      }),
    },
  ]);
});

test('repeated after a commit whose answer was lost: the same times, no second event, nobody told twice', async () => {
  const w = await completed();
  const first = await activateGrant(w.deps, 'req-1');
  const version = w.store.peek('req-1')!.version;
  w.clock.advance(30);

  expect(await activateGrant(w.deps, 'req-1')).toEqual(first);
  expect(w.store.peek('req-1')!.version).toBe(version);
  expect(w.store.auditTrail('req-1').filter((e) => e.type === 'activated')).toHaveLength(1);
  expect(activatedEvents(w)).toHaveLength(1);
});

test('a grant extended before a late retry answers its current end, so the Waits follow it', async () => {
  const w = await completed(600);
  await activateGrant(w.deps, 'req-1');
  await askExtension(w.deps, alice, 'req-1', { durationSeconds: 300 }, { linkBase: LINK_BASE });
  await awaitApproval(w.deps, 'req-2', 'T-2', LINK_BASE);
  await decide(w.deps, by(bob), 'req-2', 'approve', undefined);
  const extended = w.store.peek('req-1') as { activatedAt: string; expiresAt: string };

  expect(await activateGrant(w.deps, 'req-1')).toMatchObject({ activatedAt: extended.activatedAt, expiresAt: extended.expiresAt });
});

test('a request no longer pending is Closed, and nothing changes', async () => {
  const w = await completed();
  await cancelRequest(w.deps, alice, 'req-1');
  const before = w.store.peek('req-1');

  await expect(activateGrant(w.deps, 'req-1')).rejects.toMatchObject({ name: 'Closed', message: 'request is cancelled' });
  expect(w.store.peek('req-1')).toEqual(before);
  expect(activatedEvents(w)).toHaveLength(0);
});

test('a pending request without grant times (a task success sent too early) is not activated: RequirementsNotMet', async () => {
  const w = world();
  await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
  const before = w.store.peek('req-1');

  await expect(activateGrant(w.deps, 'req-1')).rejects.toMatchObject({ name: 'RequirementsNotMet' });
  expect(w.store.peek('req-1')).toEqual(before);
  expect(await w.store.getGrantSlot(alice.id, 'prod:debug', '*')).toMatchObject({ status: 'pending' });
});

test('a slot no longer held by this request refuses the activation (ConcurrentModification, retried by the step)', async () => {
  const w = await completed();
  // What the store's condition on the slot guards against: it no longer belongs to this request.
  const stored = (await w.store.getRequest('req-1'))!;
  w.store.put({ ...stored, request: { ...stored.request, id: 'req-9', version: 1 } });
  await cancelRequest(w.deps, alice, 'req-1');
  await expect(activateGrant(w.deps, 'req-9')).rejects.toMatchObject({ name: 'ConcurrentModification' });
  expect(w.store.peek('req-9')).toMatchObject({ status: 'pending_approval' });
});

test('an extension is applied to the grant it extends, never activated: its execution waits on that grant, repeated or not', async () => {
  const w = await completed(600);
  await activateGrant(w.deps, 'req-1');
  const before = (w.store.peek('req-1') as { expiresAt: string }).expiresAt;
  await askExtension(w.deps, alice, 'req-1', { durationSeconds: 300 }, { linkBase: LINK_BASE });
  await awaitApproval(w.deps, 'req-2', 'T-2', LINK_BASE);
  // Approved as decide would leave it, without the memory workflow playing Activate.
  const stored = (await w.store.getRequest('req-2'))!;
  const start = grantTimes(300, w.clock.now());
  await w.store.saveRequest(stored, withState(stored.request, stored.request, { grantTimes: start }), []);

  const after = new Date(Date.parse(before) + 300_000).toISOString();
  const grant = w.store.peek('req-1') as { activatedAt: string };
  const waitFor = { requestId: 'req-1', ...grantTimesUntil(grant.activatedAt, after) };
  const reads = jest.spyOn(w.store, 'getRequest');
  expect(await activateGrant(w.deps, 'req-2')).toMatchObject(waitFor);
  // The extension once to route it, then the extension and its grant once each to apply it: the step
  // answers with what it wrote, not with what it reads again.
  expect(reads.mock.calls.map(([id]) => id)).toEqual(['req-2', 'req-2', 'req-1']);
  reads.mockRestore();
  expect(w.store.peek('req-2')).toMatchObject({ status: 'applied', expiresAt: after });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'active', expiresAt: after });
  expect(activatedEvents(w)).toHaveLength(1);

  expect(await activateGrant(w.deps, 'req-2')).toMatchObject(waitFor);
  expect(w.store.peek('req-1')).toMatchObject({ expiresAt: after });
  expect(w.notifier.events.filter((e) => e.type === 'grant.extended')).toHaveLength(1);
});

test('a failed announcement does not fail the step: the grant is active all the same', async () => {
  const w = await completed();
  w.notifier.publishEvent = async () => {
    throw new Error('SNS is down');
  };
  await expect(activateGrant(w.deps, 'req-1')).resolves.toMatchObject({ expiresAt: w.store.peek('req-1')!.grantTimes!.expiresAt });
  expect(w.store.peek('req-1')).toMatchObject({ status: 'active' });
});
