/**
 * Quorum rules beyond counting approvals: how many denials end a request, and the
 * reminders and escalation the state machine sends while approvals are missing.
 * The use cases run against in-memory fakes of the store, workflow and notifier.
 */
import { denials, firstNudgeSeconds, nudgeOffsets, nudgePlan, undecidedApprovers } from '../../../shared/domain/approvals';
import type { ExecutionInput } from '../../../shared/usecases/ports';
import { parseConfig, type Config } from '../../../shared/config/config';
import { principalId, type Principal } from '../../../shared/domain/identity';
import { requirementsOf } from '../../../shared/domain/policy';
import type { Approval, JitRequest } from '../../../shared/domain/request';
import { decide } from '../../../shared/usecases/decisions';
import { approversFor, escalationRecipients, nextSegment, remindApprovers } from '../../../shared/usecases/workflow-steps';
import { findLinks } from '../../../local/outbox';
import { resumePlan } from '../../../local/resume';
import { STATE } from '../../../infra/states';
import { readDemoConfig } from '../../support/demo-config';
import { depsForTest } from '../../support/memory/deps-for-test';
import { demo } from '../../support/principals';

const demoConfig = readDemoConfig();

const ISSUER = demoConfig.issuers.dev.issuer;
const id = (sub: string) => principalId(ISSUER, sub);

const config: Config = parseConfig({
  ...demoConfig,
  approverGroups: {
    ...demoConfig.approverGroups,
    'security-admins': {
      members: [
        ...demoConfig.approverGroups['security-admins'].members,
        { issuer: 'dev', sub: 'dan', email: 'dan@example.com', name: 'Dan' },
      ],
    },
    'security-leads': {
      members: [
        { issuer: 'dev', sub: 'carol', email: 'carol@example.com', name: 'Carol' },
        { issuer: 'dev', sub: 'lena', email: 'lena@example.com', name: 'Lena' },
        { issuer: 'dev', sub: 'alice', email: 'alice@example.com' },
      ],
    },
  },
  policies: [
    ...demoConfig.policies,
    {
      action: 'vault:open',
      approvals: {
        groups: { 'security-admins': 1 },
        window: '1h',
        denials: 2,
        remindAfter: '10m',
        escalate: { group: 'security-leads', before: '5m' },
      },
      grant: { mode: 'once' },
    },
    { action: 'vault:peek', approvals: { groups: { 'security-admins': 1 }, window: '1h' }, grant: { mode: 'once' } },
  ],
});
const policy = (action: string) => config.policies.find((p) => p.action === action)!;

const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

function pendingRequest(action: string, approvals: Approval[] = []): Extract<JitRequest, { status: 'pending_approval' }> {
  const requirements = requirementsOf(policy(action));
  const base = {
    id: 'req-1',
    action,
    resource: 'vault/1',
    justification: 'audit',
    requester: { id: id('alice'), issuer: ISSUER, sub: 'alice', name: 'Alice' },
    policy: { action },
    requirements,
    durationSeconds: 300,
    createdAt: at(0).toISOString(),
    version: 1,
    mfa: { required: false, failures: 0 },
    approvals,
    notified: [],
    autoApproved: false,
    status: 'pending_approval' as const,
    approvalDeadline: at(60).toISOString(),
  };
  return { ...base, notified: approversFor(config, base as JitRequest) };
}

/** The request as the earlier steps left it (approval token T1 parked), in the in-memory ports, with what they were asked to do. */
function fakes(request: JitRequest, start = at(1)) {
  const w = depsForTest({ config, now: start });
  w.store.put({ request, tokens: { approvalTaskToken: 'T1' } });
  const trail = () => w.store.auditTrail(request.id);
  return {
    deps: w.deps,
    /** Events of the writes that changed the request. */
    get audit() {
      return trail().filter((e) => e.type !== 'decision_refused');
    },
    /** Events that change no request (refused decisions). */
    get refused() {
      return trail().filter((e) => e.type === 'decision_refused');
    },
    sent: w.notifier.sent,
    events: w.notifier.events,
    get workflow() {
      return w.workflow.answers.map((a) => `${a.succeeded ? 'succeed' : 'fail'} ${a.token}`);
    },
    stored: () => w.store.peek(request.id)!,
    setNow: (d: Date) => w.clock.set(d),
  };
}

