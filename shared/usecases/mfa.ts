/** TOTP enrolment, and the requester's answer to a request's MFA challenge. */
import { auditEvent } from '../domain/audit';
import {
  AlreadyDecided,
  Conflict,
  InsufficientAuthentication,
  MfaCodeReused,
  MfaFailed,
  MfaLocked,
  MfaNotEnrolled,
  NotFound,
  WindowClosed,
} from '../domain/errors';
import type { Principal } from '../domain/identity';
import { signedInWithin } from '../domain/sign-in';
import { assertTransition, withState } from '../domain/request';
import { checkTotp, MAX_MFA_FAILURES, newTotpSecret, otpauthUri, totpVerdict } from '../domain/totp';
import type { Deps } from '../runtime';
import { requestView, type RequestView } from '../domain/views';
import { completion, load, withRetry } from './common';
import { holdMfaAttempt, settleMfaAttempt, takeRate } from './limits';

/**
 * A new TOTP secret. Binding an authenticator is what every later MFA check trusts, so
 * a stolen bearer token must not be enough: enrolling needs a fresh sign-in (`auth_time`
 * at most `limits.enrolmentMaxAge` old, else 401 with an RFC 9470 `max_age` challenge),
 * and replacing a confirmed authenticator also needs a current code from it (counted
 * like any other code by the lockout). Each enrolment is audited.
 */
export async function enrolTotp(deps: Deps, principal: Principal, code?: string): Promise<{ secret: string; otpauthUri: string }> {
  const now = deps.now();
  const maxAge = deps.config.limits.enrolmentMaxAge;
  if (!signedInWithin(principal, now, maxAge, deps.config.issuers[principal.issuerName]?.clockSkew)) {
    throw new InsufficientAuthentication(
      `enrolling an authenticator needs a recent sign-in: sign in again (a token with auth_time within the last ${maxAge} s) and retry`,
      [],
      maxAge,
    );
  }
  const existing = await deps.store.getEnrolment(principal.id);
  const secret = newTotpSecret();
  const enrolment = { secret, confirmed: false, createdAt: now.toISOString() };
  let replaced: 'none' | 'unconfirmed' | 'confirmed' = existing ? 'unconfirmed' : 'none';
  if (existing?.confirmed) {
    if (!code)
      throw new Conflict(
        'you already have a confirmed authenticator; to replace it, send {"code": "<its current code>"} with a fresh sign-in',
      );
    const attempt = await holdMfaAttempt(deps, principal, {});
    const verdict = totpVerdict(existing.secret, code, now, existing.lastUsedStep);
    const right = verdict.kind === 'valid' && (await deps.store.useTotpStep(principal.id, verdict.step));
    await settleMfaAttempt(deps, principal, attempt, right ? 'right' : verdict.kind === 'wrong' ? 'wrong' : 'replayed', {});
    if (!right) {
      if (verdict.kind === 'wrong')
        throw new MfaFailed('the code does not match your current authenticator; send the code it shows now', 0);
      throw new MfaCodeReused('this code has already been used; wait for the next one on your authenticator');
    }
    if (!(await deps.store.replaceEnrolment(principal.id, enrolment, existing.secret)))
      throw new Conflict('your authenticator changed meanwhile; start again');
    replaced = 'confirmed';
  } else if (!(await deps.store.putEnrolment(principal.id, enrolment))) {
    throw new Conflict('an authenticator was confirmed meanwhile; to replace it, send {"code": "<its current code>"}');
  }
  await deps.store.recordAudit([auditEvent(deps.newId(), 'totp_enrolled', principal.id, now, { details: { replaced } })]);
  return { secret, otpauthUri: otpauthUri(secret, principal.email ?? principal.sub) };
}

export async function confirmTotp(deps: Deps, principal: Principal, code: string): Promise<{ confirmed: true }> {
  const enrolment = await deps.store.getEnrolment(principal.id);
  if (!enrolment) throw new MfaNotEnrolled('start with POST /v1/mfa/totp to get a secret for your authenticator app');
  if (enrolment.confirmed) throw new Conflict('this authenticator is already confirmed');
  const step = checkTotp(enrolment.secret, code, deps.now(), enrolment.lastUsedStep);
  if (step === undefined || !(await deps.store.useTotpStep(principal.id, step)))
    throw new MfaFailed('the code does not match; check the time on your device and try the next code', 0);
  await deps.store.recordAudit([auditEvent(deps.newId(), 'totp_confirmed', principal.id, deps.now())]);
  return { confirmed: true };
}

