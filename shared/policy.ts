/**
 * Match an action (and resource) to its policy, and decide what it takes.
 * Fail closed: an action no policy names is denied.
 */
import type { Condition, Config, Policy } from './config';
import { PolicyDenied, ValidationFailed } from './errors';
import { claimValues, type Principal } from './identity';

export type MfaRequirement = 'none' | 'totp' | { stepUp: { acr?: string[]; amr?: string[]; maxAge: number } };

export interface Requirements {
  approvals: { group: string; required: number }[];
  approvalWindowSeconds: number;
  mfa: MfaRequirement;
  mfaWindowSeconds: number;
  grant: { mode: 'once'; useWithinSeconds: number } | { mode: 'window'; maxDurationSeconds: number };
  justification: { required: boolean; minLength: number };
}

export type Evaluation =
  | { outcome: 'denied'; rule: string; reason: string }
  | { outcome: 'requestable'; policy: Policy; rule: string; requirements: Requirements; autoApproved: boolean };

/** Compiled once per config: exact action names in a map, globs in order of specificity. */
export class PolicyIndex {
  private readonly exact = new Map<string, { policy: Policy; index: number }[]>();
  private readonly globs: { regex: RegExp; policy: Policy; index: number }[] = [];

  constructor(readonly config: Config) {
    config.policies.forEach((policy, index) => {
      if (policy.action.includes('*')) this.globs.push({ regex: globToRegex(policy.action), policy, index });
      else this.exact.set(policy.action, [...(this.exact.get(policy.action) ?? []), { policy, index }]);
    });
    this.globs.sort((a, b) => specificity(b.policy.action) - specificity(a.policy.action));
  }

  /** The most specific policy for the action and resource, or undefined (deny). */
  match(action: string, resource: string): { policy: Policy; index: number } | undefined {
    const candidates = this.exact.get(action) ?? [];
    const found = pickByResource(candidates, resource);
    if (found) return found;
    const globbed = this.globs.filter((g) => g.regex.test(action));
    return pickByResource(globbed, resource);
  }
}

function pickByResource<T extends { policy: Policy }>(candidates: T[], resource: string): T | undefined {
  let best: T | undefined;
  let bestScore = -1;
  for (const c of candidates) {
    const pattern = c.policy.resource;
    if (pattern !== undefined && !globToRegex(pattern).test(resource)) continue;
    const score = pattern === undefined ? 0 : 1 + specificity(pattern);
    if (score > bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** More literal characters = more specific. */
function specificity(pattern: string): number {
  return pattern.replace(/\*/g, '').length;
}

const regexCache = new Map<string, RegExp>();
export function globToRegex(glob: string): RegExp {
  let re = regexCache.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    regexCache.set(glob, re);
  }
  return re;
}

export function matches(condition: Condition, p: Principal): boolean {
  if ('all' in condition) return condition.all.every((c) => matches(c, p));
  if ('any' in condition) return condition.any.some((c) => matches(c, p));
  if ('not' in condition) return !matches(condition.not, p);
  const values = claimValues(p, condition.claim);
  if ('equals' in condition) return values.length === 1 && values[0] === condition.equals;
  if ('oneOf' in condition) return values.some((v) => condition.oneOf.includes(v));
  if ('contains' in condition) return values.includes(condition.contains);
  return condition.exists === values.length > 0;
}

export function requirementsOf(policy: Policy): Requirements {
  return {
    approvals: Object.entries(policy.approvals?.groups ?? {}).map(([group, required]) => ({ group, required })),
    approvalWindowSeconds: policy.approvals?.window ?? 0,
    mfa: policy.mfa,
    mfaWindowSeconds: policy.mfaWindow,
    grant: policy.grant.mode === 'once'
      ? { mode: 'once', useWithinSeconds: policy.grant.useWithin }
      : { mode: 'window', maxDurationSeconds: policy.grant.maxDuration },
    justification: policy.justification,
  };
}

export function ruleName(policy: Policy, index: number): string {
  return `policies[${index}] ${policy.action}${policy.resource ? ` on ${policy.resource}` : ''}`;
}

export function evaluate(index: PolicyIndex, principal: Principal, action: string, resource: string): Evaluation {
  const found = index.match(action, resource);
  if (!found) return { outcome: 'denied', rule: 'default', reason: `no policy names "${action}"; unknown actions are denied` };
  const { policy } = found;
  const rule = ruleName(policy, found.index);
  for (const deny of policy.deny) {
    if (matches(deny.when, principal)) return { outcome: 'denied', rule, reason: deny.reason };
  }
  const requirements = requirementsOf(policy);
  const autoApproved = policy.autoApprove === true || (typeof policy.autoApprove === 'object' && matches(policy.autoApprove, principal));
  if (autoApproved) requirements.approvals = [];
  else if (requirements.approvals.length === 0) {
    // autoApprove was a condition this principal does not meet, and the policy names no approvers.
    return { outcome: 'denied', rule, reason: `"${action}" is only auto-approved for callers matching its condition` };
  }
  return { outcome: 'requestable', policy, rule, requirements, autoApproved };
}

/** Throws PolicyDenied when the evaluation denies. */
export function assertRequestable(evaluation: Evaluation): Extract<Evaluation, { outcome: 'requestable' }> {
  if (evaluation.outcome === 'denied') throw new PolicyDenied(evaluation.reason, evaluation.rule);
  return evaluation;
}

/** The grant's length for a request, validated against the policy. */
export function grantDuration(policy: Policy, requested: number | undefined): number {
  if (policy.grant.mode === 'once') {
    if (requested !== undefined) throw new ValidationFailed(`"${policy.action}" grants one use within ${policy.grant.useWithin} s; do not send durationSeconds`, [{ path: 'durationSeconds', message: 'not allowed for one-time grants' }]);
    return policy.grant.useWithin;
  }
  const max = policy.grant.maxDuration;
  const duration = requested ?? policy.grant.defaultDuration ?? max;
  if (duration > max) {
    throw new ValidationFailed(`durationSeconds ${duration} is above the maximum of ${max} s for "${policy.action}"`, [{ path: 'durationSeconds', message: `at most ${max}` }]);
  }
  return duration;
}

export function checkJustification(requirements: Requirements, justification: string | undefined): void {
  const { required, minLength } = requirements.justification;
  const text = justification?.trim() ?? '';
  if (required && text.length === 0) {
    throw new ValidationFailed('this action needs a justification; send "justification": "<why you need it>"', [{ path: 'justification', message: 'required' }]);
  }
  if (text.length > 0 && text.length < minLength) {
    throw new ValidationFailed(`justification must be at least ${minLength} characters`, [{ path: 'justification', message: `at least ${minLength} characters` }]);
  }
}
