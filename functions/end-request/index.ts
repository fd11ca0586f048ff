/** State machine steps Expire and TimedOut: end the request, audit, tell the requester. */
import { runtime } from '../../shared/runtime';
import { endRequest } from '../../shared/usecases/workflow-steps';
import { instrumented } from '../../shared/observability';

export const handler = instrumented(
  async (event: { requestId: string; outcome: 'expired' | 'timed_out' }): Promise<{ changed: boolean }> =>
    endRequest(runtime(), event.requestId, event.outcome),
  (event) => event.requestId,
);
