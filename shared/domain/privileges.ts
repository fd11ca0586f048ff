/**
 * Privileges that come from a group in the caller's token: auditor (read every request
 * and the audit trail) and admin (revoke anyone's grant). A group name proves nothing
 * by itself: any configured issuer can put "security-admins" in its tokens. So, like
 * approver groups, each privileged group is trusted only from named issuers.
 */
import type { Config } from '../config/config';
import type { Principal } from './identity';

/** An `auditorGroups` / `adminGroups` entry: a group name, or the name with the issuers trusted for it. */
export type PrivilegedGroup = string | { group: string; trustedIssuers: string[] };

export type Privilege = 'auditor' | 'admin';

/**
 * The issuers (config names) trusted for a privileged group: those written with it; for a
 * bare name, the trust of the approver group of that name (its `trustedIssuers`, else its
 * members' issuers); else the only issuer. With several issuers and nothing to go by,
 * the config is refused (`privilegeIssues`) rather than trusting every issuer.
 */
export function trustedIssuersFor(config: Pick<Config, 'issuers' | 'approverGroups'>, entry: PrivilegedGroup): string[] {
  if (typeof entry !== 'string') return entry.trustedIssuers;
  const group = config.approverGroups[entry];
  if (group) return group.trustedIssuers ?? group.members.map((m) => m.issuer);
  const issuers = Object.keys(config.issuers);
  return issuers.length === 1 ? issuers : [];
}

function entries(config: Config, privilege: Privilege): PrivilegedGroup[] {
  return privilege === 'auditor' ? config.auditorGroups : config.adminGroups;
}

export function hasPrivilege(config: Config, p: Principal, privilege: Privilege): boolean {
  return entries(config, privilege).some((entry) => {
    const name = typeof entry === 'string' ? entry : entry.group;
    return p.groups.includes(name) && trustedIssuersFor(config, entry).includes(p.issuerName);
  });
}
