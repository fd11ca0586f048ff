/**
 * Quorum: does a request have enough approvals from the groups its policy names?
 *
 * Each approver counts once, for one group, even when they belong to several. Which
 * group they count for is not fixed when they approve: it is a maximum bipartite
 * matching over all approvals so far, so "carol (security and finance), then bob
 * (security)" satisfies "1 security + 1 finance" whatever the order.
 */
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
      mayStillApprove: remaining === 0 ? [] : notified
        .filter((n) => n.groups.includes(group) && !decided.has(n.id))
        .map((n) => ({ id: n.id, name: n.name, email: n.email })),
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
  approving.forEach((_, ai) => tryAssign(ai, new Set()));
  const result = new Map<string, string>();
  slotOwner.forEach((ai, s) => {
    if (ai !== undefined) result.set(approving[ai]!.approver.id, slots[s]!);
  });
  return result;
}

/** The required groups this principal belongs to, by their token. */
export function eligibleGroups(request: JitRequest, principal: Principal): string[] {
  return request.requirements.approvals.map((a) => a.group).filter((g) => principal.groups.includes(g));
}

/** Would one more approval from someone in `groups` fill a slot (possibly by re-matching the others)? */
export function wouldCount(request: JitRequest, candidate: Pick<Approval, 'approver' | 'groups'>): boolean {
  const filled = (q: Quorum) => q.groups.reduce((n, g) => n + g.approvedBy.length, 0);
  const before = quorum(request.requirements, request.approvals);
  const hypothetical: Approval = { ...candidate, decision: 'approve', at: '', via: 'api' };
  return filled(quorum(request.requirements, [...request.approvals, hypothetical])) > filled(before);
}
