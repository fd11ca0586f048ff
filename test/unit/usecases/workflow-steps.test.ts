/** The steps the state machine runs through Lambda: each idempotent, each telling nobody twice. */
import { grantTimes } from '../../../shared/domain/grant';
import { cancelRequest } from '../../../shared/usecases/cancel-revoke';
import { decide } from '../../../shared/usecases/decisions';
import { createRequest } from '../../../shared/usecases/requests';
import { awaitApproval, endRequest, parkMfaToken, remindApprovers } from '../../../shared/usecases/workflow-steps';
import { demo } from '../../support/principals';
import { parseConfig } from '../../../shared/config/config';
import { depsForTest } from '../../support/memory/deps-for-test';
import { by, config, LINK_BASE, world } from './scenario';

const alice = demo('alice');
const bob = demo('bob');
const carol = demo('carol');

describe('parkMfaToken', () => {
  test('parks the token on the request; an answer that came first completes the step at once', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'door:open' }, { linkBase: LINK_BASE });
    // The answer arrived before MfaChallenge parked its token: answerMfa recorded the pass and the grant's times.
    const stored = (await w.store.getRequest('req-1'))!;
    const now = w.clock.now().toISOString();
    const times = grantTimes(3600, w.clock.now());
    const passed = {
      ...stored.request,
      mfa: { ...stored.request.mfa, passedAt: now },
      grantTimes: times,
      version: stored.request.version + 1,
    };
    await w.store.saveRequest(stored, passed, []);
    await parkMfaToken(w.deps, 'req-1', 'T-mfa');
    expect(w.workflow.answers).toEqual([expect.objectContaining({ token: 'T-mfa', succeeded: true })]);
    expect((await w.store.getRequest('req-1'))!.request.status).toBe('active');
    expect(w.notifier.events.filter((e) => e.type === 'grant.activated')).toHaveLength(1);
  });

  test('without an answer yet, the token waits on the request', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'door:open' }, { linkBase: LINK_BASE });
    await parkMfaToken(w.deps, 'req-1', 'T-mfa');
    expect(await w.store.getRequest('req-1')).toMatchObject({ request: { status: 'pending_mfa' }, tokens: { mfaTaskToken: 'T-mfa' } });
    expect(w.workflow.answers).toEqual([]);
  });

  test('a request without MFA: the step answers its own task at once and writes nothing', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
    const before = await w.store.getRequest('req-1');
    await parkMfaToken(w.deps, 'req-1', 'T-mfa');
    expect(w.workflow.answers).toEqual([{ token: 'T-mfa', succeeded: true, output: {} }]);
    expect(await w.store.getRequest('req-1')).toEqual(before);
  });

  test('a request no longer pending closes the step, with or without MFA', async () => {
    for (const action of ['prod:debug', 'door:open']) {
      const w = world();
      await createRequest(w.deps, alice, { action }, { linkBase: LINK_BASE });
      await cancelRequest(w.deps, alice, 'req-1');
      await expect(parkMfaToken(w.deps, 'req-1', 'T-mfa')).rejects.toMatchObject({ name: 'Closed' });
      expect(w.workflow.answers).toEqual([]);
    }
  });
});

describe('awaitApproval', () => {
  test('nothing to approve (auto-approved, MFA answered): the step answers with the grant, notifies and parks nothing', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'door:open' }, { linkBase: LINK_BASE });
    const stored = (await w.store.getRequest('req-1'))!;
    const times = grantTimes(3600, w.clock.now());
    const passed = { ...stored.request, mfa: { ...stored.request.mfa, passedAt: w.clock.now().toISOString() }, grantTimes: times };
    await w.store.saveRequest(stored, { ...passed, version: stored.request.version + 1 }, []);
    const before = await w.store.getRequest('req-1');
    await awaitApproval(w.deps, 'req-1', 'T-a', LINK_BASE);
    expect(w.workflow.answers).toEqual([{ token: 'T-a', succeeded: true, output: times }]);
    expect(w.notifier.sent).toEqual([]);
    expect(await w.store.getRequest('req-1')).toEqual(before);
  });

  test('notifies each approver once with a personal link; a re-parked token notifies nobody again', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
    await awaitApproval(w.deps, 'req-1', 'T1', LINK_BASE);
    expect(w.notifier.sent.map((m) => m.to).sort()).toEqual([bob.id, carol.id].sort());
    expect(w.notifier.sent.every((m) => m.text.includes(LINK_BASE))).toBe(true);
    await awaitApproval(w.deps, 'req-1', 'T2', LINK_BASE);
    expect(w.notifier.sent).toHaveLength(2);
    expect((await w.store.getRequest('req-1'))!.tokens).toEqual({ approvalTaskToken: 'T2' });
  });

  test('an approver SNS refused is recorded and audited, the step fails to be retried, and the retry reaches only them', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
    const notify = w.notifier.notifyApprover.bind(w.notifier);
    w.notifier.notifyApprover = async (to, ...rest) => {
      if (to === carol.id) throw new Error('ThrottlingException: Rate exceeded');
      return notify(to, ...rest);
    };
    await expect(awaitApproval(w.deps, 'req-1', 'T1', LINK_BASE)).rejects.toMatchObject({ name: 'DependencyUnavailable' });
    expect(w.notifier.sent.map((m) => m.to)).toEqual([bob.id]);
    expect(w.store.peek('req-1')).toMatchObject({ status: 'pending_approval', unreached: [carol.id] });
    expect(w.store.auditTrail('req-1').at(-1)).toMatchObject({ type: 'approvers_not_reached', details: { approvers: [carol.id] } });

    // The state machine's Retry: a fresh token, and only carol's message.
    w.notifier.notifyApprover = notify;
    await awaitApproval(w.deps, 'req-1', 'T2', LINK_BASE);
    expect(w.notifier.sent.map((m) => m.to)).toEqual([bob.id, carol.id]);
    expect(w.store.peek('req-1')!.unreached).toBeUndefined();
    // Reached now: a later segment sends nothing.
    await awaitApproval(w.deps, 'req-1', 'T3', LINK_BASE);
    expect(w.notifier.sent).toHaveLength(2);
    expect((await w.store.getRequest('req-1'))!.tokens).toEqual({ approvalTaskToken: 'T3' });
  });

  test('approvals that completed the quorum before the token was parked complete the step', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
    // Bob decides between two segments: no token is parked to hand the grant to.
    expect(await decide(w.deps, by(bob), 'req-1', 'approve', undefined)).toMatchObject({ status: 'pending_approval' });
    expect(w.workflow.answers).toEqual([]);
    await awaitApproval(w.deps, 'req-1', 'T2', LINK_BASE);
    expect((await w.store.getRequest('req-1'))!.request.status).toBe('active');
    expect(w.notifier.events.filter((e) => e.type === 'grant.activated')).toHaveLength(1);
  });
});

