/** State machine steps Expire and TimedOut: end the request, audit, tell the requester (Expire: unless the grant was extended). */
import { runtime } from '../../shared/runtime';
import { applyExtension } from '../../shared/usecases/extensions';
import { endRequest, type EndOutcome } from '../../shared/usecases/workflow-steps';

type EndEvent = { requestId: string; outcome: 'expired' | 'timed_out'; waitedUntil?: string } | { requestId: string; outcome: 'extended' };

/** Also ApplyExtension (outcome `extended`): an extension's requirements are met, the grant it extends ends later. */
export async function handler(event: EndEvent): Promise<EndOutcome> {
  if (event.outcome === 'extended') return applyExtension(runtime(), event.requestId);
  return endRequest(runtime(), event.requestId, event.outcome, event.waitedUntil);
}
