/** Asking for a sensitive action, and the requester's own moves: cancel, revoke, read. */
import { firstNudgeSeconds } from '../approvals';
import { auditEvent } from '../audit';
import { DependencyUnavailable, Forbidden, InsufficientAuthentication, PolicyDenied, ValidationFailed } from '../errors';
import { ANY_RESOURCE, grantTimes } from '../grant';
import { principalId, type Principal } from '../identity';
import { breakGlassMessage } from '../notification';
import { assertRequestable, evaluate, prepareRequest, type MfaRequirement, type PreparedRequest } from '../policy';
import { assertTransition, isPending, personRef, withState, type JitRequest } from '../request';
import { signLink } from '../links';
import { REVIEW_WINDOW_SECONDS } from '../review';
import { keys } from '../adapters/store';
import type { Deps } from '../runtime';
import { requestView, type RequestView } from '../views';
import { addSeconds, assertVisible, isAdmin, isAuditor, isEligibleApprover, load, settle, withRetry } from './common';
import { tellRequester } from './outcomes';

export interface NewRequest {
  action: string;
  resource?: string;
  justification?: string;
  durationSeconds?: number;
  /** A ticket reference; policies with `ticket` require one matching their pattern. */
  ticket?: string;
  /** Emergency self-grant without approval, where the policy allows it. */
  breakGlass?: boolean;
}

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

