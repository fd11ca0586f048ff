/**
 * GET /v1/policies: which actions are sensitive and what each takes, for this caller.
 * Each policy is evaluated for the caller exactly as a request would be (deny rules,
 * requesters, autoApprove), so "mayRequest" here never disagrees with POST /v1/requests.
 */
import { describeCondition } from '../domain/condition-text';
import { decisionOf, evaluatePolicy, requirementsOf } from '../domain/policy';
import { mayBreakGlass, stillNeeded } from '../domain/request-checks';
import type { Principal } from '../domain/identity';
import type { Deps } from '../runtime';

export function listPolicies(deps: Deps, caller: Principal) {
  return {
    policies: deps.config.policies.map((policy, index) => {
      const e = evaluatePolicy(policy, index, caller);
      const requirements = e.outcome === 'requestable' ? e.requirements : requirementsOf(policy);
      const mayRequest = e.outcome === 'requestable';
      return {
        action: policy.action,
        ...(policy.resource ? { resource: policy.resource } : {}),
        ...(policy.description ? { description: policy.description } : {}),
        rule: e.rule,
        /** denied, requestable (needs approval) or auto (no approval needed). */
        decision: decisionOf(e),
        mayRequest,
        ...(e.outcome === 'denied' ? { deniedBecause: e.reason, ...(e.clause ? { deniedBy: e.clause } : {}) } : {}),
        ...(policy.requesters ? { requesters: describeCondition(policy.requesters) } : {}),
        autoApproved: e.outcome === 'requestable' && e.autoApproved,
        requirements,
        ...(mayRequest ? { needs: stillNeeded(requirements) } : {}),
        ...(policy.breakGlass
          ? {
              breakGlass: {
                allowed: mayRequest && mayBreakGlass(policy, caller),
                who: describeCondition(policy.breakGlass.who),
                maxDurationSeconds: policy.breakGlass.maxDuration,
                notify: policy.breakGlass.notify,
                needs:
                  `send "breakGlass": true with a justification: no approval, at most ${policy.breakGlass.maxDuration} s; ` +
                  `MFA and ticket still apply; announced to ${policy.breakGlass.notify}, who review it afterwards; audited`,
              },
            }
          : {}),
      };
    }),
    unknownActions: 'denied',
  };
}