const as = (p: Principal) => ({ person: p, groups: p.groups, via: 'api' as const });
/** Dan is a configured approver the demo IdP does not know: his token would say security-admins. */
const dan = () => ({ ...demo('dan'), groups: ['security-admins'] });

describe('denials', () => {
  test('the policy says how many denials end a request; one by default', () => {
    expect(requirementsOf(policy('vault:open')).denials).toBe(2);
    expect(requirementsOf(policy('vault:peek')).denials).toBeUndefined();
    expect(denials(pendingRequest('vault:peek'))).toEqual({ required: 1, deniedBy: [], remaining: 1 });
    expect(denials(pendingRequest('vault:open'))).toEqual({ required: 2, deniedBy: [], remaining: 2 });
  });

  test('a single denial ends the request by default, and the requester is told why', async () => {
    const f = fakes(pendingRequest('vault:peek'));
    const view = await decide(f.deps, as(demo('bob')), 'req-1', 'deny', 'use staging');
    expect(view).toMatchObject({ status: 'denied', reason: 'use staging' });
    expect(f.workflow).toEqual(['fail T1']);
    expect(f.audit).toEqual([
      expect.objectContaining({ type: 'denied', reason: 'use staging', details: expect.objectContaining({ final: true }) }),
    ]);
    expect(f.events).toEqual([
      {
        type: 'request.denied',
        requester: id('alice'),
        body: expect.objectContaining({
          requestId: 'req-1',
          requester: id('alice'),
          action: 'vault:peek',
          resource: 'vault/1',
          outcome: 'denied',
          reason: 'use staging',
        }),
      },
    ]);
  });

  test('with denials: 2, the first is recorded and the request keeps waiting; the second ends it', async () => {
    const f = fakes(pendingRequest('vault:open'));
    const first = await decide(f.deps, as(demo('bob')), 'req-1', 'deny', 'not now');
    expect(first.status).toBe('pending_approval');
    expect(f.audit).toEqual([
      expect.objectContaining({
        type: 'denied',
        actor: id('bob'),
        details: expect.objectContaining({ final: false, denials: 1, denialsRequired: 2 }),
      }),
    ]);
    expect(f.workflow).toEqual([]);
    expect(f.events).toEqual([]);
    // Bob has decided; his second try, by API or link, is refused.
    await expect(decide(f.deps, as(demo('bob')), 'req-1', 'deny', undefined)).rejects.toMatchObject({ status: 409 });
    await expect(decide(f.deps, as(demo('bob')), 'req-1', 'approve', undefined)).rejects.toMatchObject({ status: 409 });
    expect(f.refused).toEqual([
      expect.objectContaining({
        type: 'decision_refused',
        actor: id('bob'),
        details: expect.objectContaining({ decision: 'deny', refusal: 'AlreadyDecided' }),
      }),
      expect.objectContaining({
        type: 'decision_refused',
        actor: id('bob'),
        details: expect.objectContaining({ decision: 'approve', refusal: 'AlreadyDecided' }),
      }),
    ]);

    const second = await decide(f.deps, as(demo('carol')), 'req-1', 'deny', 'agree with bob');
    expect(second).toMatchObject({ status: 'denied', reason: 'agree with bob' });
    expect(f.workflow).toEqual(['fail T1']);
    expect(f.events).toHaveLength(1);
    expect(f.events[0]!.body).toMatchObject({
      outcome: 'denied',
      reason: 'agree with bob',
      denials: [
        { by: id('bob'), reason: 'not now' },
        { by: id('carol'), reason: 'agree with bob' },
      ],
    });
    // Everyone else's link / call now finds it decided.
    await expect(decide(f.deps, as(dan()), 'req-1', 'approve', undefined)).rejects.toMatchObject({ status: 409 });
  });

  test('a denial below the threshold does not stop an approval from completing the quorum', async () => {
    const f = fakes(pendingRequest('vault:open'));
    await decide(f.deps, as(demo('bob')), 'req-1', 'deny', undefined);
    const approved = await decide(f.deps, as(dan()), 'req-1', 'approve', undefined);
    // The answer is the request as decided; the state machine activates it and tells the requester.
    expect(approved).toMatchObject({ status: 'pending_approval', waitingFor: { activation: true } });
    expect(f.workflow).toEqual(['succeed T1']);
    // The workflow (here the in-memory one playing Activate) commits the grant at the times the
    // decision fixed and publishes the notice; the decision itself publishes nothing, so it is the only event.
    const expiresAt = f.stored().grantTimes?.expiresAt;
    expect(f.stored()).toMatchObject({ status: 'active', expiresAt });
    expect(f.events).toEqual([
      {
        type: 'grant.activated',
        requester: id('alice'),
        body: expect.objectContaining({ outcome: 'activated', action: 'vault:open', expiresAt, approvedBy: [id('dan')] }),
      },
    ]);
  });
});

