/**
 * The apps' hot path: may this caller do this action on this resource, now?
 * One policy lookup in memory and one GetItem on the grant slot; `consume` turns a
 * one-time grant into `consumed` in a conditional transaction, so it is used once.
 */
import { auditEvent } from '../domain/audit';
import { AlreadyDecided, InsufficientAuthentication } from '../domain/errors';
import { quorum } from '../domain/approvals';
import { ANY_RESOURCE, isLive, type GrantSlot } from '../domain/grant';
import type { Principal } from '../domain/identity';
import { outcomeEvent } from '../domain/notification';
import { evaluate, type Requirements } from '../domain/policy';
import { checkStepUp, describeMfa, stillNeeded } from '../domain/request-checks';
import { assertTransition, isPending, withState, type JitRequest } from '../domain/request';
import type { CoreDeps } from '../runtime-core';
import { load, withRetry } from './common';

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

export async function authorize(deps: CoreDeps, principal: Principal, input: AuthorizeInput): Promise<AuthorizeResult> {
  const resource = input.resource ?? ANY_RESOURCE;
  const now = deps.now();
  const evaluation = evaluate(deps.policies, principal, input.action, resource);
  if (evaluation.outcome === 'denied') return { allowed: false, reason: evaluation.reason, rule: evaluation.rule };
  try {
    checkStepUp(evaluation.requirements.mfa, principal, now, deps.config.issuers[principal.issuerName]?.clockSkew);
  } catch (err) {
    if (err instanceof InsufficientAuthentication)
      await deps.store.recordAudit([
        auditEvent(deps.newId(), 'step_up_failed', principal.id, now, {
          action: input.action,
          resource,
          reason: err.message,
          details: { rule: evaluation.rule, at: 'authorize' },
        }),
      ]);
    throw err;
  }

  const slot = await deps.store.getGrantSlot(principal.id, input.action, resource);
  if (!isLive(slot, now)) {
    const pending = await pendingRequest(deps, slot);
    if (pending) {
      const missing = missingOn(pending);
      const reason = `request ${pending.id} is ${pending.status}; still needed: ${missing.join(', ')}`;
      await deps.store.recordAudit([
        auditEvent(pending.id, 'authorize_denied', principal.id, now, { action: input.action, resource, reason, details: { missing } }),
      ]);
      return {
        allowed: false,
        reason,
        rule: evaluation.rule,
        requirements: evaluation.requirements,
        missing,
        pendingRequestId: pending.id,
      };
    }
    return {
      allowed: false,
      reason: 'no active grant; request one with POST /v1/requests',
      rule: evaluation.rule,
      requirements: evaluation.requirements,
      missing: stillNeeded(evaluation.requirements),
    };
  }
  const grant = { requestId: slot.requestId, mode: slot.mode, expiresAt: slot.expiresAt };
  const refused = await checkSlot(deps, principal, input.action, resource, slot, now);
  if (refused)
    return {
      allowed: false,
      reason: refused,
      rule: evaluation.rule,
      requirements: evaluation.requirements,
      missing: stillNeeded(evaluation.requirements),
    };
  if (!input.consume || slot.mode === 'window') return { allowed: true, reason: 'active grant', rule: evaluation.rule, grant };

  try {
    await consume(deps, principal, slot.requestId, now);
  } catch (err) {
    if (err instanceof AlreadyDecided)
      return {
        allowed: false,
        reason: `the one-time grant is ${err.currentStatus}`,
        rule: evaluation.rule,
        missing: stillNeeded(evaluation.requirements),
      };
    throw err;
  }
  return { allowed: true, reason: 'one-time grant consumed', rule: evaluation.rule, grant: { ...grant, consumed: true } };
}

/**
 * Slots verified against their request: `principal|action|resource|requestId|expiresAt`.
 * Once a request is active its owner, action, resource and times never change, so a tuple
 * verified once stays true; revocation and expiry still show on every call, in the slot
 * read (deleted) and the clock. Bounded: the oldest go first.
 */
const verifiedSlots = new Set<string>();
const MAX_VERIFIED = 10_000;

