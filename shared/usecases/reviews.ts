/** The post-hoc review of a break-glass grant (shared/domain/review.ts), recorded and audited; a flag is published. */
import { auditEvent } from '../domain/audit';
import { AlreadyDecided, Forbidden } from '../domain/errors';
import type { JitRequest, PersonRef } from '../domain/request';
import { reviewRefusal, type ReviewOutcome } from '../domain/review';
import type { Deps } from '../runtime';
import { load, withRetry } from './common';

export async function reviewBreakGlass(
  deps: Deps,
  reviewer: PersonRef,
  requestId: string,
  outcome: ReviewOutcome,
  reason: string | undefined,
): Promise<JitRequest> {
  const reviewed = await withRetry(async () => {
    const stored = await load(deps, requestId);
    const refusal = reviewRefusal(stored.request, reviewer.id);
    if (refusal?.status === 403) throw new Forbidden(refusal.message);
    if (refusal) throw new AlreadyDecided(refusal.message, stored.request.status);
    const now = deps.now();
    const review = { reviewer, outcome, ...(reason ? { reason } : {}), at: now.toISOString() };
    // The grant itself is untouched (it may be active, or over): only the review is added.
    const next = {
      ...stored.request,
      reviews: [...(stored.request.reviews ?? []), review],
      version: stored.request.version + 1,
    } as JitRequest;
    await deps.store.saveRequest(stored, next, [
      auditEvent(requestId, 'break_glass_reviewed', reviewer.id, now, {
        action: next.action,
        resource: next.resource,
        reason,
        details: { outcome, requester: next.requester.id, status: next.status },
      }),
    ]);
    return next;
  });
  if (outcome === 'flagged') {
    // The security team's signal; the review is recorded whether or not the publish succeeds (the audit trail has it).
    await deps.notifier
      .publishEvent('break_glass.flagged', reviewed.requester.id, {
        requestId,
        action: reviewed.action,
        resource: reviewed.resource,
        requester: reviewed.requester.id,
        reviewer: reviewer.id,
        reason,
        status: reviewed.status,
      })
      .catch(() => undefined);
  }
  return reviewed;
}