/** 201 with a new request, or 200 with the live one that already covers it. */
export async function createRequest(deps: Deps, principal: Principal, input: NewRequest, opts: { idempotencyKey?: string; linkBase: string }): Promise<{ created: boolean; request: RequestView }> {
  const now = deps.now();
  const resource = input.resource ?? ANY_RESOURCE;

  if (opts.idempotencyKey) {
    const existing = await deps.store.idempotentRequestId(principal.id, opts.idempotencyKey);
    if (existing) return { created: false, request: requestView((await load(deps, existing)).request) };
  }

  const evaluation = evaluate(deps.policies, principal, input.action, resource);
  if (evaluation.outcome === 'denied') {
    await deps.store.recordAudit([auditEvent(deps.newId(), 'denied_by_policy', principal.id, now, { action: input.action, resource, reason: evaluation.reason, details: { rule: evaluation.rule } })]);
  }
  const requestable = assertRequestable(evaluation);
  const { policy, rule } = requestable;
  try {
    checkStepUp(requestable.requirements.mfa, principal, now);
  } catch (err) {
    if (err instanceof InsufficientAuthentication) await deps.store.recordAudit([auditEvent(deps.newId(), 'step_up_failed', principal.id, now, { action: input.action, resource, reason: err.message, details: { rule, at: 'request' } })]);
    throw err;
  }
  // Break-glass waives the approvals, nothing else: deny rules and requesters were checked above,
  // MFA (TOTP or step-up), justification and ticket still apply, and the grant is capped shorter.
  let prepared: PreparedRequest;
  try {
    prepared = prepareRequest(requestable, input.action, input, principal);
  } catch (err) {
    if (err instanceof PolicyDenied) {
      await deps.store.recordAudit([auditEvent(deps.newId(), 'denied_by_policy', principal.id, now, { action: input.action, resource, reason: err.message, details: { rule: err.rule, breakGlass: true } })]);
    }
    throw err;
  }
  // No approval step when the policy auto-approves this caller, or glass was broken.
  const { requirements, durationSeconds, autoApproved, breakGlass } = prepared;

  const id = deps.newId();
  const totp = requirements.mfa === 'totp';
  const base = {
    id,
    action: input.action,
    resource,
    ...(input.justification?.trim() ? { justification: input.justification.trim() } : {}),
    ...(input.ticket?.trim() ? { ticket: input.ticket.trim() } : {}),
    ...(breakGlass ? { breakGlass: true } : {}),
    requester: personRef(principal),
    policy: { action: policy.action, ...(policy.resource ? { resource: policy.resource } : {}) },
    requirements,
    durationSeconds,
    createdAt: now.toISOString(),
    version: 1,
    mfa: { required: totp, failures: 0 },
    approvals: [],
    notified: [],
    autoApproved,
    // Nothing to wait for: the grant's times are fixed now (the state machine's Activate reads them from the request).
    ...(!totp && autoApproved ? { grantTimes: grantTimes(durationSeconds, now) } : {}),
  };
  const request: JitRequest = totp
    ? { ...base, status: 'pending_mfa', mfaDeadline: addSeconds(now, requirements.mfaWindowSeconds) }
    : { ...base, status: 'pending_approval', approvalDeadline: addSeconds(now, requirements.approvalWindowSeconds) };

  const audit = [auditEvent(id, 'created', principal.id, now, { action: input.action, resource, details: { rule, autoApproved, durationSeconds, ...(request.ticket ? { ticket: request.ticket } : {}), ...(breakGlass ? { breakGlass: true } : {}) } })];
  if (breakGlass) {
    audit.push(auditEvent(id, 'break_glass', principal.id, now, { action: input.action, resource, reason: request.justification, details: { rule, notify: policy.breakGlass!.notify, durationSeconds } }));
  }
  let outcome = await deps.store.createRequest(request, audit, { idempotencyKey: opts.idempotencyKey, idempotencyTtl: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS });
  if (!outcome.created && outcome.reason === 'slot') {
    // The slot may be held by a request that has ended without releasing it (e.g. an expired grant whose revocation has not run yet).
    const holder = await deps.store.getRequest(outcome.existingRequestId);
    const live = holder && (holder.request.status === 'pending_mfa' || holder.request.status === 'pending_approval' || (holder.request.status === 'active' && Date.parse(holder.request.expiresAt) > now.getTime()));
    if (live && breakGlass && isPending(holder.request)) {
      // Breaking glass while an ordinary request for the same thing still waits: cancel it (which frees the slot) and take its place.
      await cancelRequest(deps, principal, holder.request.id).catch(() => undefined);
      outcome = await deps.store.createRequest(request, audit, { idempotencyKey: opts.idempotencyKey, idempotencyTtl: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS });
    } else if (live) {
      return { created: false, request: requestView(holder.request) };
    } else {
      outcome = await deps.store.createRequest(request, audit, { idempotencyKey: opts.idempotencyKey, replaceSlotOf: outcome.existingRequestId, idempotencyTtl: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS });
    }
  }
  if (!outcome.created) return { created: false, request: requestView((await load(deps, outcome.existingRequestId)).request) };

  const approval = !autoApproved;
  try {
    // Announced before it starts: an emergency grant nobody was told about never begins.
    if (breakGlass) await announceBreakGlass(deps, request, policy.breakGlass!.notify, opts.linkBase);
    await deps.workflow.start({
      requestId: id,
      requestPk: keys.request(id).pk,
      grantPk: keys.grantSlot(principal.id, input.action, resource).pk,
      mfa: totp,
      approval,
      mfaTimeoutSeconds: requirements.mfaWindowSeconds,
      approvalTimeoutSeconds: Math.max(1, requirements.approvalWindowSeconds),
      linkBase: opts.linkBase,
      requester: principal.id,
      ...(request.grantTimes ? { grant: request.grantTimes } : {}),
      // Reminders / escalation: the approval wait ends first at the earliest nudge (infra/workflow.ts).
      ...(approval && firstNudgeSeconds(requirements) !== undefined ? { reminder: { afterSeconds: firstNudgeSeconds(requirements)! } } : {}),
    });
  } catch (err) {
    // No workflow, no request: cancel it so the slot is free and nothing waits forever.
    await withRetry(async () => {
      const stored = await load(deps, id);
      const cancelled = withState(stored.request, { status: 'cancelled', cancelledAt: deps.now().toISOString() });
      await deps.store.saveRequest(stored, cancelled, [auditEvent(id, 'cancelled', 'jitgate', deps.now(), { reason: 'the workflow could not be started' })]);
    }).catch(() => undefined);
    throw err;
  }
  await deps.notifier.publishEvent('request.created', principal.id, { requestId: id, action: input.action, resource, ...(breakGlass ? { breakGlass: true } : {}) }).catch(() => undefined);
  if (breakGlass) {
    await deps.notifier.publishEvent('grant.break_glass', principal.id, { requestId: id, action: input.action, resource, justification: request.justification, notify: policy.breakGlass!.notify, durationSeconds }).catch(() => undefined);
  }
  const final = !totp && !approval ? await settle(deps, id) : request;
  if (final.status === 'active') await tellRequester(deps, final, 'activated', { activatedAt: final.activatedAt, expiresAt: final.expiresAt });
  return { created: true, request: requestView(final) };
}

