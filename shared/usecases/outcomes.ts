/**
 * Telling the requester how their request ended, on the lifecycle events topic (the
 * `requester` message attribute lets a requester-side subscription filter on it; in
 * local mode the outbox records it). Best effort: the state change is what matters,
 * so a lost event never fails or repeats the step that caused it.
 */
import { outcomeEvent, type Outcome } from '../domain/notification';
import type { JitRequest } from '../domain/request';
import type { Deps } from '../runtime';
import type { LifecycleEvent } from './ports';

const EVENT_OF: Record<Outcome, LifecycleEvent> = {
  activated: 'grant.activated',
  denied: 'request.denied',
  timed_out: 'request.timed_out',
  cancelled: 'request.cancelled',
  expired: 'grant.ended',
  consumed: 'grant.ended',
  revoked: 'grant.ended',
  failed: 'request.failed',
};

export async function tellRequester(deps: Deps, request: JitRequest, outcome: Outcome, extra: Parameters<typeof outcomeEvent>[2] = {}): Promise<void> {
  await deps.notifier.publishEvent(EVENT_OF[outcome], request.requester.id, outcomeEvent(request, outcome, extra)).catch(() => undefined);
}
