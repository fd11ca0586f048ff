/**
 * The checks a request passes once its policy said yes (break-glass eligibility,
 * justification, ticket, grant duration), and what a caller still has to do, in words.
 * Split from policy.ts, which matches the action to its policy and evaluates it.
 */
import type { Policy } from '../config/config';
import { describeCondition } from './condition-text';
import { InsufficientAuthentication, PolicyDenied, ValidationFailed } from './errors';
import type { Principal } from './identity';
import { matches, type Evaluation, type MfaRequirement, type Requirements } from './policy';
import { signedInWithin } from './sign-in';
import { visibleLength } from './visible';

export interface RequestInput {
  justification?: string;
  ticket?: string;
  durationSeconds?: number;
  breakGlass?: boolean;
}

export interface PreparedRequest {
  /** The grant's length (window) or use-by window (once), capped for break-glass. */
  durationSeconds: number;
  /** As stored on the request: without approvals when glass is broken. */
  requirements: Requirements;
  /** No approval step: the policy auto-approves this caller, or glass was broken. */
  autoApproved: boolean;
  breakGlass: boolean;
}

/**
 * The checks a request passes once its policy said yes (the step-up check aside: it
 * needs the token and the clock): break-glass allowed, justification, ticket, duration.
 * Break-glass waives the approvals only; MFA, justification (always required for it)
 * and ticket still apply, and the grant is capped at the break-glass maximum.
 */
export function prepareRequest(
  e: Extract<Evaluation, { outcome: 'requestable' }>,
  action: string,
  input: RequestInput,
  principal: Principal,
): PreparedRequest {
  const breakGlass = input.breakGlass === true;
  if (breakGlass && !e.policy.breakGlass) {
    throw new PolicyDenied(`"${action}" does not allow break-glass; ask for approval (send the request without "breakGlass")`, e.rule);
  }
  if (breakGlass && !mayBreakGlass(e.policy, principal)) {
    throw new PolicyDenied(
      `break-glass on "${action}" is only for callers where ${describeCondition(e.policy.breakGlass!.who)} (${e.rule}, ` +
        'breakGlass.who); ask for approval (send the request without "breakGlass")',
      `${e.rule} breakGlass.who`,
    );
  }
  checkJustification(e.requirements, input.justification, { breakGlass });
  checkTicket(e.requirements, input.ticket);
  const durationSeconds = grantDuration(e.policy, input.durationSeconds, { breakGlass });
  return {
    durationSeconds,
    requirements: breakGlass ? { ...e.requirements, approvals: [] } : e.requirements,
    autoApproved: e.autoApproved || breakGlass,
    breakGlass,
  };
}

/** Break-glass has its own eligibility: being allowed to ask is not being allowed to skip the approvers. */
export function mayBreakGlass(policy: Policy, principal: Principal): boolean {
  return policy.breakGlass !== undefined && matches(policy.breakGlass.who, principal, 'allow');
}

/**
 * What a caller still has to do to get a grant, from nothing: `["request", "justification", "mfa totp",
 * "approval from security-admins x1"]`.
 */
export function stillNeeded(requirements: Requirements): string[] {
  const out = ['request'];
  const { justification, ticket } = requirements;
  if (justification.required)
    out.push(justification.minLength > 0 ? `justification (at least ${justification.minLength} characters)` : 'justification');
  if (ticket?.required) out.push(ticket.pattern ? `ticket matching ${ticket.pattern}` : 'ticket');
  const mfa = describeMfa(requirements.mfa);
  if (mfa) out.push(mfa);
  for (const a of requirements.approvals) out.push(`approval from ${a.group} x${a.required}`);
  return out;
}

/** `mfa totp`, `mfa step-up (amr mfa, acr X, signed in within 300 s)`, or undefined for none. */
export function describeMfa(mfa: MfaRequirement): string | undefined {
  if (mfa === 'none') return undefined;
  if (mfa === 'totp') return 'mfa totp';
  const { acr, amr, maxAge } = mfa.stepUp;
  const parts = [
    amr?.length ? `amr ${amr.join('+')}` : '',
    acr?.length ? `acr ${acr.join(' or ')}` : '',
    `signed in within ${maxAge} s`,
  ].filter(Boolean);
  return `mfa step-up (${parts.join(', ')})`;
}

