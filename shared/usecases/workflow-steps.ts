/**
 * The steps the state machine runs through Lambda: park a task token on the request
 * (MFA, approval), remind and escalate while approvals are missing, and end a request
 * (expired, timed out). Each is idempotent, so a retried invocation or a resumed
 * execution changes nothing twice and notifies nobody twice: what was sent is recorded
 * on the request (`notified`, `remindedAt`, `escalatedAt`) by the same version-checked
 * write that decides to send it, before sending.
 */
import { nudgePlan, undecidedApprovers, type NudgePlan } from '../domain/approvals';
import { auditEvent, type AuditEvent } from '../domain/audit';
import { Closed } from '../domain/closed';
import { DependencyUnavailable } from '../domain/errors';
import type { Config } from '../config/config';
import { groupMembers } from '../domain/identity';
import { grantTimesUntil } from '../domain/grant';
import { signLink } from '../domain/links';
import { approverMessage, escalationNotice, type Message } from '../domain/notification';
import { isPending, withState, type JitRequest, type NotifiedApprover } from '../domain/request';
import type { Deps } from '../runtime';
import type { ExecutionInput } from './ports';
import { addSeconds, load, withRetry } from './common';
import { tellRequester } from './outcomes';

type PendingApproval = Extract<JitRequest, { status: 'pending_approval' }>;

/**
 * MfaChallenge, where every execution starts: parks the token until the requester answers.
 * A request without MFA has nothing to wait for: the step answers its own task at once (no
 * write), so no Choice is needed to skip it (a transition on every lifecycle).
 */
export async function parkMfaToken(deps: Deps, requestId: string, taskToken: string): Promise<void> {
  const stored = await withRetry(async () => {
    const s = await load(deps, requestId);
    if (!s.request.mfa.required && isPending(s.request)) return s;
    if (s.request.status !== 'pending_mfa') throw new Closed(`request is ${s.request.status}`);
    await deps.store.saveRequest(s, withState(s.request, s.request), [], { ...s.tokens, mfaTaskToken: taskToken });
    return s;
  });
  // No MFA, or the answer came before the token was parked: complete the step now.
  if (!stored.request.mfa.required || stored.request.mfa.passedAt) await deps.workflow.succeed(taskToken, stored.request.grantTimes ?? {});
}

/**
 * AwaitApproval: parks the token and, the first time, notifies each approver. A request
 * with nothing to approve (auto-approved by its policy) answers its own task at once with
 * the grant's times, fixed at creation or at the MFA answer.
 */
export async function awaitApproval(deps: Deps, requestId: string, taskToken: string, linkBase: string): Promise<void> {
  const { request, firstTime } = await withRetry(async () => {
    const s = await load(deps, requestId);
    if (!isPending(s.request)) throw new Closed(`request is ${s.request.status}`);
    if (s.request.autoApproved) return { request: s.request, firstTime: false };
    const now = deps.now();
    const firstTime = s.request.notified.length === 0;
    const notified = firstTime ? approversFor(deps.config, s.request) : s.request.notified;
    // The window opens when approval is first asked for: at creation without MFA (createRequest
    // set the deadline), after the MFA answer otherwise. A re-parked token (reminder segments,
    // a resumed execution) never moves it.
    const deadline =
      s.request.status === 'pending_approval' ? s.request.approvalDeadline : addSeconds(now, s.request.requirements.approvalWindowSeconds);
    const next = withState(s.request, { status: 'pending_approval', approvalDeadline: deadline }, { notified });
    const audit = firstTime
      ? [auditEvent(requestId, 'approvers_notified', 'jitgate', now, { details: { approvers: notified.map((n) => n.id) } })]
      : [];
    await deps.store.saveRequest(s, next, audit, { approvalTaskToken: taskToken });
    return { request: next as PendingApproval, firstTime };
  });

  if (request.autoApproved) {
    await deps.workflow.succeed(taskToken, request.grantTimes ?? {});
    return;
  }
  const approving = request as PendingApproval;
  const due = firstTime ? approving.notified : approving.notified.filter((n) => approving.unreached?.includes(n.id));
  if (due.length) await sendLinks(deps, approving, due, linkBase);
  // Approvals that arrived before the token was parked may already complete the quorum.
  if (approving.grantTimes) await deps.workflow.succeed(taskToken, approving.grantTimes);
}

/**
 * Sends each due approver their personal link. The approvers were recorded as notified before
 * sending (so a link works the moment it arrives); the ones SNS refused are recorded as
 * `unreached`, audited, and the step fails with DependencyUnavailable: its Retry (infra/
 * workflow-states.ts) parks a fresh token and sends to them, and only them, again. Once all
 * are reached, `unreached` is cleared.
 */
