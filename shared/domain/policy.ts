/**
 * Match an action (and resource) to its policy, and decide what it takes.
 * Fail closed: an action no policy names is denied.
 *
 * Precedence: the single most specific matching policy decides (policies never
 * merge). Specificity is compared on the action pattern first, then on the resource
 * pattern (see `specificity` in glob.ts: an exact name beats any glob, more literal
 * characters beat fewer, no resource pattern counts as "*"). Two policies that could
 * match the same (action, resource) with equal scores are refused when the config is
 * validated (`findTies`), so at run time the winner is always unique.
 *
 * Within the winning policy: `deny` rules first (the first match denies with its
 * reason), then `requesters` (a caller not matching is denied), then `autoApprove`.
 */
import type { Condition, Config, Policy } from '../config/config';
import { PolicyDenied } from './errors';
import { compileGlob, isGlob, specificity } from './glob';
import { claimValues, type Principal } from './identity';
import { describeCondition } from './condition-text';
import { nearest } from './suggest';

export { globToRegex } from './glob';

export type MfaRequirement = 'none' | 'totp' | { stepUp: { acr?: string[]; amr?: string[]; maxAge: number } };

export interface Requirements {
  approvals: { group: string; required: number }[];
  approvalWindowSeconds: number;
  mfa: MfaRequirement;
  mfaWindowSeconds: number;
  grant: { mode: 'once'; useWithinSeconds: number } | { mode: 'window'; maxDurationSeconds: number };
  justification: { required: boolean; minLength: number };
  /** A ticket reference the request must carry (`ticket` in POST /v1/requests). */
  ticket?: { required: boolean; pattern?: string };
  /** The policy allows an emergency self-grant: at most this long, announced to this approver group. */
  breakGlass?: { maxDurationSeconds: number; notify: string };
  /** How approvers authenticate on the approval page; absent means `link` (requests stored before the field existed). */
  approverAuth?: 'link' | 'sso';
  /** Denials that end the request as `denied`; absent means 1 (a single "no" ends it). */
  denials?: number;
  /** Remind the approvers who have not decided, once, this many seconds after they were first notified. */
  remindAfterSeconds?: number;
  /** Tell this approver group's members this many seconds before the approval window closes. */
  escalate?: { group: string; beforeSeconds: number };
}

/** What the caller gets: denied, requestable (needs approval), or auto (no approval needed). */
export type Decision = 'denied' | 'requestable' | 'auto';

export type Evaluation =
  | {
      outcome: 'denied';
      rule: string;
      reason: string;
      /** Which part of the policy denied: `deny[0]`, `requesters`, `autoApprove`; absent for the default deny. */
      clause?: string;
      policy?: Policy;
    }
  | { outcome: 'requestable'; policy: Policy; rule: string; reason: string; requirements: Requirements; autoApproved: boolean };

export function decisionOf(e: Evaluation): Decision {
  return e.outcome === 'denied' ? 'denied' : e.autoApproved ? 'auto' : 'requestable';
}

interface Entry {
  policy: Policy;
  index: number;
  actionScore: number;
  resourceScore: number;
  matchAction: (action: string) => boolean;
  matchResource: (resource: string) => boolean;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** Globs whose literal prefix (the text before the first `*`) ends at this node. */
  entries: Entry[];
}

const newNode = (): TrieNode => ({ children: new Map(), entries: [] });
const ALWAYS = () => true;

/**
 * Compiled once per config. Exact action names sit in a map; globs sit in a trie keyed
 * by their literal prefix, so a lookup only looks at the globs whose prefix the action
 * starts with: its cost follows the action's length and the few globs that could
 * match, not the number of policies.
 */
export class PolicyIndex {
  private readonly exact = new Map<string, Entry[]>();
  private readonly globs: TrieNode = newNode();
  private readonly suggestions = new Map<string, string | undefined>();

