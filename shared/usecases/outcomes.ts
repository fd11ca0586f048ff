/**
 * Telling the requester how their request ended, on the lifecycle events topic (the
 * `requester` message attribute lets a requester-side subscription filter on it; in
 * local mode the outbox records it). Best effort: the state change is what matters,
 * so a lost event never fails or repeats the step that caused it.
 */
import { outcomeEvent, type Outcome } from '../domain/notification';
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
 * Tells the requester their grant is active: the `grant.activated` message, derived from the
 * request the Activate step committed (its times, who approved). Nothing about it is stored on
 * the request, whose every write after the last requirement it made half a kilobyte larger (and
 * their copies in the indexes).
 */
export async function announceActivation(deps: CoreDeps, request: Extract<JitRequest, { status: 'active' }>): Promise<void> {
  const approvedBy = request.approvals.filter((a) => a.decision === 'approve').map((a) => a.approver.id);
  await tellRequester(deps, request, 'activated', {
    activatedAt: request.activatedAt,
    expiresAt: request.expiresAt,
    ...(approvedBy.length ? { approvedBy } : {}),
  });
}
