/**
 * An approver's decision, from the API (their own token) or a personal link.
 * Exactly once: the write is conditional on the version read, so of two racing
 * approvers one wins and the other re-reads, finds the request decided, and gets 409.
 */
import { wouldCount } from '../approvals';
import { auditEvent } from '../audit';
import { AlreadyDecided, NotAnApprover, SelfApproval, WindowClosed } from '../errors';
import { assertTransition, personRef, withState, type JitRequest, type PersonRef } from '../request';
import type { Deps } from '../runtime';
import { requestView, type RequestView } from '../views';
import { completion, load, settle, withRetry } from './common';

export interface Decider {
  person: PersonRef;
  /** Approver groups the decider belongs to: from their token (API) or from the link. */
  groups: string[];
  via: 'api' | 'link';
}

export async function decide(deps: Deps, decider: Decider, id: string, decision: 'approve' | 'deny', reason: string | undefined): Promise<RequestView> {
  const result = await withRetry(async () => {
    const stored = await load(deps, id);
    const request = stored.request;
    const now = deps.now();
    if (request.requester.id === decider.person.id) throw new SelfApproval('you asked for this action; someone else must decide');
    const groups = request.requirements.approvals.map((a) => a.group).filter((g) => decider.groups.includes(g));
    if (groups.length === 0) throw new NotAnApprover(`approvals for this request come from ${request.requirements.approvals.map((a) => a.group).join(', ') || 'nobody'}; you are in none of those groups`);
    if (request.status === 'pending_mfa') throw new AlreadyDecided('the requester has not completed MFA yet; decide once approval is requested', request.status);
    assertTransition(request, 'recordApproval');
    const pending = request as Extract<JitRequest, { status: 'pending_approval' }>;
    if (Date.parse(pending.approvalDeadline) <= now.getTime()) throw new WindowClosed(`the approval window closed at ${pending.approvalDeadline}`);
    if (request.approvals.some((a) => a.approver.id === decider.person.id)) throw new AlreadyDecided('you have already decided this request', request.status);
    if (completion(request, now)) throw new AlreadyDecided('this request already has all the approvals it needs', request.status);

    const approval = { approver: personRef(decider.person), decision, groups, at: now.toISOString(), via: decider.via, ...(reason ? { reason } : {}) };
    if (decision === 'deny') {
      const denied = withState(request, { status: 'denied', decidedAt: now.toISOString(), decidedBy: personRef(decider.person), ...(reason ? { reason } : {}) }, { approvals: [...request.approvals, approval] });
      await deps.store.saveRequest(stored, denied, [auditEvent(id, 'denied', decider.person.id, now, { reason, details: { via: decider.via } })], {});
      return { request: denied, token: stored.tokens.approvalTaskToken, grant: undefined };
    }
    if (!wouldCount(request, approval)) throw new AlreadyDecided('your approver groups already have the approvals they need', request.status);
    const approved = withState(request, { status: 'pending_approval', approvalDeadline: pending.approvalDeadline }, { approvals: [...request.approvals, approval] });
    await deps.store.saveRequest(stored, approved, [auditEvent(id, 'approved', decider.person.id, now, { reason, details: { via: decider.via, groups } })]);
    return { request: approved, token: stored.tokens.approvalTaskToken, grant: completion(approved, now) };
  });

  if (decision === 'deny') {
    if (result.token) await deps.workflow.fail(result.token, 'denied by an approver');
    await deps.notifier.publishEvent('request.denied', result.request.requester.id, { requestId: id, decidedBy: decider.person.id, reason }).catch(() => undefined);
    return requestView(result.request);
  }
  // The quorum is complete: hand the grant's times to the state machine, which activates it.
  if (result.grant && result.token) {
    await deps.workflow.succeed(result.token, result.grant);
    return requestView(await settle(deps, id));
  }
  return requestView(result.request);
}
