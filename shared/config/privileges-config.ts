/**
 * `auditorGroups` and `adminGroups` in the config: each entry names the issuers trusted to
 * put that group in a token (shared/domain/privileges.ts applies them per call).
 */

type GroupEntry = string | { group: string; trustedIssuers: string[] };

/** The part of the config this check reads (structural, so config.ts can call it without a cycle). */
interface PrivilegeConfig {
  issuers: Record<string, unknown>;
  approverGroups: Record<string, unknown>;
  auditorGroups: GroupEntry[];
  adminGroups: GroupEntry[];
}

/** Config problems: unknown issuers, and a bare name that would have to trust every issuer. */
export function privilegeIssues(config: PrivilegeConfig): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const known = Object.keys(config.issuers);
  for (const key of ['auditorGroups', 'adminGroups'] as const) {
    config[key].forEach((entry, i) => {
      if (typeof entry !== 'string') {
        entry.trustedIssuers.forEach((issuer, k) => {
          if (!known.includes(issuer))
            out.push({ path: [key, i, 'trustedIssuers', k], message: `unknown issuer "${issuer}"; use one of: ${known.join(', ')}` });
        });
      } else if (!config.approverGroups[entry] && known.length > 1) {
        out.push({
          path: [key, i],
          message:
            `with several issuers, say which may vouch for group "${entry}" (any of them could put the name in a token): ` +
            `{"group": "${entry}", "trustedIssuers": ["${known[0]}"]}`,
        });
      }
    });
  }
  return out;
}
