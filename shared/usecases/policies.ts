/** GET /v1/policies: which actions are sensitive and what each takes, for this caller. */
import { matches, requirementsOf, ruleName } from '../policy';
import type { Principal } from '../identity';
import type { Deps } from '../runtime';

export function listPolicies(deps: Deps, caller: Principal) {
  return {
    policies: deps.config.policies.map((policy, index) => {
      const denied = policy.deny.find((d) => matches(d.when, caller));
      const requirements = requirementsOf(policy);
      const autoApproved = policy.autoApprove === true || (typeof policy.autoApprove === 'object' && matches(policy.autoApprove, caller));
      return {
        action: policy.action,
        ...(policy.resource ? { resource: policy.resource } : {}),
        ...(policy.description ? { description: policy.description } : {}),
        rule: ruleName(policy, index),
        mayRequest: !denied,
        ...(denied ? { deniedBecause: denied.reason } : {}),
        autoApproved,
        requirements: autoApproved ? { ...requirements, approvals: [] } : requirements,
      };
    }),
    unknownActions: 'denied',
  };
}
