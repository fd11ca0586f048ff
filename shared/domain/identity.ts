/**
 * From verified token claims to a Principal: who is calling, as jitgate sees them.
 * Identity is issuer-qualified (`<iss>#<sub>`), so the same `sub` from two issuers
 * is two people in policies, approvals and the audit trail.
 */
import type { Config, IssuerConfig } from '../config/config';

/** A person as a request records them: who asked, approved or reviewed, as their token named them. */
export interface PersonRef {
  id: string;
  issuer: string;
  sub: string;
  name?: string;
  email?: string;
}

export interface Principal extends PersonRef {
  /** The config name of the issuer that vouched for this principal. */
  issuerName: string;
  groups: string[];
  roles: string[];
  /** Mapped custom attributes (e.g. `employment`). */
  attributes: Record<string, string | string[]>;
  authTime?: number;
  amr?: string[];
  acr?: string;
}

export function principalId(issuer: string, sub: string): string {
  return `${issuer}#${sub}`;
}

/** A configured member of an approver group, as the person their tokens will make them. */
export type GroupMember = PersonRef & { email: string };

/** The members of a group whose issuer is configured, in config order: the one place a member's principal id is made. */
export function groupMembers(config: Config, group: string): GroupMember[] {
  return (config.approverGroups[group]?.members ?? []).flatMap((m) => {
    const issuer = config.issuers[m.issuer];
    if (!issuer) return [];
    const id = principalId(issuer.issuer, m.sub);
    return [{ id, issuer: issuer.issuer, sub: m.sub, email: m.email, ...(m.name ? { name: m.name } : {}) }];
  });
}

/** Reads `path` from claims: a top-level claim name first (names may contain dots or colons), then a dotted path. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    // Own properties only: a path such as "constructor" or "a.__proto__" reads nothing.
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A claim's values as the IdP sent them: a string is one value unless the issuer names a separator. */
function stringList(value: unknown, separator?: string): string[] {
  if (typeof value === 'string') {
    if (separator === undefined) return value.length > 0 ? [value] : [];
    return value
      .split(separator)
      .map((v) => v.trim())
      .filter(Boolean);
  }
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function toPrincipal(issuerName: string, issuer: IssuerConfig, claims: Record<string, unknown>): Principal {
  const sub = String(claims.sub);
  const attributes: Record<string, string | string[]> = {};
  for (const [name, path] of Object.entries(issuer.claims.attributes)) {
    const v = claimAt(claims, path);
    if (typeof v === 'string') attributes[name] = v;
    else if (Array.isArray(v)) attributes[name] = stringList(v);
  }
  const principal: Principal = {
    id: principalId(issuer.issuer, sub),
    issuer: issuer.issuer,
    issuerName,
    sub,
    groups: stringList(claimAt(claims, issuer.claims.groups), issuer.claims.separator),
    roles: stringList(claimAt(claims, issuer.claims.roles), issuer.claims.separator),
    attributes,
  };
  const email = optionalString(claimAt(claims, issuer.claims.email));
  const name = optionalString(claimAt(claims, issuer.claims.name));
  if (email) principal.email = email;
  if (name) principal.name = name;
  if (typeof claims.auth_time === 'number') principal.authTime = claims.auth_time;
  if (Array.isArray(claims.amr)) principal.amr = stringList(claims.amr);
  if (typeof claims.acr === 'string') principal.acr = claims.acr;
  return principal;
}

/** The claim values conditions test: built-in ones plus each mapped attribute. */
export function claimValues(p: Principal, claim: string): string[] {
  switch (claim) {
    case 'groups':
      return p.groups;
    case 'roles':
      return p.roles;
    case 'sub':
      return [p.sub];
    case 'issuer':
      return [p.issuer];
    case 'email':
      return p.email ? [p.email] : [];
    case 'name':
      return p.name ? [p.name] : [];
    default: {
      const v = p.attributes[claim];
      return v === undefined ? [] : Array.isArray(v) ? v : [v];
    }
  }
}

export function inAnyGroup(p: Principal, groups: readonly string[]): boolean {
  return p.groups.some((g) => groups.includes(g));
}
