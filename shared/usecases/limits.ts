/**
 * Per-user limits (config `limits`): call rates, pending requests, and the TOTP
 * lockout counted across all of a user's requests. The state is in DynamoDB
 * (shared/adapters/user-records.ts), changed only by conditional updates, so thirty
 * parallel calls get exactly what one after the other would.
 */
import { randomUUID } from 'node:crypto';
import { auditEvent } from '../domain/audit';
import { MfaLocked, RateLimited, TooManyPending } from '../domain/errors';
import { groupMembers, type Principal } from '../domain/identity';
import { clean } from '../domain/notification';
import { isPending, type JitRequest } from '../domain/request';
import type { Deps } from '../runtime';

/** A reservation whose request never appeared (its creator failed half-way) is given back after this long. */
const ORPHAN_RESERVATION_MS = 60_000;

const seconds = (now: Date) => Math.floor(now.getTime() / 1000);

function per(s: number): string {
  return s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`;
}

/** One call of `kind` for this user, or 429 with the seconds until the current window ends. */
export async function takeRate(deps: Deps, principal: Principal, kind: 'creates' | 'mfaAnswers'): Promise<void> {
  const limit = deps.config.limits[kind];
  const now = seconds(deps.now());
  const windowStart = now - (now % limit.per);
  if (await deps.store.takeRate(principal.id, kind, windowStart, limit.count, windowStart + 2 * limit.per)) return;
  const retry = Math.max(1, windowStart + limit.per - now);
  const what = kind === 'creates' ? 'new requests' : 'MFA answers';
  throw new RateLimited(
    `you sent more than ${limit.count} ${what} in ${per(limit.per)}; retry in ${retry} s`,
    `${limit.count} ${what} per ${per(limit.per)} per user`,
    retry,
  );
}

/**
 * Takes one of the user's pending places for request `id`. When all are taken, the
 * places of requests that are no longer pending (activated by the state machine,
 * timed out, decided) are given back first; then 429, retry when the earliest of the
 * user's pending requests must end.
 */
export async function reservePending(deps: Deps, principal: Principal, id: string): Promise<string> {
  const limit = deps.config.limits.pendingRequests;
  const now = deps.now();
  const reservation = `${now.getTime()}#${id}`;
  const ttl = seconds(now) + longestPendingSeconds(deps) + 86_400;
  if (await deps.store.reservePending(principal.id, reservation, limit, ttl)) return reservation;

  const held = await deps.store.pendingReservations(principal.id);
  const stale: string[] = [];
  const pending: JitRequest[] = [];
  await Promise.all(
    held.map(async (r) => {
      const [at, requestId] = r.split('#') as [string, string];
      const stored = await deps.store.getRequest(requestId);
      if (stored && isPending(stored.request)) pending.push(stored.request);
      else if (stored || now.getTime() - Number(at) > ORPHAN_RESERVATION_MS) stale.push(r);
    }),
  );
  await deps.store.releasePending(principal.id, stale);
  if (stale.length && (await deps.store.reservePending(principal.id, reservation, limit, ttl))) return reservation;

  const ends = pending.map((r) =>
    Date.parse(r.status === 'pending_mfa' ? r.mfaDeadline : (r as Extract<JitRequest, { status: 'pending_approval' }>).approvalDeadline),
  );
  const retry = ends.length ? Math.max(1, Math.ceil((Math.min(...ends) - now.getTime()) / 1000)) : 1;
  throw new TooManyPending(
    `you already have ${limit} requests waiting (pending MFA or approval); cancel one (POST /v1/requests/{id}/cancel) ` +
      `or wait until one is decided or times out (at the latest in ${retry} s)`,
    `${limit} pending requests per user`,
    retry,
  );
}

export async function releasePending(deps: Deps, principal: Principal, reservation: string): Promise<void> {
  await deps.store.releasePending(principal.id, [reservation]);
}

/** The longest a request can stay pending under the config: its reservation must outlive it. */
function longestPendingSeconds(deps: Deps): number {
  return Math.max(0, ...deps.config.policies.map((p) => p.mfaWindow + (p.approvals?.window ?? 0)));
}

/**
 * Before a TOTP code is checked: refused (429) while the user's MFA is locked, and
 * counted as a wrong code until it proves right, so parallel guesses cannot outrun
 * the count. Returns the attempt to settle with `settleMfaAttempt`.
 */