export async function answerMfa(deps: Deps, principal: Principal, id: string, code: string): Promise<RequestView> {
  await takeRate(deps, principal, 'mfaAnswers');
  const enrolment = await deps.store.getEnrolment(principal.id);
  const now = deps.now();
  let accepted = false;
  /** A wrong code stays counted; it is settled (and may lock MFA) once the request has recorded it too. */
  let wrongAttempt: string | undefined;
  if (enrolment?.confirmed) {
    // Counted as a wrong code across all the user's requests until it proves right (config limits.mfaLockout).
    const attempt = await holdMfaAttempt(deps, principal, { requestId: id });
    const verdict = totpVerdict(enrolment.secret, code, now, enrolment.lastUsedStep);
    // Burn the step before accepting it, so the same code cannot pass twice (RFC 6238 §5.2).
    accepted = verdict.kind === 'valid' && (await deps.store.useTotpStep(principal.id, verdict.step));
    const replayed = verdict.kind === 'replayed' || (verdict.kind === 'valid' && !accepted);
    if (accepted || replayed) await settleMfaAttempt(deps, principal, attempt, accepted ? 'right' : 'replayed', { requestId: id });
    else wrongAttempt = attempt;
    if (replayed)
      throw new MfaCodeReused(
        'this code has already been used; wait for the next one on your authenticator (it was not counted as a wrong code)',
      );
  }
  // The user-wide count, after the request's own: MfaLocked (429) when this wrong code locks MFA.
  const settleWrong = async (): Promise<MfaLocked | undefined> => {
    if (!wrongAttempt) return undefined;
    try {
      await settleMfaAttempt(deps, principal, wrongAttempt, 'wrong', { requestId: id });
      return undefined;
    } catch (err) {
      if (err instanceof MfaLocked) return err;
      throw err;
    }
  };

  const result = await withRetry(async () => {
    const stored = await load(deps, id);
    const request = stored.request;
    if (request.requester.id !== principal.id) throw new NotFound(`no request ${id}`);
    // A right code for an MFA already passed, the request still waiting for it: the first answer's
    // hand-over to the state machine failed (its caller got a 503). Hand over again, or it waits for ever.
    if (accepted && request.status === 'pending_mfa' && request.mfa.passedAt)
      return { kind: 'passed' as const, request, token: stored.tokens.mfaTaskToken };
    if (request.status !== 'pending_mfa' || request.mfa.passedAt)
      throw new AlreadyDecided(`request is ${request.status}${request.mfa.passedAt ? ' and MFA is already done' : ''}`, request.status);
    if (Date.parse(request.mfaDeadline) <= now.getTime()) throw new WindowClosed(`the MFA window closed at ${request.mfaDeadline}`);
    if (!enrolment?.confirmed) throw new MfaNotEnrolled('enrol an authenticator first: POST /v1/mfa/totp, then POST /v1/mfa/totp/verify');

    if (!accepted) {
      const failures = request.mfa.failures + 1;
      if (failures >= MAX_MFA_FAILURES) {
        assertTransition(request, 'deny');
        const locked = withState(
          request,
          { status: 'denied', decidedAt: now.toISOString(), decidedBy: 'jitgate', reason: `${MAX_MFA_FAILURES} wrong MFA codes` },
          { mfa: { ...request.mfa, failures } },
        );
        await deps.store.saveRequest(stored, locked, [auditEvent(id, 'mfa_locked_out', principal.id, now, { details: { failures } })], {});
        return { kind: 'locked' as const, request: locked, token: stored.tokens.mfaTaskToken };
      }
      const counted = withState(
        request,
        { status: 'pending_mfa', mfaDeadline: request.mfaDeadline },
        { mfa: { ...request.mfa, failures } },
      );
      await deps.store.saveRequest(stored, counted, [auditEvent(id, 'mfa_failed', principal.id, now, { details: { failures } })]);
      return { kind: 'failed' as const, request: counted, attemptsLeft: MAX_MFA_FAILURES - failures };
    }
    assertTransition(request, 'passMfa');
    const mfa = { ...request.mfa, passedAt: now.toISOString() };
    const grant = completion(withState(request, { status: 'pending_mfa', mfaDeadline: request.mfaDeadline }, { mfa }), now);
    const passed = withState(request, { status: 'pending_mfa', mfaDeadline: request.mfaDeadline }, { mfa, ...grant });
    await deps.store.saveRequest(stored, passed, [auditEvent(id, 'mfa_passed', principal.id, now)]);
    return { kind: 'passed' as const, request: passed, token: stored.tokens.mfaTaskToken };
  }).catch(async (err: unknown) => {
    throw (await settleWrong()) ?? err;
  });
  const userLocked = await settleWrong();
  if (result.kind !== 'passed') deps.metrics.count('MfaFailures');
  if (result.kind === 'locked') deps.metrics.count('RequestsDenied');
  if (userLocked) deps.metrics.count('MfaLockouts');

  switch (result.kind) {
    case 'failed':
      throw (
        userLocked ??
        new MfaFailed(`the code is not valid; ${result.attemptsLeft} attempt(s) left before the request is denied`, result.attemptsLeft)
      );
    case 'locked':
      if (result.token) await deps.workflow.fail(result.token, 'MFA failed too often');
      await deps.notifier
        .publishEvent('request.denied', principal.id, { requestId: id, reason: 'MFA failed too often' })
        .catch(() => undefined);
      throw userLocked ?? new MfaFailed(`${MAX_MFA_FAILURES} wrong codes: the request is denied; ask again`, 0);
    case 'passed':
      // The state machine moves on (to approval, or to activation); the answer is the request as
      // answered. Without the token yet, the MfaChallenge step parks it, sees `passedAt` and moves on itself.
      if (result.token) await deps.workflow.succeed(result.token, result.request.grantTimes ?? {});
      return requestView(result.request);
  }
}
