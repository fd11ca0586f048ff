/**
 * IAM identity-policy evaluation, as AWS documents it for a request within one account:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 *
 * An explicit Deny in any statement wins; otherwise an Allow is needed; otherwise the
 * request is implicitly denied. A statement applies when its Action (or NotAction),
 * its Resource (or NotResource) and every Condition match. Actions match
 * case-insensitively, resource ARNs case-sensitively; both take `*` (any run of
 * characters) and `?` (one character).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 *
 * Pure: no I/O. Our own evaluator, because the permissive ones on npm do not cover
 * NotAction/NotResource and ARN wildcards together, and the complete one is AGPL.
 */

export type Effect = 'Allow' | 'Deny';

export interface Statement {
  Sid?: string;
  Effect: Effect;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: Statement | Statement[];
}

/** A named policy document, as the template attaches it to a role. */
export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
}

/** What is asked: `dynamodb:PutItem` on `arn:aws:dynamodb:...:table/jitgate`, with condition keys if any. */
export interface AccessRequest {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

export type Decision =
  | { kind: 'allowed'; policy: string; statement: number }
  | { kind: 'explicitly-denied'; policy: string; statement: number }
  | { kind: 'implicitly-denied' };

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** `*` and `?` wildcards; everything else literal. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const v = caseInsensitive ? value.toLowerCase() : value;
  // Iterative glob with single-star backtracking: linear-ish, no regular expression built from policy text.
  let pi = 0;
  let vi = 0;
  let star = -1;
  let mark = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = vi;
    } else if (star >= 0) {
      pi = star + 1;
      vi = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** `service:Action`, case-insensitive; a bare `*` matches every action. */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcardMatch(pattern, action, true);
}

/**
 * ARNs match segment by segment for `arn:partition:service:region:account:`, then the
 * resource part (which may itself hold `:` and `/`) as one string. A bare `*` matches all.
 */
export function resourceMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const ps = pattern.split(':');
  const as = arn.split(':');
  // An ARN pattern with fewer segments than an ARN has matches nothing (AWS ignores it); other values compare whole.
  if (ps.length < 6 || as.length < 6) return ps[0] === 'arn' ? false : wildcardMatch(pattern, arn);
  for (let i = 0; i < 5; i++) if (!wildcardMatch(ps[i]!, as[i]!)) return false;
  return wildcardMatch(ps.slice(5).join(':'), as.slice(5).join(':'));
}

type ConditionTest = (policyValue: string, requestValue: string) => boolean;

const POSITIVE: Record<string, ConditionTest> = {
  StringEquals: (p, r) => p === r,
  StringEqualsIgnoreCase: (p, r) => p.toLowerCase() === r.toLowerCase(),
  StringLike: (p, r) => wildcardMatch(p, r),
  ArnEquals: (p, r) => resourceMatches(p, r),
  ArnLike: (p, r) => resourceMatches(p, r),
  Bool: (p, r) => p.toLowerCase() === r.toLowerCase(),
};
const NEGATED: Record<string, string> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

export class UnsupportedConditionError extends Error {
  constructor(readonly operator: string) {
    super(`condition operator ${operator} is not evaluated by local mode`);
    this.name = 'UnsupportedConditionError';
  }
}

/**
 * One condition block. A key missing from the request context makes a positive operator
 * false and a negated one true; `...IfExists` makes a missing key true.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
function conditionHolds(
  operator: string,
  keys: Record<string, string | string[] | boolean>,
  context: Record<string, string | string[]>,
): boolean {
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  const negatedOf = NEGATED[base];
  const test = POSITIVE[negatedOf ?? base];
  if (!test) throw new UnsupportedConditionError(operator);
  return Object.entries(keys).every(([key, expected]) => {
    const found = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
    if (found === undefined) return ifExists || negatedOf !== undefined;
    const policyValues = Array.isArray(expected) ? expected.map(String) : [String(expected)];
    const requestValues = list(found);
    const any = requestValues.some((r) => policyValues.some((p) => test(p, r)));
    return negatedOf ? !any : any;
  });
}

/**
 * Whether the statement applies. An unsupported condition operator makes an Allow not
 * apply and a Deny apply: local mode never grants more than AWS would.
 */
function applies(statement: Statement, request: AccessRequest): boolean {
  const actionHit =
    statement.NotAction !== undefined
      ? !list(statement.NotAction).some((p) => actionMatches(p, request.action))
      : list(statement.Action).some((p) => actionMatches(p, request.action));
  if (!actionHit) return false;
  const resourceHit =
    statement.NotResource !== undefined
      ? !list(statement.NotResource).some((p) => resourceMatches(p, request.resource))
      : list(statement.Resource).some((p) => resourceMatches(p, request.resource));
  if (!resourceHit) return false;
  try {
    return Object.entries(statement.Condition ?? {}).every(([operator, keys]) => conditionHolds(operator, keys, request.context ?? {}));
  } catch (error) {
    if (error instanceof UnsupportedConditionError) return statement.Effect === 'Deny';
    throw error;
  }
}

/** The identity-policy decision for one request against every policy of a role. */
export function evaluate(policies: NamedPolicy[], request: AccessRequest): Decision {
  let allowed: Decision | undefined;
  for (const policy of policies) {
    const statements = Array.isArray(policy.document.Statement) ? policy.document.Statement : [policy.document.Statement];
    for (const [index, statement] of statements.entries()) {
      if (!applies(statement, request)) continue;
      if (statement.Effect === 'Deny') return { kind: 'explicitly-denied', policy: policy.name, statement: index };
      allowed ??= { kind: 'allowed', policy: policy.name, statement: index };
    }
  }
  return allowed ?? { kind: 'implicitly-denied' };
}

/**
 * Checks a resolved policy document's shape, so a malformed template fails at start with
 * the policy's name rather than denying (or allowing) something at random later.
 */
export function validatePolicy(name: string, document: unknown): PolicyDocument {
  const fail = (why: string): never => {
    throw new Error(`IAM policy ${name}: ${why}`);
  };
  if (typeof document !== 'object' || document === null) fail('the PolicyDocument is not an object');
  const statements = (document as { Statement?: unknown }).Statement;
  const all = Array.isArray(statements) ? statements : statements === undefined ? fail('no Statement') : [statements];
  for (const [i, s] of (all as unknown[]).entries()) {
    const st = s as Record<string, unknown>;
    if (st['Effect'] !== 'Allow' && st['Effect'] !== 'Deny') fail(`statement ${i}: Effect must be Allow or Deny`);
    if ((st['Action'] === undefined) === (st['NotAction'] === undefined)) fail(`statement ${i}: exactly one of Action and NotAction`);
    if ((st['Resource'] === undefined) === (st['NotResource'] === undefined))
      fail(`statement ${i}: exactly one of Resource and NotResource`);
    for (const field of ['Action', 'NotAction', 'Resource', 'NotResource']) {
      const v = st[field];
      if (v !== undefined && !(typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')))) {
        fail(`statement ${i}: ${field} must be a string or a list of strings (intrinsics left unresolved?)`);
      }
    }
  }
  return document as PolicyDocument;
}