async function sendLinks(deps: Deps, request: PendingApproval, due: NotifiedApprover[], linkBase: string): Promise<void> {
  const key = await deps.linkKey();
  const now = deps.now();
  const unreached: string[] = [];
  for (const approver of due) {
    const message = approverMessage(request, approver, personalLink(deps, key, request, approver, linkBase), { now });
    await send(deps, approver.id, message).catch(() => unreached.push(approver.id));
  }
  if (!unreached.length && !request.unreached?.length) return;
  await withRetry(async () => {
    const s = await load(deps, request.id);
    if (s.request.status !== 'pending_approval') return;
    const audit = unreached.length
      ? [auditEvent(request.id, 'approvers_not_reached', 'jitgate', deps.now(), { details: { approvers: unreached } })]
      : [];
    // The state argument is the whole request, so `unreached` goes on after it (the version stays as withState set it).
    const next = { ...withState(s.request, s.request), unreached: unreached.length ? unreached : undefined } as JitRequest;
    await deps.store.saveRequest(s, next, audit, s.tokens);
  });
  if (unreached.length) throw new DependencyUnavailable(`could not send ${unreached.length} approver message(s); retrying`);
}

function personalLink(deps: Deps, key: Buffer, request: PendingApproval, approver: NotifiedApprover, linkBase: string): string {
  const base = deps.publicUrl ? `${deps.publicUrl.replace(/\/$/, '')}/approve/` : linkBase;
  const expires = Math.floor(Date.parse(request.approvalDeadline) / 1000);
  return `${base}${signLink({ r: request.id, a: approver.id, g: approver.groups, e: expires }, key)}`;
}

function send(deps: Deps, to: string, message: Message): Promise<void> {
  return deps.notifier.notifyApprover(to, message.subject, message.text, message.html);
}

/**
 * The state machine's Remind step (infra/workflow.ts), run when an approval segment
 * times out at a nudge: sends what is due (the reminder to the approvers who have not
 * decided and could still count; the escalation to the escalation group), records it,
 * and returns the execution state for the next segment: `approvalWaitSeconds` until the
 * next nudge (and `reminder`), or, when none is left, no `reminder` and the wait until the
 * window closes (what the state machine then does: infra/workflow.ts).
 *
 * Recorded before sending (at most once): a retried step finds `remindedAt` /
 * `escalatedAt` set and sends nothing again.
 */
export async function remindApprovers(deps: Deps, state: ExecutionInput): Promise<ExecutionInput> {
  const sent = await withRetry(async () => {
    const s = await load(deps, state.requestId);
    const r = s.request;
    if (r.status !== 'pending_approval') throw new Closed(`request is ${r.status}`);
    const now = deps.now();
    const plan = nudgePlan(r, now);
    if (plan.due.length === 0) return { request: r, reminded: [], escalated: [] };
    const reminded = plan.due.includes('remind') ? undecidedApprovers(r) : [];
    const escalated = plan.due.includes('escalate') ? escalationRecipients(deps.config, r) : [];
    const at = now.toISOString();
    const next = withState(
      r,
      { status: 'pending_approval', approvalDeadline: r.approvalDeadline },
      {
        ...(plan.due.includes('remind') ? { remindedAt: at } : {}),
        ...(plan.due.includes('escalate') ? { escalatedAt: at } : {}),
      },
    );
    const audit: AuditEvent[] = [];
    if (plan.due.includes('remind'))
      audit.push(auditEvent(r.id, 'approvers_reminded', 'jitgate', now, { details: { approvers: reminded.map((a) => a.id) } }));
    if (plan.due.includes('escalate')) {
      audit.push(
        auditEvent(r.id, 'escalated', 'jitgate', now, {
          details: {
            group: r.requirements.escalate?.group,
            recipients: escalated.map((e) => e.id),
            canDecide: escalated.filter((e) => e.approver).map((e) => e.id),
          },
        }),
      );
    }
    await deps.store.saveRequest(s, next, audit);
    return { request: next as PendingApproval, reminded, escalated };
  });

  if (sent.reminded.length || sent.escalated.length) {
    const request = sent.request as PendingApproval;
    const key = await deps.linkKey();
    const now = deps.now();
    const group = request.requirements.escalate?.group ?? '';
    const messages: [string, () => Message][] = [
      ...sent.reminded.map((a): [string, () => Message] => [
        a.id,
        () => approverMessage(request, a, personalLink(deps, key, request, a, state.linkBase), { kind: 'reminder', now }),
      ]),
      ...sent.escalated.map((e): [string, () => Message] => [
        e.id,
        () =>
          e.approver
            ? approverMessage(request, e.approver, personalLink(deps, key, request, e.approver, state.linkBase), {
                kind: 'escalation',
                group,
                now,
              })
            : escalationNotice(request, e.recipient, group, now),
      ]),
    ];
    // Best effort per recipient: one failed publish must not keep the others from theirs,
    // and retrying the step would not resend (it is recorded as sent).
    for (const [to, message] of messages) await send(deps, to, message()).catch(() => undefined);
  }
  return nextSegment(state, sent.request.status === 'pending_approval' ? nudgePlan(sent.request, deps.now()) : undefined);
}

