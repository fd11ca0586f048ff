/** Asking, cancelling and revoking, against the in-memory ports. */
import { verifyChains } from '../../../shared/domain/audit-chain';
import { cancelRequest, createRequest, revokeGrant } from '../../../shared/usecases/requests';
import { awaitApproval } from '../../../shared/usecases/workflow-steps';
import { decide } from '../../../shared/usecases/decisions';
import { demo } from '../../support/principals';
import { by, LINK_BASE, world } from './scenario';

const alice = demo('alice');
const bob = demo('bob');
const dave = demo('dave');

describe('createRequest', () => {
  test('alice reads reports: auto-approved, active at once, and told so', async () => {
    const w = world();
    const { created, request } = await createRequest(w.deps, alice, { action: 'reports:read' }, { linkBase: LINK_BASE });
    expect(created).toBe(true);
    expect(request).toMatchObject({ id: 'req-1', status: 'active', autoApproved: true });
    expect(w.workflow.started).toEqual([expect.objectContaining({ requestId: 'req-1', mfa: false, approval: false, requester: alice.id })]);
    expect(w.notifier.events.map((e) => e.type)).toEqual(['request.created', 'grant.activated']);
    expect((await w.store.getGrantSlot(alice.id, 'reports:read', '*'))).toMatchObject({ requestId: 'req-1', status: 'active' });
    expect(w.store.auditTrail('req-1').map((e) => e.type)).toEqual(['created', 'activated']);
    expect(verifyChains(await w.store.readChains()).ok).toBe(true);
  });

  test('alice asks to debug production: it waits for a security admin, and the execution knows where the items are', async () => {
    const w = world();
    const { request } = await createRequest(w.deps, alice, { action: 'prod:debug', justification: 'checkout is failing' }, { linkBase: LINK_BASE });
    expect(request.status).toBe('pending_approval');
    expect(w.workflow.started).toEqual([expect.objectContaining({ approval: true, ...w.store.activationKeys((await w.store.getRequest('req-1'))!.request) })]);
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
    await expect(createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE, idempotencyKey: 'k1' })).resolves.toMatchObject({ created: false });
    await expect(createRequest(w.deps, alice, { action: 'reports:read' }, { linkBase: LINK_BASE, idempotencyKey: 'k1' })).rejects.toMatchObject({ status: 422 });
  });

  test('a policy denial is refused and audited on the journal', async () => {
    const w = world();
    await expect(createRequest(w.deps, dave, { action: 'projects:delete', resource: 'projects/42', justification: 'cleanup of old data' }, { linkBase: LINK_BASE }))
      .rejects.toMatchObject({ name: 'PolicyDenied' });
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