/**
 * A grant slot is honoured only if its request is active with the same owner, action,
 * resource and expiry: a slot item written by anyone but Activate (a forged
 * SendTaskSuccess, a direct write) authorizes nothing. The request is read once per
 * container and slot; the hot path stays one GetItem. The first use of a window grant is
 * recorded then (`grant_used`); later uses are not (docs/ARCHITECTURE.md, "The audit chain").
 */
async function checkSlot(
  deps: CoreDeps,
  principal: Principal,
  action: string,
  resource: string,
  slot: GrantSlot & { expiresAt: string },
  now: Date,
): Promise<string | undefined> {
  const key = [principal.id, action, resource, slot.requestId, slot.expiresAt].join('|');
  if (verifiedSlots.has(key)) return undefined;
  const stored = await deps.store.getRequest(slot.requestId);
  const r = stored?.request;
  const matches =
    r !== undefined &&
    r.requester.id === principal.id &&
    r.action === action &&
    r.resource === resource &&
    r.status === 'active' &&
    r.expiresAt === slot.expiresAt;
  if (!matches) {
    const reason = `the grant slot does not match request ${slot.requestId}${r ? ` (${r.status})` : ' (no such request)'}`;
    await deps.store.recordAudit([
      auditEvent(slot.requestId, 'grant_refused', principal.id, now, {
        action,
        resource,
        reason,
        details: { slotExpiresAt: slot.expiresAt },
      }),
    ]);
    return reason;
  }
  if (slot.mode === 'window' && !r.firstUsedAt) await recordFirstUse(deps, slot.requestId, principal, now);
  if (verifiedSlots.size >= MAX_VERIFIED) verifiedSlots.delete(verifiedSlots.values().next().value!);
  verifiedSlots.add(key);
  return undefined;
}

async function recordFirstUse(deps: CoreDeps, requestId: string, principal: Principal, now: Date): Promise<void> {
  await withRetry(async () => {
    const stored = await load(deps, requestId);
    const r = stored.request;
    if (r.status !== 'active' || r.firstUsedAt) return;
    const used = withState(r, { status: 'active', activatedAt: r.activatedAt, expiresAt: r.expiresAt }, { firstUsedAt: now.toISOString() });
    await deps.store.saveRequest(stored, used, [
      auditEvent(requestId, 'grant_used', principal.id, now, { action: r.action, resource: r.resource, details: { first: true } }),
    ]);
  });
}

/** The request holding the grant slot while it waits (one more read, only on the not-allowed path). */
async function pendingRequest(deps: CoreDeps, slot: GrantSlot | undefined): Promise<JitRequest | undefined> {
  if (slot?.status !== 'pending') return undefined;
  const stored = await deps.store.getRequest(slot.requestId);
  return stored && isPending(stored.request) ? stored.request : undefined;
}

/** What a pending request still waits for: its MFA step, then each group's remaining approvals; or only the activation itself. */
export function missingOn(request: JitRequest): string[] {
  const missing: string[] = [];
  if (request.mfa.required && !request.mfa.passedAt) missing.push(describeMfa(request.requirements.mfa) ?? 'mfa');
  for (const g of quorum(request.requirements, request.approvals).groups)
    if (g.remaining > 0) missing.push(`approval from ${g.group} x${g.remaining}`);
  return missing.length ? missing : ['activation (moments away)'];
}

async function consume(deps: CoreDeps, principal: Principal, requestId: string, now: Date): Promise<void> {
  const consumed = await withRetry(async () => {
    const stored = await load(deps, requestId);
    assertTransition(stored.request, 'consume');
    const active = stored.request as Extract<JitRequest, { status: 'active' }>;
    // The clock is checked here too: a grant past expiresAt is never honoured, even if revocation has not run.
    if (Date.parse(active.expiresAt) <= now.getTime()) throw new AlreadyDecided('the grant has expired', 'expired');
    const consumed = withState(active, {
      status: 'consumed',
      activatedAt: active.activatedAt,
      expiresAt: active.expiresAt,
      consumedAt: now.toISOString(),
    });
    await deps.store.saveRequest(
      stored,
      consumed,
      [auditEvent(requestId, 'consumed', principal.id, now, { action: active.action, resource: active.resource })],
      {},
    );
    return consumed;
  });
  await deps.notifier
    .publishEvent('grant.ended', principal.id, outcomeEvent(consumed, 'consumed', { consumedAt: now.toISOString() }))
    .catch(() => undefined);
}