export async function holdMfaAttempt(deps: Deps, principal: Principal, context: { requestId?: string }): Promise<string> {
  const { failures, window, lockFor } = deps.config.limits.mfaLockout;
  const now = deps.now();
  const guard = await deps.store.getMfaGuard(principal.id);
  if (guard.lockedUntil !== undefined && guard.lockedUntil > seconds(now)) throw locked(deps, guard.lockedUntil - seconds(now));
  // A sliding window: failures older than it no longer count.
  await deps.store.forgetMfaAttempts(
    principal.id,
    guard.attempts.filter((a) => now.getTime() - Number(a.split('#')[0]) > window * 1000),
  );
  const attempt = `${now.getTime()}#${randomUUID()}`;
  if (await deps.store.holdMfaAttempt(principal.id, attempt, failures, seconds(now), seconds(now) + window + lockFor)) return attempt;
  // Locked meanwhile, or the count is full (of failures and answers being checked): lock now.
  await lockIfDue(deps, principal, context);
  const after = await deps.store.getMfaGuard(principal.id);
  throw locked(deps, Math.max(1, (after.lockedUntil ?? seconds(now) + 1) - seconds(now)));
}

/** A right or replayed code is taken off the count; a wrong one stays, and may lock MFA (429). */
export async function settleMfaAttempt(
  deps: Deps,
  principal: Principal,
  attempt: string,
  verdict: 'right' | 'replayed' | 'wrong',
  context: { requestId?: string },
): Promise<void> {
  if (verdict !== 'wrong') return deps.store.forgetMfaAttempts(principal.id, [attempt]);
  const lockedUntil = await lockIfDue(deps, principal, context);
  if (lockedUntil !== undefined) throw locked(deps, lockedUntil - seconds(deps.now()));
}

/** Locks MFA when the count is full; the one call that locks audits it and tells the user and the security group. */
async function lockIfDue(deps: Deps, principal: Principal, context: { requestId?: string }): Promise<number | undefined> {
  const { failures, window, lockFor, notify } = deps.config.limits.mfaLockout;
  const now = deps.now();
  const until = seconds(now) + lockFor;
  if (!(await deps.store.lockMfa(principal.id, failures, until, seconds(now), until + window))) return undefined;
  const lockedUntil = new Date(until * 1000).toISOString();
  const details = { failures, window, lockedUntil, ...(context.requestId ? { requestId: context.requestId } : {}) };
  await deps.store.recordAudit([
    auditEvent(deps.newId(), 'mfa_user_locked', principal.id, now, {
      reason: `${failures} wrong TOTP codes within ${per(window)}`,
      details,
    }),
  ]);
  await deps.notifier.publishEvent('mfa.locked', principal.id, { lockedUntil, failures, window }).catch(() => undefined);
  if (notify) await tellGroup(deps, notify, principal, lockedUntil).catch(() => undefined);
  return until;
}

async function tellGroup(deps: Deps, group: string, principal: Principal, lockedUntil: string): Promise<void> {
  const who = clean(`${principal.name ?? principal.sub} (${principal.id})`, 300);
  for (const member of groupMembers(deps.config, group)) {
    const text = [
      `Hello ${member.name ?? member.sub},`,
      '',
      `jitgate locked the MFA of ${who} until ${lockedUntil} after ${deps.config.limits.mfaLockout.failures} wrong authenticator codes.`,
      'Someone may be guessing codes with a stolen session. Nothing is needed from you if the user says it was them;',
      'otherwise have their sessions revoked at the identity provider and read the audit trail (GET /v1/audit?actor=...).',
      '',
      `You are told because you are in ${group}.`,
    ].join('\n');
    await deps.notifier.notifyApprover(member.id, `MFA locked for ${principal.sub}`, text);
  }
}

function locked(deps: Deps, retryAfter: number): MfaLocked {
  const { failures, window, lockFor } = deps.config.limits.mfaLockout;
  return new MfaLocked(
    `too many wrong authenticator codes: your MFA is locked for ${retryAfter} s; every code, even a right one, is refused until then`,
    `${failures} wrong codes within ${per(window)} lock MFA for ${per(lockFor)}`,
    Math.max(1, retryAfter),
  );
}