describe('when reminders and escalation are due', () => {
  const requirements = requirementsOf(policy('vault:open'));

  test('offsets from the opening of the window, earliest first', () => {
    expect(requirements).toMatchObject({ remindAfterSeconds: 600, escalate: { group: 'security-leads', beforeSeconds: 300 } });
    expect(nudgeOffsets(requirements)).toEqual([
      { kind: 'remind', afterSeconds: 600 },
      { kind: 'escalate', afterSeconds: 3300 },
    ]);
    expect(firstNudgeSeconds(requirements)).toBe(600);
    expect(firstNudgeSeconds(requirementsOf(policy('vault:peek')))).toBeUndefined();
  });

  test('the plan at each point of the window', () => {
    const r = pendingRequest('vault:open');
    expect(nudgePlan(r, at(1))).toEqual({
      due: [],
      next: { kind: 'remind', at: at(10).toISOString(), inSeconds: 540 },
      closesInSeconds: 3540,
    });
    // A segment that ends a moment before the nudge (it started before the deadline was set) counts it as due.
    expect(nudgePlan(r, new Date(at(10).getTime() - 400)).due).toEqual(['remind']);
    expect(nudgePlan(r, at(10))).toEqual({
      due: ['remind'],
      next: { kind: 'escalate', at: at(55).toISOString(), inSeconds: 2700 },
      closesInSeconds: 3000,
    });
    expect(nudgePlan({ ...r, remindedAt: at(10).toISOString() }, at(55))).toEqual({ due: ['escalate'], closesInSeconds: 300 });
    // Overdue after a long pause: both at once.
    expect(nudgePlan(r, at(58)).due).toEqual(['remind', 'escalate']);
    // The window has closed: nothing to nudge.
    expect(nudgePlan(r, at(61))).toEqual({ due: [], closesInSeconds: 1 });
  });

  test('config: the escalation group must exist and both must come before the window closes', () => {
    const bad = {
      ...demoConfig,
      policies: [
        ...demoConfig.policies,
        {
          action: 'x:y',
          approvals: { groups: { 'security-admins': 1 }, window: '10m', remindAfter: '10m', escalate: { group: 'nobody', before: '1h' } },
          grant: { mode: 'once' },
        },
      ],
    };
    expect(() => parseConfig(bad)).toThrow(
      new RegExp(
        [
          'remindAfter: .*shorter than window',
          'escalate\\.group: approver group "nobody" is not defined',
          'escalate\\.before: .*shorter than window',
        ].join('[\\s\\S]*'),
      ),
    );
  });
});

