/** State machine steps Expire and TimedOut: end the request, audit, tell the requester (Expire: unless the grant was extended). */
import { runtime } from '../../shared/runtime';
import { endRequest, type EndOutcome } from '../../shared/usecases/workflow-steps';

export async function handler(event: { requestId: string; outcome: 'expired' | 'timed_out'; waitedUntil?: string }): Promise<EndOutcome> {
  return endRequest(runtime(), event.requestId, event.outcome, event.waitedUntil);
}
