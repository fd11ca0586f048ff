/**
 * More time on an active window grant (POST /v1/requests/{id}/extend). The extension is a
 * request of its own (`extends`: the grant's id; same action and resource) that goes through
 * the same policy, MFA and approvals as any request, in an execution of its own; where a
 * request would be activated, the Activate step applies the extension instead (`applyExtension`
 * below, from shared/usecases/activation.ts): the grant's `expiresAt` moves later, and the extension's
 * execution waits for the new end and expires the grant; the grant's own execution, at the old end, finds
 * the end moved and stops (infra/workflow.ts).
 */
import { auditEvent } from '../domain/audit';
import { assertExtendable, extendedEnd, maxGrantSeconds } from '../domain/extension';
import { ValidationFailed } from '../domain/errors';
import { grantTimesUntil } from '../domain/grant';
import type { Principal } from '../domain/identity';
import { isPending, withState, type JitRequest } from '../domain/request';
import type { RequestView } from '../domain/views';
import type { Deps } from '../runtime';
import type { CoreDeps } from '../runtime-core';
import { assertVisible, load, withRetry } from './common';
import { tellRequester } from './outcomes';
import { createRequest } from './requests';

export interface NewExtension {
  durationSeconds: number;
  justification?: string;
}

/** 201 with the extension request (pending, or moments from applied when the policy asks nothing). */
export async function askExtension(
  deps: Deps,
  principal: Principal,
  grantId: string,
  input: NewExtension,
  opts: { linkBase: string },
): Promise<{ created: boolean; request: RequestView }> {
  const grant = (await load(deps, grantId)).request;
  assertVisible(deps, grant, principal);
  assertExtendable(grant, principal.id);
  // Refused here already, with what is left; checked again when applied (another extension may have been applied meanwhile).
  extendedEnd(grant, input.durationSeconds, maxGrantSeconds(grant));
  return createRequest(
    deps,
    principal,
    {
      action: grant.action,
      resource: grant.resource,
      durationSeconds: input.durationSeconds,
      ...(input.justification !== undefined ? { justification: input.justification } : {}),
    },
    { linkBase: opts.linkBase, extends: grant.id },
  );
}

/**
 * What the state machine's Activate step does for an extension, once its requirements are
 * met. One version-checked transaction over both requests, safe to repeat: the extension
 * ends `applied` with the grant's new end fixed on it, and the grant's `expiresAt` (and
 * its slot's) moves to that end. An extension whose grant has ended,
 * or that would now pass the maximum, is denied by jitgate instead.
 */
export interface ExtensionApplied {
  /** False when the request is no pending or applied extension: nothing was done. */
  changed: boolean;
  /** The extension as this call left it: applied, or denied. */
  extension?: JitRequest;
  /** The grant it extends, as this call read or moved it (absent when a repeated step found the extension applied). */
  grant?: JitRequest;
}

export async function applyExtension(deps: CoreDeps, extensionId: string): Promise<ExtensionApplied> {
  // Both requests at once: the extension is `applied` exactly when the grant's end has moved.
  // A grant that expired (or was revoked) meanwhile makes the write lose, and the retry sees
  // the grant ended and denies the extension instead.
  // `grant`: the grant as this call read or extended it; `movedFrom`: its old end, when this call moved it
  // (a repeated step finds the extension applied and moves nothing).
  type Decided = { request: JitRequest; grant?: JitRequest; movedFrom?: string };
  const decided = await withRetry(async (): Promise<Decided | undefined> => {
    const stored = await load(deps, extensionId);
    const ext = stored.request;
    if (ext.status === 'applied') return { request: ext };
    if (!isPending(ext) || ext.extends === undefined) return undefined;
    const now = deps.now();
    const deny = async (reason: string, grant?: JitRequest) => {
      const denied = withState(ext, { status: 'denied', decidedAt: now.toISOString(), decidedBy: 'jitgate', reason });
      await deps.store.saveRequest(stored, denied, [auditEvent(extensionId, 'denied', 'jitgate', now, { reason })]);
      return { request: denied, ...(grant ? { grant } : {}) };
    };
    if (!ext.grantTimes) return deny('its requirements were not met');
    const storedGrant = await load(deps, ext.extends);
    const grant = storedGrant.request;
    if (grant.status !== 'active') return deny(`the grant it extends (${grant.id}) is ${grant.status}`, grant);
    let to: string;
    try {
      to = extendedEnd(grant, ext.durationSeconds, maxGrantSeconds(grant));
    } catch (err) {
      if (err instanceof ValidationFailed) return deny(err.message, grant);
      throw err;
    }
    const applied = withState(ext, { status: 'applied', appliedAt: now.toISOString(), expiresAt: to });
    const moved = withState(
      grant,
      { status: 'active', activatedAt: grant.activatedAt, expiresAt: to },
      { grantTimes: grantTimesUntil(grant.activatedAt, to) },
    );
    await deps.store.saveRequests([
      {
        before: stored,
        after: applied,
        audit: [auditEvent(extensionId, 'extended', 'jitgate', now, { details: { extends: grant.id, from: grant.expiresAt, to } })],
      },
      {
        before: storedGrant,
        after: moved,
        audit: [auditEvent(grant.id, 'extended', 'jitgate', now, { details: { extension: extensionId, from: grant.expiresAt, to } })],
      },
    ]);
    return { request: applied, grant: moved, movedFrom: grant.expiresAt };
  });
  if (decided === undefined) return { changed: false };
  const { request, grant, movedFrom } = decided;
  if (request.status === 'denied') await tellRequester(deps, request, 'denied', { reason: request.reason });
  // On the grant's own id: subscribers follow a grant, and its end is what moved.
  if (movedFrom !== undefined && grant?.status === 'active') {
    await tellRequester(deps, grant, 'extended', { extension: extensionId, from: movedFrom, expiresAt: grant.expiresAt });
  }
  return { changed: true, extension: request, ...(grant ? { grant } : {}) };
}