describe('the Remind step', () => {
  const state: ExecutionInput = {
    requestId: 'req-1',
    mfaTimeoutSeconds: 600,
    approvalTimeoutSeconds: 3600,
    approvalWaitSeconds: 600,
    linkBase: 'http://127.0.0.1:4000/approve/',
    requester: id('alice'),
    reminder: { afterSeconds: 600 },
  };

  test('reminds the undecided approvers who can still count, once; then escalates; then leaves the rest of the window', async () => {
    const bobDenied: Approval = {
      approver: { id: id('bob'), issuer: ISSUER, sub: 'bob' },
      decision: 'deny',
      groups: ['security-admins'],
      at: at(2).toISOString(),
      via: 'api',
    };
    const f = fakes(pendingRequest('vault:open', [bobDenied]), at(10));
    expect(undecidedApprovers(f.stored()).map((a) => a.sub)).toEqual(['carol', 'dan']);

    const next = await remindApprovers(f.deps, state);
    // The next wait ends at the escalation; the whole window stays where a failed Remind finds it.
    expect(next).toEqual({ ...state, approvalWaitSeconds: 2700, reminder: { afterSeconds: 2700 } });
    expect(f.sent.map((m) => m.to)).toEqual([id('carol'), id('dan')]);
    for (const m of f.sent) {
      expect(m.subject).toBe('Reminder: approval needed: vault:open by Alice');
      expect(findLinks(m.text)).toEqual([expect.stringMatching(/^http:\/\/127\.0\.0\.1:4000\/approve\/[\w-]+\.[\w-]+$/)]);
      expect(m.html).toContain('<!doctype html>');
    }
    expect(f.stored().remindedAt).toBe(at(10).toISOString());
    expect(f.audit).toEqual([expect.objectContaining({ type: 'approvers_reminded', details: { approvers: [id('carol'), id('dan')] } })]);

    // A retried step sends nothing again.
    expect(await remindApprovers(f.deps, state)).toEqual(next);
    expect(f.sent).toHaveLength(2);

    f.setNow(at(55));
    const last = await remindApprovers(f.deps, next);
    // No nudge left: AwaitApproval waits for the rest of the window.
    expect(last).toEqual({ ...state, reminder: undefined, approvalTimeoutSeconds: 300, approvalWaitSeconds: 300 });
    expect('reminder' in last).toBe(false);
    const escalation = f.sent.slice(2);
    // Carol is also an approver: her personal link. Lena is only in the escalation group: told, no link. Alice asked: never.
    expect(escalation.map((m) => m.to)).toEqual([id('carol'), id('lena')]);
    expect(findLinks(escalation[0]!.text)).toHaveLength(1);
    expect(escalation[0]!.text).toContain('You are told because you are in security-leads.');
    expect(findLinks(escalation[1]!.text)).toEqual([]);
    expect(escalation[1]!.text).toContain('You cannot decide it yourself');
    expect(f.audit.at(-1)).toMatchObject({
      type: 'escalated',
      details: { group: 'security-leads', recipients: [id('carol'), id('lena')], canDecide: [id('carol')] },
    });
    expect(await remindApprovers(f.deps, last)).toEqual(last);
    expect(f.sent).toHaveLength(4);
  });

  test('an execution started on the earlier definition gets from Remind the fields that definition reads', () => {
    // Its NeedsApproval read $.approval and $.reminder; AwaitApprovalUntilReminder waited $.reminder.afterSeconds, the
    // plain AwaitApproval $.approvalTimeoutSeconds. It calls the updated function with its own state.
    const earlier = { requestId: 'req-1', mfa: false, approval: true, mfaTimeoutSeconds: 600, approvalTimeoutSeconds: 3600 };
    const old = { ...earlier, linkBase: 'http://x/approve/', reminder: { afterSeconds: 600 } } as unknown as ExecutionInput;
    const plan = (next?: number) => ({
      due: [],
      closesInSeconds: 300,
      ...(next ? { next: { kind: 'escalate' as const, at: '', inSeconds: next } } : {}),
    });
    expect(nextSegment(old, plan(2700))).toMatchObject({ ...earlier, reminder: { afterSeconds: 2700 } });
    const last = nextSegment(old, plan());
    expect(last).toMatchObject({ ...earlier, approvalTimeoutSeconds: 300 });
    expect('reminder' in last).toBe(false);
  });

  test('escalation skips whoever has decided already', () => {
    const carolApproved: Approval = {
      approver: { id: id('carol'), issuer: ISSUER, sub: 'carol' },
      decision: 'deny',
      groups: ['security-admins'],
      at: at(2).toISOString(),
      via: 'api',
    };
    expect(escalationRecipients(config, pendingRequest('vault:open', [carolApproved])).map((r) => r.id)).toEqual([id('lena')]);
  });

  test('a request that is no longer pending ends the execution quietly (Closed)', async () => {
    const f = fakes(
      { ...pendingRequest('vault:open'), status: 'cancelled', cancelledAt: at(3).toISOString() } as unknown as JitRequest,
      at(10),
    );
    await expect(remindApprovers(f.deps, state)).rejects.toMatchObject({ name: 'Closed' });
    expect(f.sent).toEqual([]);
  });
});