/**
 * One message per member of the notify group, on the approver topic (each member's own
 * subscription), with a personal link to review the grant afterwards; the requester, if
 * a member, is told but gets no link (nobody reviews their own break-glass).
 */
async function announceBreakGlass(deps: Deps, request: JitRequest, group: string, linkBase: string): Promise<void> {
  try {
    const key = await deps.linkKey();
    const e = Math.floor(deps.now().getTime() / 1000) + REVIEW_WINDOW_SECONDS;
    for (const member of deps.config.approverGroups[group]?.members ?? []) {
      const issuer = deps.config.issuers[member.issuer];
      if (!issuer) continue;
      const id = principalId(issuer.issuer, member.sub);
      const reviewLink = id === request.requester.id ? undefined : `${linkBase}${signLink({ r: request.id, a: id, g: [group], e }, key, 'review')}`;
      const { subject, text } = breakGlassMessage(request, member, group, reviewLink);
      await deps.notifier.notifyApprover(id, subject, text);
    }
  } catch (err) {
    throw new DependencyUnavailable(`break-glass could not be announced to ${group} (${(err as Error).message}); no grant was started, try again`);
  }
}

/** RFC 9470 step-up: the token must show a strong enough, recent enough sign-in. */
export function checkStepUp(mfa: MfaRequirement, principal: Principal, now: Date): void {
  if (typeof mfa === 'string') return;
  const { acr, amr, maxAge } = mfa.stepUp;
  const fresh = principal.authTime !== undefined && now.getTime() / 1000 - principal.authTime <= maxAge;
  const acrOk = !acr || (principal.acr !== undefined && acr.includes(principal.acr));
  const amrOk = !amr || amr.every((m) => principal.amr?.includes(m));
  if (!fresh || !acrOk || !amrOk) {
    throw new InsufficientAuthentication(`sign in again${amr ? ` with ${amr.join(', ')}` : ''}${acr ? ` at ${acr.join(' or ')}` : ''}, within the last ${maxAge} s`, acr ?? [], maxAge);
  }
}

export async function getRequest(deps: Deps, principal: Principal, id: string): Promise<RequestView> {
  const { request } = await load(deps, id);
  assertVisible(deps, request, principal);
  return requestView(request);
}

export async function listRequests(deps: Deps, principal: Principal, role: 'requester' | 'approver', status?: string): Promise<RequestView[]> {
  const requests = role === 'requester'
    ? await deps.store.listByRequester(principal.id, 100)
    : (await deps.store.listPendingApproval(200)).filter((r) => isEligibleApprover(deps, r, principal) && !r.approvals.some((a) => a.approver.id === principal.id));
  return requests.filter((r) => !status || r.status === status).map(requestView);
}

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
  for (const token of [tokens.mfaTaskToken, tokens.approvalTaskToken]) if (token) await deps.workflow.fail(token, 'cancelled by the requester');
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
    const revoked = withState(current, { status: 'revoked', activatedAt: current.activatedAt, expiresAt: current.expiresAt, endedAt: now.toISOString(), revokedBy: personRef(principal), ...(reason ? { reason } : {}) });
    // An admin revoking someone else's grant is recorded as the admin's act (actor, issuer, reason).
    await deps.store.saveRequest(stored, revoked, [auditEvent(id, 'revoked', principal.id, now, { reason, details: { as: asAdmin ? 'admin' : 'requester', requester: current.requester.id } })], {});
    return revoked;
  });
  await tellRequester(deps, request, 'revoked', { reason, revokedBy: principal.id });
  return requestView(request);
}

export function assertAuditor(deps: Deps, principal: Principal): void {
  if (!isAuditor(deps, principal)) throw new Forbidden('only auditors can read the audit trail');
}

export function parseRole(value: string | undefined): 'requester' | 'approver' {
  if (value === undefined || value === 'requester' || value === 'approver') return value ?? 'requester';
  throw new ValidationFailed('role must be "requester" or "approver"', [{ path: 'role', message: 'requester or approver' }]);
}