/** The grant's length for a request, validated against the policy (and, for break-glass, against its shorter cap). */
export function grantDuration(policy: Policy, requested: number | undefined, opts: { breakGlass?: boolean } = {}): number {
  const cap = opts.breakGlass ? policy.breakGlass?.maxDuration : undefined;
  if (policy.grant.mode === 'once') {
    if (requested !== undefined)
      throw new ValidationFailed(`"${policy.action}" grants one use within ${policy.grant.useWithin} s; do not send durationSeconds`, [
        { path: 'durationSeconds', message: 'not allowed for one-time grants' },
      ]);
    return cap === undefined ? policy.grant.useWithin : Math.min(cap, policy.grant.useWithin);
  }
  const max = cap ?? policy.grant.maxDuration;
  const duration = requested ?? Math.min(policy.grant.defaultDuration ?? max, max);
  if (duration > max) {
    const what = cap === undefined ? 'the maximum' : 'the break-glass maximum';
    throw new ValidationFailed(`durationSeconds ${duration} is above ${what} of ${max} s for "${policy.action}"`, [
      { path: 'durationSeconds', message: `at most ${max}` },
    ]);
  }
  return duration;
}

export function checkJustification(
  requirements: Requirements,
  justification: string | undefined,
  opts: { breakGlass?: boolean } = {},
): void {
  const { required, minLength } = requirements.justification;
  const text = justification?.trim() ?? '';
  if (opts.breakGlass && text.length === 0) {
    throw new ValidationFailed(
      'break-glass needs a justification: say what is broken and why it cannot wait; send "justification": "<why>"',
      [{ path: 'justification', message: 'required for break-glass' }],
    );
  }
  if (required && text.length === 0) {
    throw new ValidationFailed('this action needs a justification; send "justification": "<why you need it>"', [
      { path: 'justification', message: 'required' },
    ]);
  }
  // Counted as a reader sees it: zero-width characters, combining marks and runs of spaces do not pad it.
  if (text.length > 0 && visibleLength(text) < minLength) {
    throw new ValidationFailed(`justification must be at least ${minLength} characters (it has ${visibleLength(text)} visible ones)`, [
      { path: 'justification', message: `at least ${minLength} characters` },
    ]);
  }
}

const ticketRegexes = new Map<string, RegExp>();

/** The whole ticket must match the policy's pattern (anchors in the pattern are allowed, not needed). */
export function ticketMatches(pattern: string, ticket: string): boolean {
  let re = ticketRegexes.get(pattern);
  if (!re) ticketRegexes.set(pattern, (re = new RegExp(`^(?:${pattern})$`)));
  return re.test(ticket);
}

/** 400 naming the pattern when the policy wants a ticket and the request has none, or one that does not match. */
export function checkTicket(requirements: Requirements, ticket: string | undefined): void {
  const spec = requirements.ticket;
  const text = ticket?.trim() ?? '';
  if (!spec) return;
  const shape = spec.pattern ? ` matching ${spec.pattern}` : '';
  if (spec.required && text.length === 0) {
    throw new ValidationFailed(`this action needs a ticket reference${shape}; send "ticket": "<reference>"`, [
      { path: 'ticket', message: `required${shape}` },
    ]);
  }
  if (text.length > 0 && spec.pattern && !ticketMatches(spec.pattern, text)) {
    throw new ValidationFailed(`ticket ${JSON.stringify(text.slice(0, 100))} does not match ${spec.pattern}`, [
      { path: 'ticket', message: `must match ${spec.pattern}` },
    ]);
  }
}

/** RFC 9470 step-up: the token must show a strong enough, recent enough sign-in. */
export function checkStepUp(mfa: MfaRequirement, principal: Principal, now: Date, clockSkewSeconds = 0): void {
  if (typeof mfa === 'string') return;
  const { acr, amr, maxAge } = mfa.stepUp;
  const fresh = signedInWithin(principal, now, maxAge, clockSkewSeconds);
  const acrOk = !acr || (principal.acr !== undefined && acr.includes(principal.acr));
  const amrOk = !amr || amr.every((m) => principal.amr?.includes(m));
  if (!fresh || !acrOk || !amrOk) {
    throw new InsufficientAuthentication(
      `sign in again${amr ? ` with ${amr.join(', ')}` : ''}${acr ? ` at ${acr.join(' or ')}` : ''}, within the last ${maxAge} s`,
      acr ?? [],
      maxAge,
    );
  }
}
