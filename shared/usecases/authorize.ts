/**
 * The apps' hot path: may this caller do this action on this resource, now?
 * One policy lookup in memory and one GetItem on the grant slot; `consume` turns a
 * one-time grant into `consumed` in a conditional transaction, so it is used once.
 */
import { auditEvent } from '../audit';
import { AlreadyDecided } from '../errors';
import { quorum } from '../approvals';
import { ANY_RESOURCE, isLive, type GrantSlot } from '../grant';
import type { Principal } from '../identity';
import { outcomeEvent } from '../notification';
import { describeMfa, evaluate, stillNeeded, type Requirements } from '../policy';
import { assertTransition, isPending, withState, type JitRequest } from '../request';
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
  /**
   * When not allowed but the policy lets the caller ask: what is still needed, in order,
   * e.g. ["request", "justification", "mfa totp", "approval from security-admins x1"]
   * (no request yet), or ["approval from finance-approvers x1"] (a request is pending).
   */
  missing?: string[];
  /** The caller's pending request for this action and resource, when there is one. */
  pendingRequestId?: string;
}

export async function authorize(deps: Deps, principal: Principal, input: AuthorizeInput): Promise<AuthorizeResult> {
  const resource = input.resource ?? ANY_RESOURCE;
  const now = deps.now();
  const evaluation = evaluate(deps.policies, principal, input.action, resource);
  if (evaluation.outcome === 'denied') return { allowed: false, reason: evaluation.reason, rule: evaluation.rule };
  checkStepUp(evaluation.requirements.mfa, principal, now, deps.config.issuers[principal.issuerName]?.clockSkew);

  const slot = await deps.store.getGrantSlot(principal.id, input.action, resource);
  if (!isLive(slot, now)) {
    const pending = await pendingRequest(deps, slot);
    if (pending) {
      const missing = missingOn(pending);
      return { allowed: false, reason: `request ${pending.id} is ${pending.status}; still needed: ${missing.join(', ')}`, rule: evaluation.rule, requirements: evaluation.requirements, missing, pendingRequestId: pending.id };
    }
    return { allowed: false, reason: 'no active grant; request one with POST /v1/requests', rule: evaluation.rule, requirements: evaluation.requirements, missing: stillNeeded(evaluation.requirements) };
  }
  const grant = { requestId: slot.requestId, mode: slot.mode, expiresAt: slot.expiresAt };
  if (!input.consume || slot.mode === 'window') return { allowed: true, reason: 'active grant', rule: evaluation.rule, grant };

  try {
    await consume(deps, principal, slot.requestId, now);
  } catch (err) {
    if (err instanceof AlreadyDecided) return { allowed: false, reason: `the one-time grant is ${err.currentStatus}`, rule: evaluation.rule, missing: stillNeeded(evaluation.requirements) };
    throw err;
  }
  return { allowed: true, reason: 'one-time grant consumed', rule: evaluation.rule, grant: { ...grant, consumed: true } };
}

/** The request holding the grant slot while it waits (one more read, only on the not-allowed path). */
async function pendingRequest(deps: Deps, slot: GrantSlot | undefined): Promise<JitRequest | undefined> {
  if (!slot || slot.status !== 'pending') return undefined;
  const stored = await deps.store.getRequest(slot.requestId);
  return stored && isPending(stored.request) ? stored.request : undefined;
}

/** What a pending request still waits for: its MFA step, then each group's remaining approvals; or only the activation itself. */
export function missingOn(request: JitRequest): string[] {
  const missing: string[] = [];
  if (request.mfa.required && !request.mfa.passedAt) missing.push(describeMfa(request.requirements.mfa) ?? 'mfa');
  for (const g of quorum(request.requirements, request.approvals).groups) if (g.remaining > 0) missing.push(`approval from ${g.group} x${g.remaining}`);
  return missing.length ? missing : ['activation (moments away)'];
}

async function consume(deps: Deps, principal: Principal, requestId: string, now: Date): Promise<void> {
  const consumed = await withRetry(async () => {
    const stored = await load(deps, requestId);
    assertTransition(stored.request, 'consume');
    const active = stored.request as Extract<JitRequest, { status: 'active' }>;
    // The clock is checked here too: a grant past expiresAt is never honoured, even if revocation has not run.
    if (Date.parse(active.expiresAt) <= now.getTime()) throw new AlreadyDecided('the grant has expired', 'expired');
    const consumed = withState(active, { status: 'consumed', activatedAt: active.activatedAt, expiresAt: active.expiresAt, consumedAt: now.toISOString() });
    await deps.store.saveRequest(stored, consumed, [auditEvent(requestId, 'consumed', principal.id, now, { action: active.action, resource: active.resource })], {});
    return consumed;
  });
  await deps.notifier.publishEvent('grant.ended', principal.id, outcomeEvent(consumed, 'consumed', { consumedAt: now.toISOString() })).catch(() => undefined);
}