describe('resuming after a restart', () => {
  test('a request waiting for approvals resumes in AwaitApproval: until the next nudge still to send, else the window closes', () => {
    const r = pendingRequest('vault:open');
    const plan = resumePlan(r, 'http://x/approve/', at(5));
    expect(plan.startAt).toBe(STATE.awaitApproval);
    expect(plan.input).toMatchObject({ requester: id('alice'), approvalWaitSeconds: 300, reminder: { afterSeconds: 300 } });
    const done = resumePlan({ ...r, remindedAt: at(10).toISOString(), escalatedAt: at(55).toISOString() }, 'http://x/approve/', at(56));
    expect(done.startAt).toBe(STATE.awaitApproval);
    expect(done.input).toMatchObject({ approvalTimeoutSeconds: 240, approvalWaitSeconds: 240 });
    expect(done.input.reminder).toBeUndefined();
    // A nudge overdue during the restart: at once.
    const overdue = resumePlan(r, 'http://x/approve/', at(20));
    expect(overdue.input).toMatchObject({ approvalWaitSeconds: 1, reminder: { afterSeconds: 1 } });
    expect(resumePlan(pendingRequest('vault:peek'), 'http://x/approve/', at(5)).startAt).toBe(STATE.awaitApproval);
  });

  test('a request waiting for its MFA answer resumes in MfaChallenge, with the first approval wait of a new request', () => {
    const waitingForMfa = (action: string) =>
      ({
        ...pendingRequest(action),
        status: 'pending_mfa',
        mfaDeadline: at(10).toISOString(),
        mfa: { required: true, failures: 0 },
      }) as unknown as JitRequest;
    const plain = resumePlan(waitingForMfa('vault:peek'), 'http://x/approve/', at(5));
    expect(plain).toMatchObject({ startAt: STATE.mfaChallenge, input: { mfaTimeoutSeconds: 300, approvalWaitSeconds: 3600 } });
    expect(plain.input.reminder).toBeUndefined();
    // Reminders to send: the first wait ends at the first nudge, counted from when AwaitApproval starts.
    const nudged = resumePlan(waitingForMfa('vault:open'), 'http://x/approve/', at(5));
    expect(nudged).toMatchObject({ startAt: STATE.mfaChallenge, input: { approvalWaitSeconds: 600, reminder: { afterSeconds: 600 } } });
  });

  test('an auto-approved request resumes at Activate; an extension too, with `extends` (Activate applies it)', () => {
    const r = { ...pendingRequest('vault:peek'), autoApproved: true };
    expect(resumePlan(r, 'http://x/approve/', at(5)).startAt).toBe(STATE.activate);
    const extension = resumePlan({ ...r, extends: 'grant-1' }, 'http://x/approve/', at(5));
    expect(extension).toMatchObject({ startAt: STATE.activate, input: { extends: 'grant-1' } });
  });
});
