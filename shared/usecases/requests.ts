/** Asking for a sensitive action (reading requests is in `request-reads.ts`, cancel and revoke in `cancel-revoke.ts`). */
import { auditEvent } from '../domain/audit';
import { DependencyUnavailable, IdempotencyKeyReused, InsufficientAuthentication, PolicyDenied } from '../domain/errors';
import { ANY_RESOURCE } from '../domain/grant';
import { groupMembers, type Principal } from '../domain/identity';
import { breakGlassMessage } from '../domain/notification';
import { assertRequestable, evaluate } from '../domain/policy';
import { checkStepUp, prepareRequest, type PreparedRequest } from '../domain/request-checks';
import { isPending, personRef, withState, type JitRequest } from '../domain/request';
import { signLink } from '../domain/links';
import { REVIEW_WINDOW_SECONDS } from '../domain/review';
import type { Deps } from '../runtime';
import { requestView, type RequestView } from '../domain/views';
import { cancelRequest } from './cancel-revoke';
import { executionInput } from './execution-input';
import { addSeconds, grantStart, load, withRetry } from './common';
import { releasePending, reservePending, takeRate } from './limits';

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
export async function createRequest(
  deps: Deps,
  principal: Principal,
  input: NewRequest,
  opts: { idempotencyKey?: string; linkBase: string /** An extension of this active grant (askExtension checked it). */; extends?: string },
): Promise<{ created: boolean; request: RequestView }> {
  const now = deps.now();
  const resource = input.resource ?? ANY_RESOURCE;

  if (opts.idempotencyKey) {
    const existing = await deps.store.idempotentRequestId(principal.id, opts.idempotencyKey);
    if (existing) {
      const request = sameAsked((await load(deps, existing)).request, input);
      await restartIfWaiting(deps, request, opts.linkBase);
      return { created: false, request: requestView(request) };
    }
  }

  const evaluation = evaluate(deps.policies, principal, input.action, resource);
  if (evaluation.outcome === 'denied') {
    await deps.store.recordAudit([
      auditEvent(deps.newId(), 'denied_by_policy', principal.id, now, {
        action: input.action,
        resource,
        reason: evaluation.reason,
        details: { rule: evaluation.rule },
      }),
    ]);
  }
  const requestable = assertRequestable(evaluation);
  const { policy, rule } = requestable;
  try {
    checkStepUp(requestable.requirements.mfa, principal, now, deps.config.issuers[principal.issuerName]?.clockSkew);
  } catch (err) {
    if (err instanceof InsufficientAuthentication)
      await deps.store.recordAudit([
        auditEvent(deps.newId(), 'step_up_failed', principal.id, now, {
          action: input.action,
          resource,
          reason: err.message,
          details: { rule, at: 'request' },
        }),
      ]);
    throw err;
  }
  // Counted once the caller may ask at all: a refused token or a policy's "no" writes no counter.
  await takeRate(deps, principal, 'creates');
  // Break-glass waives the approvals, nothing else: deny rules and requesters were checked above,
  // MFA (TOTP or step-up), justification and ticket still apply, and the grant is capped shorter.
  let prepared: PreparedRequest;
  try {
    prepared = prepareRequest(requestable, input.action, input, principal);
  } catch (err) {
    if (err instanceof PolicyDenied) {
      await deps.store.recordAudit([
        auditEvent(deps.newId(), 'denied_by_policy', principal.id, now, {
          action: input.action,
          resource,
          reason: err.message,
          details: { rule: err.rule, breakGlass: true },
        }),
      ]);
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
    ...(opts.extends ? { extends: opts.extends } : {}),
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
  };
  const asked: JitRequest = totp
    ? { ...base, status: 'pending_mfa', mfaDeadline: addSeconds(now, requirements.mfaWindowSeconds) }
    : { ...base, status: 'pending_approval', approvalDeadline: addSeconds(now, requirements.approvalWindowSeconds) };
  // Nothing to wait for: the grant starts now (the state machine reads its times and notice from the request).
  const request: JitRequest = !totp && autoApproved ? { ...asked, ...grantStart(asked, now) } : asked;

  const audit = [
    auditEvent(id, 'created', principal.id, now, {
      action: input.action,
      resource,
      details: {
        rule,
        autoApproved,
        durationSeconds,
        ...(request.ticket ? { ticket: request.ticket } : {}),
        ...(breakGlass ? { breakGlass: true } : {}),
        ...(opts.extends ? { extends: opts.extends } : {}),
      },
    }),
  ];
  if (breakGlass) {
    audit.push(
      auditEvent(id, 'break_glass', principal.id, now, {
        action: input.action,
        resource,
        reason: request.justification,
        details: { rule, notify: policy.breakGlass!.notify, durationSeconds },
      }),
    );
  }
  // One of the user's pending places (config limits.pendingRequests), held from before the write so a burst cannot overshoot.
  const approval = !autoApproved;
  const reservation = totp || approval ? await reservePending(deps, principal, id) : undefined;
  const giveBack = async () => {
    if (reservation) await releasePending(deps, principal, reservation).catch(() => undefined);
  };
  const guarded = <T>(step: Promise<T>): Promise<T> =>
    step.catch(async (err: unknown) => {
      await giveBack();
      throw err;
    });
  let outcome = await guarded(
    deps.store.createRequest(request, audit, {
      idempotencyKey: opts.idempotencyKey,
      idempotencyTtl: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
    }),
  );
  if (!outcome.created && outcome.reason === 'slot') {
    // The slot may be held by a request that has ended without releasing it (e.g. an expired grant whose revocation has not run yet).
    const holder = await deps.store.getRequest(outcome.existingRequestId);
    const live =
      holder &&
      (holder.request.status === 'pending_mfa' ||
        holder.request.status === 'pending_approval' ||
        (holder.request.status === 'active' && Date.parse(holder.request.expiresAt) > now.getTime()));
    if (live && breakGlass && isPending(holder.request)) {
      // Breaking glass while an ordinary request for the same thing still waits: cancel it (which frees the slot) and take its place.
      await cancelRequest(deps, principal, holder.request.id).catch(() => undefined);
      outcome = await guarded(
        deps.store.createRequest(request, audit, {
          idempotencyKey: opts.idempotencyKey,
          idempotencyTtl: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
        }),
      );
    } else if (live) {
      await giveBack();
      return { created: false, request: requestView(holder.request) };
    } else {
      outcome = await guarded(
        deps.store.createRequest(request, audit, {
          idempotencyKey: opts.idempotencyKey,
          replaceSlotOf: outcome.existingRequestId,
          idempotencyTtl: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
        }),
      );
    }
  }
  if (!outcome.created) {
    await giveBack();
    const existing = (await load(deps, outcome.existingRequestId)).request;
    await restartIfWaiting(deps, existing, opts.linkBase);
    return { created: false, request: requestView(outcome.reason === 'idempotency' ? sameAsked(existing, input) : existing) };
  }

  if (opts.extends) {
    // On the grant's own chain too, so its trail shows every extension asked for.
    await deps.store.recordAudit([
      auditEvent(opts.extends, 'extension_requested', principal.id, now, {
        reason: request.justification,
        details: { extension: id, durationSeconds },
      }),
    ]);
  }
  try {
    // Announced before it starts: an emergency grant nobody was told about never begins.
    if (breakGlass) await announceBreakGlass(deps, request, policy.breakGlass!.notify, opts.linkBase);
    await deps.workflow.start(executionInput(request, opts.linkBase, now));
  } catch (err) {
    // No workflow, no request: cancel it so the slot is free, nothing waits for ever, and a retry with the same key creates anew.
    await withRetry(async () => {
      const stored = await load(deps, id);
      const cancelled = withState(stored.request, { status: 'cancelled', cancelledAt: deps.now().toISOString() });
      await deps.store.saveRequest(stored, cancelled, [
        auditEvent(id, 'cancelled', 'jitgate', deps.now(), { reason: 'the workflow could not be started' }),
      ]);
      if (opts.idempotencyKey) await deps.store.releaseIdempotencyKey(principal.id, opts.idempotencyKey, id);
    }).catch(() => undefined);
    await giveBack();
    throw err;
  }
  await deps.notifier
    .publishEvent('request.created', principal.id, {
      requestId: id,
      action: input.action,
      resource,
      // What it waits for first: the requester's MFA, or approvers (or only activation, when auto-approved).
      status: request.status,
      ...(breakGlass ? { breakGlass: true } : {}),
      ...(autoApproved ? { autoApproved: true } : {}),
    })
    .catch(() => undefined);
  if (breakGlass) {
    await deps.notifier
      .publishEvent('grant.break_glass', principal.id, {
        requestId: id,
        action: input.action,
        resource,
        justification: request.justification,
        notify: policy.breakGlass!.notify,
        durationSeconds,
      })
      .catch(() => undefined);
  }
  deps.metrics.count('RequestsCreated');
  if (breakGlass) deps.metrics.count('BreakGlassUses');
  // Auto-approved too: pending until the state machine activates it, moments later (poll GET /v1/requests/{id}).
  return { created: true, request: requestView(request) };
}

/**
 * A request asked for again (same Idempotency-Key, or the live one holding the slot) and still pending: its execution is
 * started again, same name. One whose create died before StartExecution would wait for ever; a running one is not started twice.
 */
async function restartIfWaiting(deps: Deps, request: JitRequest, linkBase: string): Promise<void> {
  if (request.status === 'pending_mfa' || request.status === 'pending_approval')
    await deps.workflow.start(executionInput(request, linkBase, deps.now()));
}

/**
 * An `Idempotency-Key` names one request: sent again with a body asking for something
 * else, it is an error (422), not a silent return of the first request
 * (draft-ietf-httpapi-idempotency-key-header section 2.7). A duration left out
 * matches whatever the first request got.
 */
function sameAsked(existing: JitRequest, input: NewRequest): JitRequest {
  const asked = {
    action: input.action,
    resource: input.resource ?? ANY_RESOURCE,
    justification: input.justification?.trim() || undefined,
    ticket: input.ticket?.trim() || undefined,
    breakGlass: input.breakGlass === true,
  };
  const had = {
    action: existing.action,
    resource: existing.resource,
    justification: existing.justification,
    ticket: existing.ticket,
    breakGlass: existing.breakGlass === true,
  };
  const differs = (Object.keys(asked) as (keyof typeof asked)[]).filter((k) => asked[k] !== had[k]);
  if (input.durationSeconds !== undefined && input.durationSeconds !== existing.durationSeconds) differs.push('durationSeconds' as never);
  if (differs.length) {
    throw new IdempotencyKeyReused(
      `this Idempotency-Key was used for request ${existing.id}, which asked for a different ${differs.join(', ')}; ` +
        'use a new key for a new request',
    );
  }
  return existing;
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
    for (const member of groupMembers(deps.config, group)) {
      const own = member.id === request.requester.id;
      const reviewLink = own ? undefined : `${linkBase}${signLink({ r: request.id, a: member.id, g: [group], e }, key, 'review')}`;
      const { subject, text } = breakGlassMessage(request, member, group, reviewLink);
      await deps.notifier.notifyApprover(member.id, subject, text);
    }
  } catch (err) {
    throw new DependencyUnavailable(
      `break-glass could not be announced to ${group} (${(err as Error).message}); no grant was started, try again`,
    );
  }
}