/**
 * The execution state for the next approval segment. `reminder.afterSeconds` and
 * `approvalTimeoutSeconds` keep their meaning for executions started before AwaitApproval
 * read `approvalWaitSeconds` (they keep their definition, and call this function).
 */
export function nextSegment(state: ExecutionInput, plan: NudgePlan | undefined): ExecutionInput {
  const { reminder: _done, ...rest } = state;
  if (plan?.next) return { ...rest, approvalWaitSeconds: plan.next.inSeconds, reminder: { afterSeconds: plan.next.inSeconds } };
  const closesInSeconds = plan?.closesInSeconds ?? 1;
  return { ...rest, approvalTimeoutSeconds: closesInSeconds, approvalWaitSeconds: closesInSeconds };
}

interface EscalationRecipient {
  id: string;
  recipient: { name?: string; sub: string };
  /** Set when the member is also an approver of this request (notified for a required group): they get their personal link. */
  approver?: NotifiedApprover;
}

/**
 * The members of the policy's escalation group who have not decided, never the requester.
 * Those who are also approvers of the request (in a required group) can decide with
 * their personal link; the others are told, with no link: escalation informs, it does
 * not widen who may approve.
 */
export function escalationRecipients(config: Config, request: JitRequest): EscalationRecipient[] {
  const group = request.requirements.escalate?.group;
  if (!group) return [];
  const decided = new Set(request.approvals.map((a) => a.approver.id));
  const out = new Map<string, EscalationRecipient>();
  for (const member of groupMembers(config, group)) {
    const id = member.id;
    if (id === request.requester.id || decided.has(id) || out.has(id)) continue;
    const approver = request.notified.find((n) => n.id === id);
    out.set(id, { id, recipient: { sub: member.sub, ...(member.name ? { name: member.name } : {}) }, ...(approver ? { approver } : {}) });
  }
  return [...out.values()];
}

/** Each configured member of a required group, once, with all their required groups; never the requester. */
export function approversFor(config: Config, request: JitRequest): NotifiedApprover[] {
  const byId = new Map<string, NotifiedApprover>();
  for (const { group } of request.requirements.approvals) {
    for (const member of groupMembers(config, group)) {
      if (member.id === request.requester.id) continue;
      const existing = byId.get(member.id);
      if (existing) existing.groups.push(group);
      else byId.set(member.id, { ...member, groups: [group] });
    }
  }
  return [...byId.values()];
}

/**
 * What Expire / TimedOut return. `expiresAt` and `expiringAt` only when Expire found the grant
 * still active with an end later than the one its execution waited for (an extension was
 * applied): nothing changed. The extension's own execution waits for the new end and expires
 * the grant; an execution started before extensions did so reads the times and waits again.
 */
export interface EndOutcome {
  changed: boolean;
  expiresAt?: string;
  expiringAt?: string;
}

export async function endRequest(
  deps: Deps,
  requestId: string,
  outcome: 'expired' | 'timed_out',
  waitedUntil?: string,
): Promise<EndOutcome> {
  let moved: EndOutcome | undefined;
  const ended = await withRetry(async () => {
    const stored = await load(deps, requestId);
    const r = stored.request;
    const now = deps.now();
    if (outcome === 'expired') {
      if (r.status !== 'active') return undefined; // consumed or revoked before it expired
      // Later than the end the execution waited for: not the clock's word (Lambda's and Step Functions' clocks may differ by a little).
      if (waitedUntil !== undefined && Date.parse(r.expiresAt) > Date.parse(waitedUntil)) {
        const times = grantTimesUntil(r.activatedAt, r.expiresAt);
        moved = { changed: false, expiresAt: times.expiresAt, expiringAt: times.expiringAt };
        return undefined;
      }
      const next = withState(r, { status: 'expired', activatedAt: r.activatedAt, expiresAt: r.expiresAt, endedAt: now.toISOString() });
      await deps.store.saveRequest(stored, next, [auditEvent(requestId, 'expired', 'jitgate', now)], {});
      return next;
    }
    if (r.status !== 'pending_mfa' && r.status !== 'pending_approval') return undefined;
    const next = withState(r, { status: 'timed_out', endedAt: now.toISOString() });
    await deps.store.saveRequest(stored, next, [auditEvent(requestId, 'timed_out', 'jitgate', now)], {});
    return next;
  });
  if (moved) return moved;
  if (!ended) return { changed: false };
  if (ended.status === 'timed_out') deps.metrics.count('RequestsTimedOut');
  // The state change is what matters; a lost event must not make the state machine retry a finished step.
  await tellRequester(deps, ended, outcome, ended.status === 'expired' ? { expiresAt: ended.expiresAt } : {});
  return { changed: true };
}