describe('remindApprovers', () => {
  const reminding = parseConfig({
    ...config,
    policies: [
      { action: 'vault:peek', approvals: { groups: { 'security-admins': 1 }, window: '1h', remindAfter: '10m' }, grant: { mode: 'once' } },
    ],
  });

  test('reminds the approvers once when the reminder is due, then leaves the rest of the window', async () => {
    const w = depsForTest({ config: reminding });
    await createRequest(w.deps, alice, { action: 'vault:peek' }, { linkBase: LINK_BASE });
    await awaitApproval(w.deps, 'req-1', 'T1', LINK_BASE);
    const state = w.workflow.started[0]!;
    expect(state).toMatchObject({ approvalWaitSeconds: 600, reminder: { afterSeconds: 600 }, approvalTimeoutSeconds: 3600 });
    w.clock.advance(600);
    const next = await remindApprovers(w.deps, state);
    expect(next).toEqual({ ...state, reminder: undefined, approvalTimeoutSeconds: 3000, approvalWaitSeconds: 3000 });
    expect(w.notifier.sent.slice(2).map((m) => m.subject)).toEqual([
      'Reminder: approval needed: vault:peek by Alice',
      'Reminder: approval needed: vault:peek by Alice',
    ]);
    await remindApprovers(w.deps, state);
    expect(w.notifier.sent).toHaveLength(4);
  });
});

describe('endRequest', () => {
  test('expires an active grant once: the second call changes nothing and tells nobody', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'reports:read' }, { linkBase: LINK_BASE });
    w.clock.advance(3600);
    expect(await endRequest(w.deps, 'req-1', 'expired')).toEqual({ changed: true });
    expect(await endRequest(w.deps, 'req-1', 'expired')).toEqual({ changed: false });
    expect((await w.store.getRequest('req-1'))!.request.status).toBe('expired');
    expect(w.notifier.events.filter((e) => e.type === 'grant.ended')).toHaveLength(1);
    expect(await w.store.getGrantSlot(alice.id, 'reports:read', '*')).toBeUndefined();
  });

  test('an end moved later than the one waited for (an extension) ends nothing and answers the new times', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'reports:read' }, { linkBase: LINK_BASE });
    const stored = (await w.store.getRequest('req-1'))!;
    const active = stored.request as Extract<typeof stored.request, { status: 'active' }>;
    const waited = active.expiresAt;
    const later = new Date(Date.parse(waited) + 600_000).toISOString();
    await w.store.saveRequest(stored, { ...active, expiresAt: later, version: active.version + 1 }, []);
    w.clock.advance(3600);
    // An answer, not an error (an error would count against the function errors alarm); the warning
    // moves with the end: a fifth of the whole grant before it, at most 5 minutes.
    expect(await endRequest(w.deps, 'req-1', 'expired', waited)).toEqual({
      changed: false,
      expiresAt: later,
      expiringAt: new Date(Date.parse(later) - 300_000).toISOString(),
    });
    expect((await w.store.getRequest('req-1'))!.request.status).toBe('active');
    expect(w.notifier.events.filter((e) => e.type === 'grant.ended')).toHaveLength(0);
    // At the new end, waited for, it expires.
    w.clock.advance(600);
    expect(await endRequest(w.deps, 'req-1', 'expired', later)).toEqual({ changed: true });
    expect((await w.store.getRequest('req-1'))!.request.status).toBe('expired');
  });

  test('times out a request still waiting; one already decided stays as it is', async () => {
    const w = world();
    await createRequest(w.deps, alice, { action: 'prod:debug' }, { linkBase: LINK_BASE });
    expect(await endRequest(w.deps, 'req-1', 'timed_out')).toEqual({ changed: true });
    expect(await endRequest(w.deps, 'req-1', 'timed_out')).toEqual({ changed: false });
    expect(w.store.auditTrail('req-1').map((e) => e.type)).toEqual(['created', 'timed_out']);
    expect(w.metrics.total('RequestsTimedOut')).toBe(1);
  });
});
