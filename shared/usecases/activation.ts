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
 * requester hears `grant.activated` (derived from the committed request; best effort).
 *
 * An extension is never activated: it is applied to the grant it extends, and its execution
 * then waits for that grant's new end and expires it (the grant's own execution, at the old end,
 * finds the end moved and stops quietly). So the answer names the request whose grant the Waits
 * and Expire are about. An extension denied meanwhile (its grant ended first) ends in Closed.
 */
import { auditEvent } from '../domain/audit';
import { Closed } from '../domain/closed';
import { grantTimesUntil, type GrantTimes } from '../domain/grant';
import { mayStart, withState, type JitRequest } from '../domain/request';
import { RequirementsNotMet } from '../domain/workflow-signals';
import type { CoreDeps } from '../runtime-core';
import { load, withRetry } from './common';
import { applyExtension } from './extensions';
import { announceActivation } from './outcomes';

type Active = Extract<JitRequest, { status: 'active' }>;
type Found = { kind: 'extension'; extends: string } | { kind: 'active'; request: Active; committed: boolean };

/** The grant an execution waits on after Activate: whose it is (Expire ends that request) and its times. */
export interface ExecutionGrant extends GrantTimes {
  requestId: string;
}

/** Activates the request's grant (an extension: applies it); the grant the Waits, NotifyExpiring and Expire use. */
export async function activateGrant(deps: CoreDeps, requestId: string): Promise<ExecutionGrant> {
  const found = await withRetry(async (): Promise<Found> => {
    const stored = await load(deps, requestId);
    const r = stored.request;
    if (r.extends !== undefined) return { kind: 'extension', extends: r.extends };
    // Only the state machine activates, so an active request is this step's own earlier commit.
    if (r.status === 'active') return { kind: 'active', request: r, committed: false };
    if (!mayStart(r, 'activate')) throw new Closed(`request is ${r.status}`);
    if (!r.grantTimes) throw new RequirementsNotMet(`request ${requestId} is ${r.status} and has no grant times: nothing to activate`);
    const { activatedAt, expiresAt } = r.grantTimes;
    const next = withState(r, { status: 'active', activatedAt, expiresAt }) as Active;
    // No task tokens kept: nothing waits on them any more.
    await deps.store.saveRequest(stored, next, [auditEvent(requestId, 'activated', 'jitgate', new Date(activatedAt))], {});
    return { kind: 'active', request: next, committed: true };
  });
  if (found.kind === 'extension') {
    // Applied, denied, or settled by an earlier try: applyExtension is safe to repeat. What it read or
    // wrote is what it answers; only a repeated step (the extension found applied) reads the grant again.
    const applied = await applyExtension(deps, requestId);
    const extension = applied.extension ?? (await load(deps, requestId)).request;
    const grant = applied.grant ?? (await load(deps, found.extends)).request;
    if (extension.status !== 'applied' || grant.status !== 'active') {
      throw new Closed(`extension ${requestId} is ${extension.status} and the grant it extends is ${grant.status}: nothing to wait for`);
    }
    return { requestId: grant.id, ...grantTimesUntil(grant.activatedAt, grant.expiresAt) };
  }
  if (found.committed) await announceActivation(deps, found.request);
  return { requestId, ...grantTimesUntil(found.request.activatedAt, found.request.expiresAt) };
}
