/**
 * The state machine's Activate step (functions/activate), once a request's requirements
 * are met: the grant starts. It reads the request itself and never trusts the execution's
 * `$.grant` (anyone holding a task token can send SendTaskSuccess with any times): the
 * times are those the completing write fixed on the request (`grantTimes`).
 *
 * One version-checked write, through the store like every other: request → active, its
 * grant slot → active with the end authorize reads, and the `activated` event on the
 * request's audit chain. Safe to repeat: a retry after a commit whose answer was lost
 * finds the request active and answers the same times, and tells nobody twice. Then the
 * requester hears `grant.activated` (the notice stored with the times; best effort).
 *
 * An extension is never activated: it is applied to the grant it extends (or denied),
 * and the step ends the execution with `ExtensionApplied` (see shared/domain/workflow-signals.ts).
 */
import { auditEvent } from '../domain/audit';
import { Closed } from '../domain/closed';
import { grantTimesUntil, type GrantTimes } from '../domain/grant';
import { TRANSITIONS, withState, type JitRequest, type RequestStatus } from '../domain/request';
import { ExtensionApplied, RequirementsNotMet } from '../domain/workflow-signals';
import type { Deps } from '../runtime';
import { load, withRetry } from './common';
import { applyExtension } from './extensions';
import { OUTCOME_EVENTS } from './outcomes';

const ACTIVATES_FROM: readonly RequestStatus[] = TRANSITIONS.activate;

type Active = Extract<JitRequest, { status: 'active' }>;
type Found = { kind: 'extension'; extends: string } | { kind: 'active'; request: Active; committed: boolean };

/** Activates the request's grant; the times the Waits and NotifyExpiring use. */
export async function activateGrant(deps: Deps, requestId: string): Promise<GrantTimes> {
  const found = await withRetry(async (): Promise<Found> => {
    const stored = await load(deps, requestId);
    const r = stored.request;
    if (r.extends !== undefined) return { kind: 'extension', extends: r.extends };
    // Only the state machine activates, so an active request is this step's own earlier commit.
    if (r.status === 'active') return { kind: 'active', request: r, committed: false };
    if (!ACTIVATES_FROM.includes(r.status)) throw new Closed(`request is ${r.status}`);
    if (!r.grantTimes) throw new RequirementsNotMet(`request ${requestId} is ${r.status} and has no grant times: nothing to activate`);
    const { activatedAt, expiresAt } = r.grantTimes;
    const next = withState(r, { status: 'active', activatedAt, expiresAt }) as Active;
    // No task tokens kept: nothing waits on them any more.
    await deps.store.saveRequest(stored, next, [auditEvent(requestId, 'activated', 'jitgate', new Date(activatedAt))], {});
    return { kind: 'active', request: next, committed: true };
  });
  if (found.kind === 'extension') {
    // Applied, denied, or settled by an earlier try: applyExtension is safe to repeat.
    await applyExtension(deps, requestId);
    throw new ExtensionApplied(`extension ${requestId} is settled; the grant it extends (${found.extends}) runs in its own execution`);
  }
  if (found.committed) await announce(deps, found.request);
  return grantTimesUntil(found.request.activatedAt, found.request.expiresAt);
}

/** The `grant.activated` message the completing write stored, on the events topic. */
async function announce(deps: Deps, request: JitRequest): Promise<void> {
  if (request.activationNotice === undefined) return;
  const { type: _type, ...body } = JSON.parse(request.activationNotice) as Record<string, unknown>;
  await deps.notifier.publishEvent(OUTCOME_EVENTS.activated, request.requester.id, body).catch(() => undefined);
}
