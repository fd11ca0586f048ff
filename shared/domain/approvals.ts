/**
 * Quorum: does a request have enough approvals from the groups its policy names?
 *
 * Each approver counts once, for one group, even when they belong to several. Which
 * group they count for is not fixed when they approve: it is a maximum bipartite
 * matching over all approvals so far, so "carol (security and finance), then bob
 * (security)" satisfies "1 security + 1 finance" whatever the order.
 */
import type { Config } from '../config/config';
import type { Principal } from './identity';
import type { Requirements } from './policy';
import type { Approval, JitRequest, NotifiedApprover } from './request';

export interface GroupProgress {
  group: string;
  required: number;
  approvedBy: string[];
  remaining: number;
  /** Notified people who have not decided yet and could still fill this group. */
  mayStillApprove: { id: string; name?: string; email?: string }[];
}

export interface Quorum {
  satisfied: boolean;
  groups: GroupProgress[];
}

export function quorum(requirements: Requirements, approvals: Approval[], notified: NotifiedApprover[] = []): Quorum {
  const approving = approvals.filter((a) => a.decision === 'approve');
  const assignment = assign(requirements.approvals, approving);
  const decided = new Set(approvals.map((a) => a.approver.id));
  const groups = requirements.approvals.map(({ group, required }) => {
    const approvedBy = approving.filter((a) => assignment.get(a.approver.id) === group).map((a) => a.approver.id);
    const remaining = Math.max(0, required - approvedBy.length);
    return {
      group,
      required,
      approvedBy,
      remaining,
      mayStillApprove:
        remaining === 0
          ? []
          : notified.filter((n) => n.groups.includes(group) && !decided.has(n.id)).map((n) => ({ id: n.id, name: n.name, email: n.email })),
    };
  });
  return { satisfied: groups.every((g) => g.remaining === 0), groups };
}

/** Kuhn's augmenting paths over group "slots"; tiny inputs (a handful of approvers). */
function assign(required: Requirements['approvals'], approving: Approval[]): Map<string, string> {
  const slots = required.flatMap(({ group, required: n }) => Array.from({ length: n }, () => group));
  const slotOwner: (number | undefined)[] = slots.map(() => undefined);
  const tryAssign = (ai: number, seen: Set<number>): boolean => {
    const approval = approving[ai]!;
    for (let s = 0; s < slots.length; s++) {
      if (seen.has(s) || !approval.groups.includes(slots[s]!)) continue;
      seen.add(s);
      const owner = slotOwner[s];
      if (owner === undefined || tryAssign(owner, seen)) {
        slotOwner[s] = ai;
        return true;
      }
    }
    return false;
  };
  for (const ai of approving.keys()) tryAssign(ai, new Set());
  const result = new Map<string, string>();
  slotOwner.forEach((ai, s) => {
    if (ai !== undefined) result.set(approving[ai]!.approver.id, slots[s]!);
  });
  return result;
}

/**
 * The approver groups a token proves membership of: groups it carries that the config
 * trusts its issuer for (a group's `trustedIssuers`, by default its members' issuers).
 */
export function approverGroupsOf(config: Config, principal: Principal): string[] {
  return principal.groups.filter((g) => {
    const group = config.approverGroups[g];
    if (!group) return false;
    const trusted = group.trustedIssuers ?? group.members.map((m) => m.issuer);
    return trusted.includes(principal.issuerName);
  });
}

/** Would one more approval from someone in `groups` fill a slot (possibly by re-matching the others)? */
export function wouldCount(request: JitRequest, candidate: Pick<Approval, 'approver' | 'groups'>): boolean {
  const filled = (q: Quorum) => q.groups.reduce((n, g) => n + g.approvedBy.length, 0);
  const before = quorum(request.requirements, request.approvals);
  const hypothetical: Approval = { ...candidate, decision: 'approve', at: '', via: 'api' };
  return filled(quorum(request.requirements, [...request.approvals, hypothetical])) > filled(before);
}

// ---------------------------------------------------------------------------------
// Denials: one "no" ends a request unless the policy asks for more (`approvals.denials`).

