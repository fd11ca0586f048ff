/** State machine steps Expire and TimedOut: end the request, audit, tell the requester (Expire: unless the grant was extended). */
import { runtime } from '../../shared/runtime';
import { instrumented } from '../../shared/observability';
import { endRequest, type EndOutcome } from '../../shared/usecases/workflow-steps';

type EndEvent = { requestId: string; outcome: 'expired' | 'timed_out'; waitedUntil?: string };

export const handler = instrumented(
  async (event: EndEvent): Promise<EndOutcome> => endRequest(runtime(), event.requestId, event.outcome, event.waitedUntil),
  (event) => event.requestId,
);
