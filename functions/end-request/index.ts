/** State machine steps Expire and TimedOut: end the request, audit, tell the requester (Expire: unless the grant was extended). */
import { runtime } from '../../shared/runtime';
import { instrumented } from '../../shared/observability';
import { applyExtension } from '../../shared/usecases/extensions';
import { endRequest, type EndOutcome } from '../../shared/usecases/workflow-steps';

/**
 * `extended`: ApplyExtension of executions started before Activate applied extensions itself
 * (a Standard execution keeps the definition it started with). Without it, such an extension,
 * approved after the deploy, would be taken for a timeout. Unused once those are over (the
 * longest MFA + approval window after the deploy).
 */
type EndEvent = { requestId: string; outcome: 'expired' | 'timed_out'; waitedUntil?: string } | { requestId: string; outcome: 'extended' };

export const handler = instrumented(
  async (event: EndEvent): Promise<EndOutcome> =>
    event.outcome === 'extended'
      ? applyExtension(runtime(), event.requestId).then(({ changed }) => ({ changed }))
      : endRequest(runtime(), event.requestId, event.outcome, event.waitedUntil),
  (event) => event.requestId,
);
