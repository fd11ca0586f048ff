/** State machine steps Expire and TimedOut: end the request, audit, tell the requester. */
import { runtime } from '../../shared/runtime';
import { endRequest } from '../../shared/usecases/workflow-steps';

export async function handler(event: { requestId: string; outcome: 'expired' | 'timed_out' }): Promise<{ changed: boolean }> {
  return endRequest(runtime(), event.requestId, event.outcome);
}