export interface DenialProgress {
  /** How many denials end the request (the policy's `approvals.denials`, default 1). */
  required: number;
  deniedBy: string[];
  remaining: number;
}

export function denials(request: Pick<JitRequest, 'requirements' | 'approvals'>): DenialProgress {
  const required = Math.max(1, request.requirements.denials ?? 1);
  const deniedBy = request.approvals.filter((a) => a.decision === 'deny').map((a) => a.approver.id);
  return { required, deniedBy, remaining: Math.max(0, required - deniedBy.length) };
}

// ---------------------------------------------------------------------------------
// Reminders and escalation, run by the state machine (infra/workflow.ts): the approval
// wait is cut into segments that end at each nudge; the Remind step sends what is due
// and says how long the next segment lasts.

export type NudgeKind = 'remind' | 'escalate';

/**
 * When each nudge of a policy is due, in seconds after the approval window opens,
 * earliest first: the reminder `remindAfter` in, the escalation `escalate.before`
 * ahead of the window's end. Empty for policies without either.
 */
export function nudgeOffsets(requirements: Requirements): { kind: NudgeKind; afterSeconds: number }[] {
  const window = requirements.approvalWindowSeconds;
  const out: { kind: NudgeKind; afterSeconds: number }[] = [];
  const remind = requirements.remindAfterSeconds;
  if (remind !== undefined && remind > 0 && remind < window) out.push({ kind: 'remind', afterSeconds: remind });
  const before = requirements.escalate?.beforeSeconds;
  if (before !== undefined && before > 0 && before < window) out.push({ kind: 'escalate', afterSeconds: window - before });
  return out.sort((a, b) => a.afterSeconds - b.afterSeconds);
}

/** The first segment of the approval wait, for the execution input; undefined when the policy neither reminds nor escalates. */
export function firstNudgeSeconds(requirements: Requirements): number | undefined {
  return nudgeOffsets(requirements)[0]?.afterSeconds;
}

export interface NudgePlan {
  /** Nudges due now and not sent yet. */
  due: NudgeKind[];
  /** The next nudge still to come, if any, and the seconds until it (at least 1). */
  next?: { kind: NudgeKind; at: string; inSeconds: number };
  /** Seconds until the approval window closes (at least 1). */
  closesInSeconds: number;
}

/**
 * A segment's timeout is a whole number of seconds counted from when the state machine
 * entered the step, slightly before the step set the window's deadline; a nudge that
 * comes due within this much is treated as due, rather than waiting one more second.
 */
const DUE_EARLY_MS = 1000;

/** At `now`, for a request waiting for approvals: what to send, and when the next nudge or the end comes. */
export function nudgePlan(request: Extract<JitRequest, { status: 'pending_approval' }>, now: Date): NudgePlan {
  const deadline = Date.parse(request.approvalDeadline);
  const opened = deadline - request.requirements.approvalWindowSeconds * 1000;
  const t = now.getTime();
  const seconds = (at: number) => Math.max(1, Math.ceil((at - t) / 1000));
  const sent: Record<NudgeKind, string | undefined> = { remind: request.remindedAt, escalate: request.escalatedAt };
  const due: NudgeKind[] = [];
  let next: NudgePlan['next'];
  for (const nudge of nudgeOffsets(request.requirements)) {
    if (sent[nudge.kind]) continue;
    const at = opened + nudge.afterSeconds * 1000;
    if (t >= deadline) continue; // the window has closed: nothing to nudge any more
    if (t >= at - DUE_EARLY_MS) due.push(nudge.kind);
    else next ??= { kind: nudge.kind, at: new Date(at).toISOString(), inSeconds: seconds(at) };
  }
  return { due, ...(next ? { next } : {}), closesInSeconds: seconds(deadline) };
}

/** Who a reminder goes to: notified approvers who have not decided and could still fill a group that needs approvals. */
export function undecidedApprovers(request: JitRequest): NotifiedApprover[] {
  const ids = new Set(
    quorum(request.requirements, request.approvals, request.notified).groups.flatMap((g) => g.mayStillApprove.map((m) => m.id)),
  );
  return request.notified.filter((n) => ids.has(n.id));
}