  constructor(readonly config: Config) {
    config.policies.forEach((policy, index) => {
      const resource = policy.resource ?? '*';
      const entry: Entry = {
        policy,
        index,
        actionScore: specificity(policy.action),
        resourceScore: specificity(resource),
        matchAction: compileGlob(policy.action),
        matchResource: compileGlob(resource),
      };
      if (!isGlob(policy.action)) {
        const list = this.exact.get(policy.action) ?? [];
        list.push(entry);
        list.sort((a, b) => b.resourceScore - a.resourceScore);
        this.exact.set(policy.action, list);
        return;
      }
      // Reached through the trie, a glob's literal prefix has matched already: `prod:*` needs no further test.
      const star = policy.action.indexOf('*');
      if (star === policy.action.length - 1) entry.matchAction = ALWAYS;
      let node = this.globs;
      for (const c of policy.action.slice(0, star)) {
        let next = node.children.get(c);
        if (!next) node.children.set(c, (next = newNode()));
        node = next;
      }
      node.entries.push(entry);
    });
  }

  /** The most specific policy for the action and resource, or undefined (deny). */
  match(action: string, resource: string): { policy: Policy; index: number } | undefined {
    // An exact name outranks every glob that matches it; its resource patterns are in order of specificity.
    const exact = this.exact.get(action);
    if (exact) for (const e of exact) if (e.matchResource(resource)) return e;
    let best: Entry | undefined;
    let node: TrieNode | undefined = this.globs;
    for (let i = 0; node; i++) {
      for (const e of node.entries) {
        if (best && (e.actionScore < best.actionScore || (e.actionScore === best.actionScore && e.resourceScore <= best.resourceScore)))
          continue;
        if (e.matchAction(action) && e.matchResource(resource)) best = e;
      }
      node = i < action.length ? node.children.get(action[i]!) : undefined;
    }
    return best;
  }

  /**
   * The configured exact action name nearest to a misspelt `action`, for the message that denies it.
   * Denials are on the authorize hot path and the search reads every name: answers are kept,
   * a bounded number of them, so a client asking again for the same wrong name pays once.
   */
  nearestAction(action: string): string | undefined {
    if (this.suggestions.has(action)) return this.suggestions.get(action);
    if (this.suggestions.size >= 1000) this.suggestions.clear();
    const near = nearest(action, this.exact.keys());
    this.suggestions.set(action, near);
    return near;
  }
}

/**
 * Where a condition sits: `deny` when its being true denies (a deny rule), `allow` when
 * its being true lets the caller further (requesters, autoApprove, breakGlass.who).
 * "not" flips it. Unclear input then errs towards the denial: values compare trimmed
 * and caseless, and a list reaching `equals` counts as a match.
 */
export type Polarity = 'allow' | 'deny';

const fold = (v: string) => v.trim().toLowerCase();

export function matches(condition: Condition, p: Principal, polarity: Polarity = 'allow'): boolean {
  if ('all' in condition) return condition.all.every((c) => matches(c, p, polarity));
  if ('any' in condition) return condition.any.some((c) => matches(c, p, polarity));
  if ('not' in condition) return !matches(condition.not, p, polarity === 'allow' ? 'deny' : 'allow');
  if (condition.issuers && !condition.issuers.includes(p.issuerName)) return false;
  if ('exists' in condition) return condition.exists === claimValues(p, condition.claim).length > 0;
  const caseless = condition.compare === 'caseless' || (condition.compare === undefined && polarity === 'deny');
  const values = caseless ? claimValues(p, condition.claim).map(fold) : claimValues(p, condition.claim);
  const want = (v: string) => (caseless ? fold(v) : v);
  if ('equals' in condition) {
    // ["contractor", "temp"] never "equals" contractor: where that would let the caller through, fail closed.
    if (values.length > 1) return polarity === 'deny';
    return values.length === 1 && values[0] === want(condition.equals);
  }
  if ('oneOf' in condition) return values.some((v) => condition.oneOf.some((o) => want(o) === v));
  return values.includes(want(condition.contains));
}

export function requirementsOf(policy: Policy): Requirements {
  const requirements: Requirements = {
    approvals: Object.entries(policy.approvals?.groups ?? {}).map(([group, required]) => ({ group, required })),
    approvalWindowSeconds: policy.approvals?.window ?? 0,
    mfa: policy.mfa,
    mfaWindowSeconds: policy.mfaWindow,
    grant:
      policy.grant.mode === 'once'
        ? { mode: 'once', useWithinSeconds: policy.grant.useWithin }
        : { mode: 'window', maxDurationSeconds: policy.grant.maxDuration },
    justification: policy.justification,
  };
  if (policy.ticket)
    requirements.ticket = {
      required: policy.ticket.required,
      ...(policy.ticket.pattern !== undefined ? { pattern: policy.ticket.pattern } : {}),
    };
  if (policy.breakGlass) requirements.breakGlass = { maxDurationSeconds: policy.breakGlass.maxDuration, notify: policy.breakGlass.notify };
  if (policy.approverAuth === 'sso') requirements.approverAuth = 'sso';
  if (policy.approvals && policy.approvals.denials > 1) requirements.denials = policy.approvals.denials;
  if (policy.approvals?.remindAfter !== undefined) requirements.remindAfterSeconds = policy.approvals.remindAfter;
  if (policy.approvals?.escalate)
    requirements.escalate = { group: policy.approvals.escalate.group, beforeSeconds: policy.approvals.escalate.before };
  return requirements;
}

