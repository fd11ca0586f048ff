/** Asking, cancelling and revoking, against the in-memory ports. */
import { verifyChains } from '../../../shared/domain/audit-chain';
import { cancelRequest, revokeGrant } from '../../../shared/usecases/cancel-revoke';
import { createRequest } from '../../../shared/usecases/requests';
import { awaitApproval } from '../../../shared/usecases/workflow-steps';
import { decide } from '../../../shared/usecases/decisions';
import { executionInput } from '../../../shared/usecases/execution-input';
import { demo } from '../../support/principals';
import { by, LINK_BASE, world } from './scenario';

const alice = demo('alice');
const bob = demo('bob');
const dave = demo('dave');

describe('createRequest', () => {
  test('alice reads reports: auto-approved, activated by the workflow as it starts, and told so', async () => {
    const w = world();
    const { created, request } = await createRequest(w.deps, alice, { action: 'reports:read' }, { linkBase: LINK_BASE });
    expect(created).toBe(true);
    // The answer waits only for activation, which the execution does (here the in-memory workflow, right after start).
    expect(request).toMatchObject({ id: 'req-1', status: 'pending_approval', autoApproved: true, waitingFor: { activation: true } });
    expect(w.store.peek('req-1')).toMatchObject({ status: 'active' });
    // The grant's times in the input: MfaChallenge and AwaitApproval answer themselves.
    expect(w.workflow.started).toEqual([expect.objectContaining({ requestId: 'req-1', grant: expect.anything(), requester: alice.id })]);
    // Each once; the execution may announce the grant before the API has published request.created.
    expect(w.notifier.events.map((e) => e.type).sort()).toEqual(['grant.activated', 'request.created']);
    expect(await w.store.getGrantSlot(alice.id, 'reports:read', '*')).toMatchObject({ requestId: 'req-1', status: 'active' });
    expect(w.store.auditTrail('req-1').map((e) => e.type)).toEqual(['created', 'activated']);
    expect(verifyChains(await w.store.readChains()).ok).toBe(true);
  });

  test('alice asks to debug production: it waits for a security admin, and the execution starts from the one input builder', async () => {
    const w = world();
    const { request } = await createRequest(
      w.deps,
      alice,
      { action: 'prod:debug', justification: 'checkout is failing' },
      { linkBase: LINK_BASE },
    );
    expect(request.status).toBe('pending_approval');
    // The state machine finds the items from the request id (shared/adapters/keys.ts); local mode's resume builds the same input.
    expect(w.workflow.started).toEqual([executionInput((await w.store.getRequest('req-1'))!.request, LINK_BASE, w.clock.now())]);
    expect(w.workflow.started[0]).toMatchObject({ requestId: 'req-1', approvalWaitSeconds: 1800, requester: alice.id });
    expect(w.notifier.events.map((e) => e.type)).toEqual(['request.created']);
  });

  test('asking again for the same thing while it waits returns the same request', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
    const again = await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
    expect(again).toMatchObject({ created: false, request: { id: 'req-1' } });
    expect(w.workflow.started).toHaveLength(1);
  });

  test('an Idempotency-Key names one request: the same body gets it back, another body is refused', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE, idempotencyKey: 'k1' });
    await expect(
      createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE, idempotencyKey: 'k1' }),
    ).resolves.toMatchObject({ created: false });
    await expect(
      createRequest(w.deps, alice, { action: 'reports:read' }, { linkBase: LINK_BASE, idempotencyKey: 'k1' }),
    ).rejects.toMatchObject({ status: 422 });
  });

  test('a policy denial is refused and audited on the journal', async () => {
    const w = world();
    await expect(
      createRequest(
        w.deps,
        dave,
        { action: 'projects:delete', resource: 'projects/42', justification: 'cleanup of old data' },
        { linkBase: LINK_BASE },
      ),
    ).rejects.toMatchObject({ name: 'PolicyDenied' });
    expect(w.store.auditTrail()).toEqual([expect.objectContaining({ type: 'denied_by_policy', actor: dave.id, chain: 'journal' })]);
    expect(w.workflow.started).toEqual([]);
  });
});

describe('cancelRequest', () => {
  test('the requester cancels: the waiting step ends quietly, the slot is free, the requester is told', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
    await awaitApproval(w.deps, 'req-1', 'T-approval', LINK_BASE);
    const view = await cancelRequest(w.deps, alice, 'req-1');
    expect(view.status).toBe('cancelled');
    expect(w.workflow.answers).toEqual([{ token: 'T-approval', succeeded: false, cause: 'cancelled by the requester' }]);
    expect(await w.store.getGrantSlot(alice.id, 'prod:debug', '*')).toBeUndefined();
    expect(w.notifier.events.at(-1)).toMatchObject({ type: 'request.cancelled', requester: alice.id });
  });

  test('only the requester may cancel', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
    await expect(cancelRequest(w.deps, bob, 'req-1')).rejects.toMatchObject({ status: 403 });
  });
});

describe('revokeGrant', () => {
  test('the requester ends an active grant early; a stranger cannot see it', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
    await awaitApproval(w.deps, 'req-1', 'T-approval', LINK_BASE);
    await decide(w.deps, by(bob), 'req-1', 'approve', undefined);
    await expect(revokeGrant(w.deps, dave, 'req-1', 'mine now')).rejects.toMatchObject({ status: 404 });
    const view = await revokeGrant(w.deps, alice, 'req-1', 'done early');
    expect(view).toMatchObject({ status: 'revoked' });
    expect(await w.store.getGrantSlot(alice.id, 'prod:debug', '*')).toBeUndefined();
    expect(w.notifier.events.at(-1)).toMatchObject({ type: 'grant.ended', body: expect.objectContaining({ outcome: 'revoked' }) });
  });
});

test('metrics: every create counts, a break-glass create counts as a break-glass use too', async () => {
  const w = world();
  await createRequest(w.deps, demo('alice'), { action: 'prod:debug', resource: 'a' }, { linkBase: LINK_BASE });
  await createRequest(
    w.deps,
    demo('alice'),
    { action: 'prod:debug', resource: 'b', breakGlass: true, justification: 'incident 42: the database is down' },
    { linkBase: LINK_BASE },
  );
  expect(w.metrics.total('RequestsCreated')).toBe(2);
  expect(w.metrics.total('BreakGlassUses')).toBe(1);
});
