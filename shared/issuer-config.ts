/**
 * The `issuers` part of the config: which OIDC issuers jitgate trusts, and where
 * each keeps the claims jitgate reads.
 */
import * as z from 'zod';

/** A dotted path into a token's claims: `groups`, `cognito:groups`, `https://example.com/roles`, `realm_access.roles`. */
export const claimPath = z.string().min(1).regex(/^[^.\s][^\s]*$/, 'a claim name or dotted path such as "groups" or "realm_access.roles"');

export const issuerSchema = z.object({
  issuer: z.string().url('an absolute URL such as "https://idp.example.com"'),
  audience: z.array(z.string().min(1)).min(1, 'list at least one audience (the client id or API identifier your tokens carry in "aud")'),
  tokenUse: z.enum(['id', 'access']).default('id'),
  jwksUri: z.string().url().optional(),
  algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'])).default(['RS256', 'ES256']),
  /** Where this issuer puts the claims jitgate reads. */
  claims: z
    .object({
      groups: claimPath.default('groups'),
      roles: claimPath.default('roles'),
      email: claimPath.default('email'),
      name: claimPath.default('name'),
      attributes: z.record(z.string(), claimPath).default({}),
    })
    .default({ groups: 'groups', roles: 'roles', email: 'email', name: 'name', attributes: {} }),
  /** Served by local mode's development IdP; never deployed. */
  development: z.boolean().default(false),
});