export function ruleName(policy: Policy, index: number): string {
  return `policies[${index}] ${policy.action}${policy.resource ? ` on ${policy.resource}` : ''}`;
}

export function evaluate(index: PolicyIndex, principal: Principal, action: string, resource: string): Evaluation {
  const found = index.match(action, resource);
  if (!found) {
    const near = index.nearestAction(action);
    const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
    const reason = `no policy covers "${action}" on resource "${resource}"${hint}; what no policy covers is denied`;
    return { outcome: 'denied', rule: 'default', reason };
  }
  const evaluation = evaluatePolicy(found.policy, found.index, principal, action);
  // A typo that a wildcard policy caught (`prod:debgu` by `prod:*`) is denied for reasons that do not name the mistake.
  if (evaluation.outcome === 'denied' && isGlob(found.policy.action)) {
    const near = index.nearestAction(action);
    if (near !== undefined) {
      return { ...evaluation, reason: `${evaluation.reason} ("${action}" matched only "${found.policy.action}"; did you mean "${near}"?)` };
    }
  }
  return evaluation;
}

/** One policy's answer for this principal (the policy already matched, or listed by GET /v1/policies). */
export function evaluatePolicy(policy: Policy, index: number, principal: Principal, action: string = policy.action): Evaluation {
  const rule = cached(policy, index, () => ruleName(policy, index));
  for (const [k, deny] of policy.deny.entries()) {
    if (matches(deny.when, principal, 'deny')) return { outcome: 'denied', rule, clause: `deny[${k}]`, reason: deny.reason, policy };
  }
  if (policy.requesters && !matches(policy.requesters, principal)) {
    return {
      outcome: 'denied',
      rule,
      clause: 'requesters',
      reason: `"${action}" may only be requested by callers where ${describeCondition(policy.requesters)}`,
      policy,
    };
  }
  const requirements = requirementsOf(policy);
  const autoApproved = policy.autoApprove === true || (typeof policy.autoApprove === 'object' && matches(policy.autoApprove, principal));
  if (autoApproved) {
    requirements.approvals = [];
    const reason =
      policy.autoApprove === true
        ? 'auto-approved'
        : cached(policy, 'auto', () => `auto-approved for callers where ${describeCondition(policy.autoApprove as Condition)}`);
    return { outcome: 'requestable', policy, rule, reason, requirements, autoApproved };
  }
  if (requirements.approvals.length === 0) {
    // autoApprove was a condition this principal does not meet, and the policy names no approvers.
    return {
      outcome: 'denied',
      rule,
      clause: 'autoApprove',
      reason:
        `"${action}" is only auto-approved for callers where ${describeCondition(policy.autoApprove as Condition)}, ` +
        'and no approvers are named for anyone else',
      policy,
    };
  }
  const reason = cached(
    policy,
    'approval',
    () => `needs approval: ${requirements.approvals.map((a) => `${a.required} from ${a.group}`).join(' and ')}`,
  );
  return { outcome: 'requestable', policy, rule, reason, requirements, autoApproved };
}

/** Texts that depend on the policy alone, built once (evaluate is on the authorize hot path). */
const texts = new WeakMap<Policy, Record<string | number, string>>();
function cached(policy: Policy, key: 'auto' | 'approval' | number, build: () => string): string {
  let entry = texts.get(policy);
  if (!entry) texts.set(policy, (entry = {}));
  return (entry[key] ??= build());
}

/** Throws PolicyDenied when the evaluation denies. */
export function assertRequestable(evaluation: Evaluation): Extract<Evaluation, { outcome: 'requestable' }> {
  if (evaluation.outcome === 'denied') throw new PolicyDenied(evaluation.reason, evaluation.rule);
  return evaluation;
}
