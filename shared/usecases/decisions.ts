/**
 * An approver's decision, from the API (their own token) or a personal link.
 * Exactly once: the write is conditional on the version read, so of two racing
 * approvers one wins and the other re-reads, finds the request decided, and gets 409.
 *
 * A denial ends the request as `denied` when it is the policy's `approvals.denials`-th
 * one (default 1: a single "no" ends it). Fewer denials are recorded as decisions
 * (audit `denied` with `final: false`) and the request keeps waiting; the denier has
 * decided and cannot decide again.
 */
import { denials, wouldCount } from '../domain/approvals';
import { auditEvent } from '../domain/audit';
import { AlreadyDecided, NotAnApprover, SelfApproval, WindowClosed } from '../domain/errors';
import { assertTransition, personRef, withState, type Approval, type JitRequest, type PersonRef } from '../domain/request';
import type { Deps } from '../runtime';
import { requestView, type RequestView } from '../domain/views';
import { completion, load, withRetry } from './common';
import { tellRequester } from './outcomes';

export interface Decider {
  person: PersonRef;
  /** Approver groups the decider belongs to: from their token (API) or from the link. */
  groups: string[];
  via: 'api' | 'link' | 'sso';
}

export async function decide(
  deps: Deps,
  decider: Decider,
  id: string,
  decision: 'approve' | 'deny',
  reason: string | undefined,
): Promise<RequestView> {
  const result = await withRetry(async () => {
    const stored = await load(deps, id);
    const request = stored.request;
    const now = deps.now();
    if (request.requester.id === decider.person.id) throw new SelfApproval('you asked for this action; someone else must decide');
    const groups = request.requirements.approvals.map((a) => a.group).filter((g) => decider.groups.includes(g));
    if (groups.length === 0)
      throw new NotAnApprover(
        `approvals for this request come from ${request.requirements.approvals.map((a) => a.group).join(', ') || 'nobody'}; ` +
          'you are in none of those groups',
      );
    if (request.status === 'pending_mfa')
      throw new AlreadyDecided('the requester has not completed MFA yet; decide once approval is requested', request.status);
    assertTransition(request, 'recordApproval');
    const pending = request as Extract<JitRequest, { status: 'pending_approval' }>;
    if (Date.parse(pending.approvalDeadline) <= now.getTime())
      throw new WindowClosed(`the approval window closed at ${pending.approvalDeadline}`);
    const own = request.approvals.find((a) => a.approver.id === decider.person.id);
    // The same approval again, its quorum complete and the request still pending: the first answer's
    // hand-over to the state machine failed (its caller got a 503). Hand over again, or it waits for ever.
    if (own?.decision === 'approve' && decision === 'approve' && request.grantTimes)
      return { request, token: stored.tokens.approvalTaskToken, grant: { grantTimes: request.grantTimes }, final: false, repeated: true };
    if (own) throw new AlreadyDecided('you have already decided this request', request.status);
    if (completion(request, now)) throw new AlreadyDecided('this request already has all the approvals it needs', request.status);

    const approval: Approval = {
      approver: personRef(decider.person),
      decision,
      groups,
      at: now.toISOString(),
      via: decider.via,
      ...(reason ? { reason } : {}),
    };
    const approvals = [...request.approvals, approval];
    if (decision === 'deny') {
      const d = denials({ requirements: request.requirements, approvals });
      const final = d.remaining === 0;
      const details = { via: decider.via, final, denials: d.deniedBy.length, denialsRequired: d.required };
      const next = final
        ? withState(
            request,
            { status: 'denied', decidedAt: now.toISOString(), decidedBy: personRef(decider.person), ...(reason ? { reason } : {}) },
            { approvals },
          )
        : withState(request, { status: 'pending_approval', approvalDeadline: pending.approvalDeadline }, { approvals });
      await deps.store.saveRequest(
        stored,
        next,
        [auditEvent(id, 'denied', decider.person.id, now, { reason, details })],
        final ? {} : stored.tokens,
      );
      return { request: next, token: stored.tokens.approvalTaskToken, grant: undefined, final };
    }
    if (!wouldCount(request, approval))
      throw new AlreadyDecided('your approver groups already have the approvals they need', request.status);
    const grant = completion(
      withState(request, { status: 'pending_approval', approvalDeadline: pending.approvalDeadline }, { approvals }),
      now,
    );
    const still = { status: 'pending_approval', approvalDeadline: pending.approvalDeadline } as const;
    const approved = withState(request, still, { approvals, ...grant });
    await deps.store.saveRequest(stored, approved, [
      auditEvent(id, 'approved', decider.person.id, now, { reason, details: { via: decider.via, groups } }),
    ]);
    return { request: approved, token: stored.tokens.approvalTaskToken, grant, final: false };
  }).catch(async (err: unknown) => {
    // A refused decision is evidence too (someone tried to approve their own request, or to
    // decide without being an approver, or too late): on the request's chain, then the 4xx.
    if (err instanceof SelfApproval || err instanceof NotAnApprover || err instanceof AlreadyDecided || err instanceof WindowClosed) {
      await deps.store.recordAudit([
        auditEvent(id, 'decision_refused', decider.person.id, deps.now(), {
          reason: err.message,
          details: { decision, via: decider.via, refusal: err.name, ...(reason ? { decisionReason: reason } : {}) },
        }),
      ]);
    }
    throw err;
  });

  const decided = () => deps.metrics.duration('TimeToDecision', deps.now().getTime() - Date.parse(result.request.createdAt));
  if (decision === 'deny') {
    if (!result.final) return requestView(result.request);
    deps.metrics.count('RequestsDenied');
    decided();
    if (result.token) await deps.workflow.fail(result.token, 'denied by an approver');
    const deniedBy = result.request.approvals.filter((a) => a.decision === 'deny');
    await tellRequester(deps, result.request, 'denied', {
      decidedBy: decider.person.id,
      reason,
      ...(deniedBy.length > 1 ? { denials: deniedBy.map((a) => ({ by: a.approver.id, ...(a.reason ? { reason: a.reason } : {}) })) } : {}),
    });
    return requestView(result.request);
  }
  // The quorum is complete: the state machine activates the grant and tells the requester. The
  // answer is the request as decided, still pending; if the token had just been replaced (a
  // reminder segment ending), the step that parks the new one completes the task instead.
  if (result.grant && !('repeated' in result)) {
    deps.metrics.count('RequestsApproved');
    decided();
  }
  if (result.grant && result.token) await deps.workflow.succeed(result.token, result.grant.grantTimes);
  return requestView(result.request);
}
