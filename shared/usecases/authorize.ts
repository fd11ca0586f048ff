/**
 * The apps' hot path: may this caller do this action on this resource, now?
 * One policy lookup in memory and one GetItem on the grant slot; `consume` turns a
 * one-time grant into `consumed` in a conditional transaction, so it is used once.
 */
import { auditEvent } from '../audit';
import { AlreadyDecided } from '../errors';
import { ANY_RESOURCE, isLive } from '../grant';
import type { Principal } from '../identity';
import { evaluate, type Requirements } from '../policy';
import { assertTransition, withState, type JitRequest } from '../request';
import type { Deps } from '../runtime';
import { load, withRetry } from './common';
import { checkStepUp } from './requests';

export interface AuthorizeInput {
  action: string;
  resource?: string;
  consume?: boolean;
}

export interface AuthorizeResult {
  allowed: boolean;
  reason: string;
  rule: string;
  grant?: { requestId: string; mode: 'once' | 'window'; expiresAt: string; consumed?: boolean };
  requirements?: Requirements;
}

export async function authorize(deps: Deps, principal: Principal, input: AuthorizeInput): Promise<AuthorizeResult> {
  const resource = input.resource ?? ANY_RESOURCE;
  const now = deps.now();
  const evaluation = evaluate(deps.policies, principal, input.action, resource);
  if (evaluation.outcome === 'denied') return { allowed: false, reason: evaluation.reason, rule: evaluation.rule };
  checkStepUp(evaluation.requirements.mfa, principal, now);

  const slot = await deps.store.getGrantSlot(principal.id, input.action, resource);
  if (!isLive(slot, now)) {
    return { allowed: false, reason: 'no active grant; request one with POST /v1/requests', rule: evaluation.rule, requirements: evaluation.requirements };
  }
  const grant = { requestId: slot.requestId, mode: slot.mode, expiresAt: slot.expiresAt };
  if (!input.consume || slot.mode === 'window') return { allowed: true, reason: 'active grant', rule: evaluation.rule, grant };

  try {
    await consume(deps, principal, slot.requestId, now);
  } catch (err) {
    if (err instanceof AlreadyDecided) return { allowed: false, reason: `the one-time grant is ${err.currentStatus}`, rule: evaluation.rule };
    throw err;
  }
  return { allowed: true, reason: 'one-time grant consumed', rule: evaluation.rule, grant: { ...grant, consumed: true } };
}

async function consume(deps: Deps, principal: Principal, requestId: string, now: Date): Promise<void> {
  await withRetry(async () => {
    const stored = await load(deps, requestId);
    assertTransition(stored.request, 'consume');
    const active = stored.request as Extract<JitRequest, { status: 'active' }>;
    // The clock is checked here too: a grant past expiresAt is never honoured, even if revocation has not run.
    if (Date.parse(active.expiresAt) <= now.getTime()) throw new AlreadyDecided('the grant has expired', 'expired');
    const consumed = withState(active, { status: 'consumed', activatedAt: active.activatedAt, expiresAt: active.expiresAt, consumedAt: now.toISOString() });
    await deps.store.saveRequest(stored, consumed, [auditEvent(requestId, 'consumed', principal.id, now, { action: active.action, resource: active.resource })], {});
  });
  await deps.notifier.publishEvent('grant.ended', principal.id, { requestId, outcome: 'consumed' }).catch(() => undefined);
}
