/**
 * Telling the requester how their request ended, on the lifecycle events topic (the
 * `requester` message attribute lets a requester-side subscription filter on it; in
 * local mode the outbox records it). Best effort: the state change is what matters,
 * so a lost event never fails or repeats the step that caused it.
 */
import type { GrantTimes } from '../domain/grant';
import { eventMessage, outcomeEvent, type Outcome } from '../domain/notification';
import type { JitRequest } from '../domain/request';
import type { CoreDeps } from '../runtime-core';
import type { LifecycleEvent } from './ports';

export const OUTCOME_EVENTS: Record<Outcome, LifecycleEvent> = {
  activated: 'grant.activated',
  extended: 'grant.extended',
  denied: 'request.denied',
  timed_out: 'request.timed_out',
  cancelled: 'request.cancelled',
  expired: 'grant.ended',
  consumed: 'grant.ended',
  revoked: 'grant.ended',
  failed: 'request.failed',
};

export async function tellRequester(
  deps: CoreDeps,
  request: JitRequest,
  outcome: Outcome,
  extra: Parameters<typeof outcomeEvent>[2] = {},
): Promise<void> {
  const body = outcomeEvent(request, outcome, extra);
  await deps.notifier.publishEvent(OUTCOME_EVENTS[outcome], request.requester.id, body).catch(() => undefined);
}

/**
 * The `grant.activated` message, written on the request with the grant's times by the
 * write that completes its requirements. The state machine owns activation: its Activate
 * step publishes this text once it has committed (shared/usecases/activation.ts),
 * with no Lambda, while the words stay the domain's.
 */
export function activationNotice(request: JitRequest, grant: GrantTimes): string {
  const approvedBy = request.approvals.filter((a) => a.decision === 'approve').map((a) => a.approver.id);
  const body = outcomeEvent(request, 'activated', {
    activatedAt: grant.activatedAt,
    expiresAt: grant.expiresAt,
    ...(approvedBy.length ? { approvedBy } : {}),
  });
  return eventMessage(OUTCOME_EVENTS.activated, body);
}
