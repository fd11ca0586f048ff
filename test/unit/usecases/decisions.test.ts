/** An approver's decision: quorum, denial, refusals, and the race two writers run. */
import { ConcurrentModification } from '../../../shared/domain/errors';
import { withState } from '../../../shared/domain/request';
import { decide } from '../../../shared/usecases/decisions';
import { createRequest } from '../../../shared/usecases/requests';
import { awaitApproval } from '../../../shared/usecases/workflow-steps';
import { demo } from '../../support/principals';
import { by, LINK_BASE, world } from './scenario';

const alice = demo('alice');
const bob = demo('bob');
const carol = demo('carol');

async function waitingFor(action: string) {
  const w = world();
  await createRequest(w.deps, alice, { action }, { linkBase: LINK_BASE });
  await awaitApproval(w.deps, 'req-1', 'T-approval', LINK_BASE);
  return w;
}

test('quorum: vault:open needs two security admins; the first approval waits, the second activates the grant', async () => {
  const w = await waitingFor('vault:open');
  expect(await decide(w.deps, by(bob), 'req-1', 'approve', undefined)).toMatchObject({ status: 'pending_approval' });
  expect(w.workflow.answers).toEqual([]);
  const view = await decide(w.deps, by(carol), 'req-1', 'approve', 'checked the ticket');
  // The answer is the request as decided; the workflow (here in memory) activates it and publishes the notice.
  expect(view).toMatchObject({ status: 'pending_approval', waitingFor: { activation: true } });
  expect(w.workflow.answers).toEqual([expect.objectContaining({ token: 'T-approval', succeeded: true })]);
  expect(w.store.peek('req-1')).toMatchObject({ status: 'active' });
  expect(w.store.auditTrail('req-1').map((e) => e.type)).toEqual(['created', 'approvers_notified', 'approved', 'approved', 'activated']);
  expect(w.notifier.events.filter((e) => e.type === 'grant.activated')).toHaveLength(1);
  // One approved request (the quorum, not each approval), one time to decision.
  expect(w.metrics.recorded.filter((m) => m.name !== 'RequestsCreated')).toEqual([
    { name: 'RequestsApproved', value: 1 },
    { name: 'TimeToDecision', value: 0 },
  ]);
});

test('deny: one "no" ends the request, closes the waiting step, and tells the requester why', async () => {
  const w = await waitingFor('prod:debug');
  const view = await decide(w.deps, by(bob), 'req-1', 'deny', 'use staging');
  expect(view).toMatchObject({ status: 'denied', reason: 'use staging' });
  expect(w.workflow.answers).toEqual([{ token: 'T-approval', succeeded: false, cause: 'denied by an approver' }]);
  expect(w.notifier.events.at(-1)).toMatchObject({ type: 'request.denied', body: expect.objectContaining({ reason: 'use staging' }) });
  expect(await w.store.getGrantSlot(alice.id, 'prod:debug', '*')).toBeUndefined();
  expect(w.metrics.total('RequestsDenied')).toBe(1);
});

test('the requester cannot approve their own request, and the attempt is on the record', async () => {
  const w = await waitingFor('prod:debug');
  await expect(decide(w.deps, by({ ...alice, groups: ['security-admins'] }), 'req-1', 'approve', undefined)).rejects.toMatchObject({
    name: 'SelfApproval',
  });
  expect(w.store.auditTrail('req-1').at(-1)).toMatchObject({
    type: 'decision_refused',
    details: expect.objectContaining({ refusal: 'SelfApproval' }),
  });
});

test('the approval window closes on the clock', async () => {
  const w = await waitingFor('prod:debug');
  w.clock.advance(31 * 60);
  await expect(decide(w.deps, by(bob), 'req-1', 'approve', undefined)).rejects.toMatchObject({ name: 'WindowClosed' });
});

describe('two writers', () => {
  test('a write based on a stale read loses with ConcurrentModification', async () => {
    const w = await waitingFor('prod:debug');
    const stale = (await w.store.getRequest('req-1'))!;
    await decide(w.deps, by(bob), 'req-1', 'approve', undefined);
    await expect(w.store.saveRequest(stale, withState(stale.request, stale.request), [])).rejects.toBeInstanceOf(ConcurrentModification);
  });

  test('recording an event moves the version, so a writer that read before it loses too', async () => {
    const w = await waitingFor('prod:debug');
    const stale = (await w.store.getRequest('req-1'))!;
    await w.store.recordAudit([{ requestId: 'req-1', type: 'decision_refused', actor: carol.id, at: w.clock.now().toISOString() }]);
    await expect(w.store.saveRequest(stale, withState(stale.request, stale.request), [])).rejects.toBeInstanceOf(ConcurrentModification);
  });

  test('bob and carol race: carol writes first, bob re-reads, finds the request decided and gets 409', async () => {
    const w = await waitingFor('prod:debug');
    const save = w.store.saveRequest.bind(w.store);
    let raced = false;
    w.store.saveRequest = async (before, after, audit, tokens) => {
      if (!raced) {
        raced = true;
        await decide(w.deps, by(carol), 'req-1', 'approve', undefined);
      }
      return save(before, after, audit, tokens);
    };
    await expect(decide(w.deps, by(bob), 'req-1', 'approve', undefined)).rejects.toMatchObject({ status: 409 });
    expect(
      w.store
        .auditTrail('req-1')
        .filter((e) => e.type === 'approved')
        .map((e) => e.actor),
    ).toEqual([carol.id]);
    expect(w.workflow.answers).toHaveLength(1);
  });
});
