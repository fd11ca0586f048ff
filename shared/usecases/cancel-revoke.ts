/** Ending a request early: the requester cancels it, or the requester or an admin revokes its active grant. */
import { auditEvent } from '../domain/audit';
import { Forbidden } from '../domain/errors';
import type { Principal } from '../domain/identity';
import { assertTransition, personRef, withState, type JitRequest } from '../domain/request';
import { requestView, type RequestView } from '../domain/views';
import type { Deps } from '../runtime';
import { assertVisible, isAdmin, load, withRetry } from './common';
import { tellRequester } from './outcomes';

export async function cancelRequest(deps: Deps, principal: Principal, id: string): Promise<RequestView> {
  const { request, tokens } = await withRetry(async () => {
    const stored = await load(deps, id);
    assertVisible(deps, stored.request, principal);
    if (stored.request.requester.id !== principal.id) throw new Forbidden('only the requester can cancel a request');
    assertTransition(stored.request, 'cancel');
    const now = deps.now();
    const cancelled = withState(stored.request, { status: 'cancelled', cancelledAt: now.toISOString() });
    await deps.store.saveRequest(stored, cancelled, [auditEvent(id, 'cancelled', principal.id, now)], {});
    return { request: cancelled, tokens: stored.tokens };
  });
  for (const token of [tokens.mfaTaskToken, tokens.approvalTaskToken])
    if (token) await deps.workflow.fail(token, 'cancelled by the requester');
  await tellRequester(deps, request, 'cancelled');
  return requestView(request);
}

export async function revokeGrant(deps: Deps, principal: Principal, id: string, reason: string | undefined): Promise<RequestView> {
  const request = await withRetry(async () => {
    const stored = await load(deps, id);
    assertVisible(deps, stored.request, principal);
    const asAdmin = stored.request.requester.id !== principal.id;
    if (asAdmin && !isAdmin(deps, principal)) throw new Forbidden('only the requester or an admin can revoke a grant');
    assertTransition(stored.request, 'revoke');
    const current = stored.request as Extract<JitRequest, { status: 'active' }>;
    const now = deps.now();
    const revoked = withState(current, {
      status: 'revoked',
      activatedAt: current.activatedAt,
      expiresAt: current.expiresAt,
      endedAt: now.toISOString(),
      revokedBy: personRef(principal),
      ...(reason ? { reason } : {}),
    });
    // An admin revoking someone else's grant is recorded as the admin's act (actor, issuer, reason).
    await deps.store.saveRequest(
      stored,
      revoked,
      [
        auditEvent(id, 'revoked', principal.id, now, {
          reason,
          details: { as: asAdmin ? 'admin' : 'requester', requester: current.requester.id },
        }),
      ],
      {},
    );
    return revoked;
  });
  await tellRequester(deps, request, 'revoked', { reason, revokedBy: principal.id });
  return requestView(request);
}
