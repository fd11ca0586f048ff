/** State machine steps Expire and TimedOut: end the request, audit, tell the requester (Expire: unless the grant was extended). */
import { runtime } from '../../shared/runtime';
import { instrumented } from '../../shared/observability';
import { applyExtension } from '../../shared/usecases/extensions';
import { endRequest, type EndOutcome } from '../../shared/usecases/workflow-steps';

type EndEvent = { requestId: string; outcome: 'expired' | 'timed_out'; waitedUntil?: string } | { requestId: string; outcome: 'extended' };

/** Also ApplyExtension (outcome `extended`): an extension's requirements are met, the grant it extends ends later. */
export const handler = instrumented(
  async (event: EndEvent): Promise<EndOutcome> =>
    event.outcome === 'extended'
      ? applyExtension(runtime(), event.requestId)
      : endRequest(runtime(), event.requestId, event.outcome, event.waitedUntil),
  (event) => event.requestId,
);
