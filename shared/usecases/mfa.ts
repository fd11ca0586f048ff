/** TOTP enrolment, and the requester's answer to a request's MFA challenge. */
import { auditEvent } from '../audit';
import { AlreadyDecided, Conflict, MfaFailed, MfaNotEnrolled, NotFound, WindowClosed } from '../errors';
import type { Principal } from '../identity';
import { assertTransition, withState } from '../request';
import { checkTotp, MAX_MFA_FAILURES, newTotpSecret, otpauthUri } from '../totp';
import type { Deps } from '../runtime';
import { requestView, type RequestView } from '../views';
import { completion, load, settle, withRetry } from './common';
import { tellRequester } from './outcomes';

export async function enrolTotp(deps: Deps, principal: Principal): Promise<{ secret: string; otpauthUri: string }> {
  const secret = newTotpSecret();
  const ok = await deps.store.putEnrolment(principal.id, { secret, confirmed: false, createdAt: deps.now().toISOString() });
  if (!ok) throw new Conflict('you already have a confirmed authenticator');
  return { secret, otpauthUri: otpauthUri(secret, principal.email ?? principal.sub) };
}

export async function confirmTotp(deps: Deps, principal: Principal, code: string): Promise<{ confirmed: true }> {
  const enrolment = await deps.store.getEnrolment(principal.id);
  if (!enrolment) throw new MfaNotEnrolled('start with POST /v1/mfa/totp to get a secret for your authenticator app');
  if (enrolment.confirmed) throw new Conflict('this authenticator is already confirmed');
  const step = checkTotp(enrolment.secret, code, deps.now(), enrolment.lastUsedStep);
  if (step === undefined || !(await deps.store.useTotpStep(principal.id, step))) throw new MfaFailed('the code does not match; check the time on your device and try the next code', 0);
  return { confirmed: true };
}

export async function answerMfa(deps: Deps, principal: Principal, id: string, code: string): Promise<RequestView> {
  const enrolment = await deps.store.getEnrolment(principal.id);
  const now = deps.now();
  const step = enrolment?.confirmed ? checkTotp(enrolment.secret, code, now, enrolment.lastUsedStep) : undefined;
  // Burn the step before accepting it, so the same code cannot pass twice (RFC 6238 §5.2).
  const accepted = step !== undefined && (await deps.store.useTotpStep(principal.id, step));

  const result = await withRetry(async () => {
    const stored = await load(deps, id);
    const request = stored.request;
    if (request.requester.id !== principal.id) throw new NotFound(`no request ${id}`);
    if (request.status !== 'pending_mfa' || request.mfa.passedAt) throw new AlreadyDecided(`request is ${request.status}${request.mfa.passedAt ? ' and MFA is already done' : ''}`, request.status);
    if (Date.parse(request.mfaDeadline) <= now.getTime()) throw new WindowClosed(`the MFA window closed at ${request.mfaDeadline}`);
    if (!enrolment?.confirmed) throw new MfaNotEnrolled('enrol an authenticator first: POST /v1/mfa/totp, then POST /v1/mfa/totp/verify');

    if (!accepted) {
      const failures = request.mfa.failures + 1;
      if (failures >= MAX_MFA_FAILURES) {
        assertTransition(request, 'deny');
        const locked = withState(request, { status: 'denied', decidedAt: now.toISOString(), decidedBy: 'jitgate', reason: `${MAX_MFA_FAILURES} wrong MFA codes` }, { mfa: { ...request.mfa, failures } });
        await deps.store.saveRequest(stored, locked, [auditEvent(id, 'mfa_locked_out', principal.id, now, { details: { failures } })], {});
        return { kind: 'locked' as const, request: locked, token: stored.tokens.mfaTaskToken };
      }
      const counted = withState(request, { status: 'pending_mfa', mfaDeadline: request.mfaDeadline }, { mfa: { ...request.mfa, failures } });
      await deps.store.saveRequest(stored, counted, [auditEvent(id, 'mfa_failed', principal.id, now, { details: { failures } })]);
      return { kind: 'failed' as const, request: counted, attemptsLeft: MAX_MFA_FAILURES - failures };
    }
    assertTransition(request, 'passMfa');
    const mfa = { ...request.mfa, passedAt: now.toISOString() };
    const grant = completion(withState(request, { status: 'pending_mfa', mfaDeadline: request.mfaDeadline }, { mfa }), now);
    const passed = withState(request, { status: 'pending_mfa', mfaDeadline: request.mfaDeadline }, { mfa, ...(grant ? { grantTimes: grant } : {}) });
    await deps.store.saveRequest(stored, passed, [auditEvent(id, 'mfa_passed', principal.id, now)]);
    return { kind: 'passed' as const, request: passed, token: stored.tokens.mfaTaskToken };
  });

  switch (result.kind) {
    case 'failed':
      throw new MfaFailed(`the code is not valid; ${result.attemptsLeft} attempt(s) left before the request is denied`, result.attemptsLeft);
    case 'locked':
      if (result.token) await deps.workflow.fail(result.token, 'MFA failed too often');
      await deps.notifier.publishEvent('request.denied', principal.id, { requestId: id, reason: 'MFA failed too often' }).catch(() => undefined);
      throw new MfaFailed(`${MAX_MFA_FAILURES} wrong codes: the request is denied; ask again`, 0);
    case 'passed': {
      const grant = result.request.grantTimes;
      const handedOver = result.token ? await deps.workflow.succeed(result.token, grant ?? {}) : false;
      // The state machine moves on at once (to approval, or to activation); show where it went.
      // Without the token yet, the MfaChallenge step parks it, sees `passedAt` and moves on itself.
      const settled = await settle(deps, id, ['pending_mfa']);
      // Nothing else was needed (no approval): the requester is told the grant is active, and until when.
      if (grant && handedOver && settled.status === 'active') await tellRequester(deps, settled, 'activated', { activatedAt: settled.activatedAt, expiresAt: settled.expiresAt });
      return requestView(settled);
    }
  }
}
