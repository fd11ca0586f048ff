/**
 * What the config says for one caller, action and resource, as data: which rule decides,
 * why, what it takes, who else matches. The same evaluation as POST /v1/requests and POST
 * /v1/authorize (policy.ts); `npx jitgate explain` prints it, the console's policies page
 * shows it for the signed-in person.
 */
import { describeCondition } from './condition-text';
import type { Config } from '../config/config';
import { compileGlob, specificity } from './glob';
import type { Principal } from './identity';
import { decisionOf, evaluate, PolicyIndex, ruleName, type Decision, type Requirements } from './policy';
import { mayBreakGlass, stillNeeded } from './request-checks';

export interface Caller {
  principal: Principal;
  source: 'demo user' | 'token' | 'claims' | 'console sign-in';
  /** False for the CLI (it never verifies anything); true for the console's signed-in person. */
  verified: boolean;
  note?: string;
}

export interface Explanation {
  caller: {
    id: string;
    source: Caller['source'];
    verified: boolean;
    note?: string;
    groups: string[];
    roles: string[];
    attributes: Record<string, string | string[]>;
  };
  action: string;
  resource: string;
  decision: Decision;
  rule: string;
  reason: string;
  clause?: string;
  requirements?: Requirements;
  /** What the caller still has to do, from nothing (as POST /v1/authorize's `missing`). */
  missing?: string[];
  breakGlass?: { allowed: boolean; who: string; maxDurationSeconds: number; notify: string };
  stepUp?: { satisfied: boolean; detail: string };
  /** Other policies that also match, less specific: they do not apply while the deciding rule exists. */
  alsoMatching: string[];
}

/** The whole evaluation, as data: used by the CLI and by the table-driven policy tests. */
/** `index`: a caller that explains many actions (the console's policies page) passes the one it already built. */
export function explainFor(
  config: Config,
  caller: Caller,
  action: string,
  resource: string,
  now = new Date(),
  index = new PolicyIndex(config),
): Explanation {
  const e = evaluate(index, caller.principal, action, resource);
  const p = caller.principal;
  const deciding = e.policy;
  const result: Explanation = {
    caller: {
      id: p.id,
      source: caller.source,
      verified: caller.verified,
      ...(caller.note ? { note: caller.note } : {}),
      groups: p.groups,
      roles: p.roles,
      attributes: p.attributes,
    },
    action,
    resource,
    decision: decisionOf(e),
    rule: e.rule,
    reason: e.reason,
    ...(e.outcome === 'denied' && e.clause ? { clause: e.clause } : {}),
    alsoMatching: config.policies
      .map((policy, i) => ({ policy, i }))
      .filter(({ policy }) => policy !== deciding && compileGlob(policy.action)(action) && compileGlob(policy.resource ?? '*')(resource))
      .sort(
        (a, b) =>
          specificity(b.policy.action) - specificity(a.policy.action) ||
          specificity(b.policy.resource ?? '*') - specificity(a.policy.resource ?? '*'),
      )
      .map(({ policy, i }) => ruleName(policy, i)),
  };
  if (e.outcome === 'requestable') {
    result.requirements = e.requirements;
    result.missing = stillNeeded(e.requirements);
    const mfa = e.requirements.mfa;
    if (typeof mfa === 'object') result.stepUp = stepUpCheck(mfa.stepUp, p, caller, now);
  }
  if (deciding?.breakGlass)
    result.breakGlass = {
      allowed: e.outcome === 'requestable' && mayBreakGlass(deciding, p),
      who: describeCondition(deciding.breakGlass.who),
      maxDurationSeconds: deciding.breakGlass.maxDuration,
      notify: deciding.breakGlass.notify,
    };
  return result;
}

/** Mirrors the RFC 9470 check requests get, as advice: a demo user has no sign-in to judge. */
function stepUpCheck(
  stepUp: { acr?: string[]; amr?: string[]; maxAge: number },
  p: Principal,
  caller: Caller,
  now: Date,
): { satisfied: boolean; detail: string } {
  if (caller.source === 'demo user')
    return { satisfied: false, detail: 'a demo user has no sign-in to judge; `npx jitgate token <user> --amr mfa` gives one that has' };
  const age = p.authTime === undefined ? undefined : Math.floor(now.getTime() / 1000) - p.authTime;
  const fresh = age !== undefined && age <= stepUp.maxAge;
  const acrOk = !stepUp.acr || (p.acr !== undefined && stepUp.acr.includes(p.acr));
  const amrOk = !stepUp.amr || stepUp.amr.every((m) => p.amr?.includes(m));
  const problems = [
    !fresh && (age === undefined ? 'no auth_time' : `signed in ${age} s ago (at most ${stepUp.maxAge})`),
    !acrOk && `acr ${p.acr ?? '(none)'}`,
    !amrOk && `amr ${p.amr?.join(',') ?? '(none)'}`,
  ].filter(Boolean);
  return problems.length
    ? {
        satisfied: false,
        detail: `this token's sign-in is not enough (${problems.join('; ')}): the API would answer 401 insufficient_user_authentication`,
      }
    : { satisfied: true, detail: "this token's sign-in meets it" };
}
