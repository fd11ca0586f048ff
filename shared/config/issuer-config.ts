/**
 * The `issuers` part of the config: which OIDC issuers jitgate trusts, and where
 * each keeps the claims jitgate reads.
 *
 * An issuer is written either in full (`issuer`, `audience`, `tokenUse`, `jwksUri`,
 * `algorithms`, `clockSkew`, `claims`) or as a preset that needs only the tenant's
 * identifiers (`{"preset": "okta", "domain": "acme.okta.com", "audience": [...]}`).
 * Presets normalize to the full form, so everything after parsing sees one shape,
 * `IssuerConfig`; the normalized form parses again to itself (the deployed functions
 * re-parse the config inlined at synth).
 */
import * as z from 'zod';

/** What aws-jwt-verify verifies (it has no PS*), and what jitgate allows at all: asymmetric only, never `none` or HS*. */
export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const PRESETS = ['cognito', 'okta', 'entra', 'auth0'] as const;

/** `clockSkew` at most this: a larger skew accepts tokens that expired minutes ago. */
export const MAX_CLOCK_SKEW_SECONDS = 300;
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

export interface ClaimMapping {
  groups: string;
  roles: string;
  email: string;
  name: string;
  /** Custom attributes such as `employment`, each from its own claim. */
  attributes: Record<string, string>;
  /**
   * Only when set: a string-valued groups or roles claim is split on this
   * separator. Otherwise a string is one value, as the IdP sent it: splitting on spaces
   * made `"Friends of security-admins"` a security admin.
   */
  separator?: string;
}

/** One trusted issuer, normalized: what the rest of jitgate reads. */
export interface IssuerConfig {
  /** Exactly the `iss` its tokens carry. */
  issuer: string;
  /** At least one; a token's `aud` must name one of them. */
  audience: string[];
  tokenUse: 'id' | 'access';
  /** Where its signing keys are; filled by discovery at synth and at `npm start` (`resolveIssuers`) when not configured. */
  jwksUri?: string;
  algorithms: Algorithm[];
  /** Seconds of tolerance on `exp`, `nbf` and `iat`. */
  clockSkew: number;
  claims: ClaimMapping;
  /** Served by local mode's development IdP; never deployed. */
  development: boolean;
  /** Set by the Cognito preset: verified with aws-jwt-verify's CognitoJwtVerifier (token_use, and client_id for access tokens). */
  cognito?: { userPoolId: string; clientId: string[] };
}

// ---------------------------------------------------------------------------
// Building blocks

/** A claim name or dotted path: `groups`, `cognito:groups`, `https://example.com/roles`, `realm_access.roles`. */
export function isValidClaimPath(path: string): boolean {
  return (
    path.length > 0 &&
    path.length <= 256 &&
    !/[\s\u0000-\u001f\u007f]/.test(path) &&
    !path.startsWith('.') &&
    !path.endsWith('.') &&
    !path.includes('..')
  );
}

export const claimPath = z
  .string()
  .refine(
    isValidClaimPath,
    'not a valid claim path: use a claim name or a dotted path such as "groups", ' +
      '"https://example.com/roles" or "realm_access.roles" (no spaces, no empty segment)',
  );

const DEFAULT_CLAIMS: ClaimMapping = { groups: 'groups', roles: 'roles', email: 'email', name: 'name', attributes: {} };

const claimsOverride = z
  .object({
    groups: claimPath.optional(),
    roles: claimPath.optional(),
    email: claimPath.optional(),
    name: claimPath.optional(),
    attributes: z.record(z.string().min(1), claimPath).optional(),
    separator: z
      .string()
      .min(1, 'a separator such as "," or " "')
      .max(4)
      .optional()
      .describe(
        'Split a string-valued groups or roles claim on this separator (e.g. " " for a space-separated claim). ' +
          'Without it a string is one value, exactly as the IdP sends it.',
      ),
  })
  .strict();

/** A string or a list of strings, as a list of at least one. */
function nonEmptyList(message: string) {
  return z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string().min(1, 'must not be empty')).min(1, message));
}

const audienceList = nonEmptyList('list at least one audience (the client id or API identifier your tokens carry in "aud")');

const clockSkew = z
  .union([z.number().int().min(0), z.string().regex(/^\d+(s|m)$/, 'a number of seconds or a string like "30s", "2m"')])
  .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1)) * (v.endsWith('m') ? 60 : 1)))
  .refine(
    (v) => v <= MAX_CLOCK_SKEW_SECONDS,
    `at most ${MAX_CLOCK_SKEW_SECONDS} seconds: a larger skew accepts tokens long after they expired`,
  );

const algorithms = z
  .array(z.enum(ALGORITHMS, `one of ${ALGORITHMS.join(', ')} (asymmetric only; "none" and HS* are never accepted)`))
  .min(1, 'list at least one algorithm');

/** An absolute http(s) URL without query or fragment (`iss` is compared exactly; `<iss>#<sub>` names a person). */
const issuerUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !u.hash && !v.includes('#') && !v.includes('?');
  } catch {
    return false;
  }
}, 'an absolute URL such as "https://idp.example.com", without query or fragment');

const httpUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}, 'an absolute URL such as "https://idp.example.com/.well-known/jwks.json"');

const hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/,
    'the host name alone, such as "acme.okta.com" (no https://, no path)',
  );

// aws-jwt-verify's own pattern (CognitoJwtVerifier.USER_POOL_ID_REGEX).
const USER_POOL_ID = /^(?<region>(?:eusc-[a-z]{2}|[a-z]{2})-(gov-)?[a-z]+-\d)_[a-zA-Z0-9]+$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const common = {
  algorithms: algorithms.optional(),
  clockSkew: clockSkew.default(DEFAULT_CLOCK_SKEW_SECONDS),
};

// ---------------------------------------------------------------------------
// The full form

const fullIssuer = z
  .object({
    preset: z.undefined().optional(),
    issuer: issuerUrl,
    audience: audienceList,
    tokenUse: z.enum(['id', 'access']).default('id'),
    jwksUri: httpUrl.optional(),
    algorithms: algorithms.default(['RS256', 'ES256']),
    clockSkew: common.clockSkew,
    claims: z
      .object({
        groups: claimPath.default('groups'),
        roles: claimPath.default('roles'),
        email: claimPath.default('email'),
        name: claimPath.default('name'),
        attributes: z.record(z.string().min(1), claimPath).default({}),
        separator: z
          .string()
          .min(1, 'a separator such as "," or " "')
          .max(4)
          .optional()
          .describe(
            'Split a string-valued groups or roles claim on this separator (e.g. " " for a space-separated claim). ' +
              'Without it a string is one value, exactly as the IdP sends it.',
          ),
      })
      .strict()
      .default({ ...DEFAULT_CLAIMS }),
    development: z.boolean().default(false),
    /** Normally written by the Cognito preset, kept so the normalized form parses again. */
    cognito: z
      .object({
        userPoolId: z.string().regex(USER_POOL_ID, 'a user pool id such as "eu-west-1_AbCdEf123"'),
        clientId: nonEmptyList('list at least one app client id'),
      })
      .strict()
      .optional(),
  })
  .strict();

// ---------------------------------------------------------------------------
// Presets: the tenant's identifiers only

/** Amazon Cognito user pool: `{"preset": "cognito", "userPoolId": "eu-west-1_AbC", "clientId": ["..."], "tokenUse": "id"}`. */
const cognitoPreset = z
  .object({
    preset: z.literal('cognito'),
    region: z
      .string()
      .regex(/^[a-z]{2,4}(-gov)?-[a-z]+-\d$/, 'an AWS region such as "eu-west-1"')
      .optional(),
    userPoolId: z.string().regex(USER_POOL_ID, 'a user pool id such as "eu-west-1_AbCdEf123"'),
    clientId: nonEmptyList('list at least one app client id (ID tokens carry it in "aud", access tokens in "client_id")'),
    tokenUse: z.enum(['id', 'access']).default('id'),
    claims: claimsOverride.optional(),
    ...common,
  })
  .strict()
  .superRefine((v, ctx) => {
    const poolRegion = USER_POOL_ID.exec(v.userPoolId)?.groups?.region;
    if (v.region && poolRegion && v.region !== poolRegion) {
      ctx.addIssue({
        code: 'custom',
        path: ['region'],
        message: `user pool ${v.userPoolId} is in ${poolRegion}, not ${v.region}; drop "region" or fix it`,
      });
    }
  });

/** Okta: a custom authorization server (`default` unless named), or `"org"` for the org authorization server. */
const oktaPreset = z
  .object({
    preset: z.literal('okta'),
    domain: hostname,
    authorizationServer: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'the authorization server id, such as "default" or "aus1a2b3c4d5e6f7g8h9", or "org"')
      .default('default'),
    audience: audienceList,
    tokenUse: z.enum(['id', 'access']).default('access'),
    claims: claimsOverride.optional(),
    ...common,
  })
  .strict();

/** Microsoft Entra ID (v2.0 tokens) of one tenant. */
const entraPreset = z
  .object({
    preset: z.literal('entra'),
    tenantId: z
      .string()
      .regex(
        GUID,
        'the directory (tenant) id, a GUID such as "72f988bf-86f1-41af-91ab-2d7cd011db47" ("common" and "organizations" cannot ' +
          'be verified: their tokens carry the real tenant in "iss")',
      ),
    audience: audienceList,
    tokenUse: z.enum(['id', 'access']).default('access'),
    claims: claimsOverride.optional(),
    ...common,
  })
  .strict();

/** Auth0 tenant; `namespace` is the prefix of the custom claims an Action adds (`https://example.com/roles`). */
const auth0Preset = z
  .object({
    preset: z.literal('auth0'),
    domain: hostname,
    audience: audienceList,
    namespace: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/, 'a URL prefix such as "https://example.com/"')
      .optional(),
    tokenUse: z.enum(['id', 'access']).default('access'),
    claims: claimsOverride.optional(),
    ...common,
  })
  .strict();

type Claims = z.output<typeof claimsOverride> | undefined;

function mapping(defaults: Partial<ClaimMapping>, overrides: Claims): ClaimMapping {
  const base = { ...DEFAULT_CLAIMS, ...defaults };
  return {
    groups: overrides?.groups ?? base.groups,
    roles: overrides?.roles ?? base.roles,
    email: overrides?.email ?? base.email,
    name: overrides?.name ?? base.name,
    attributes: { ...base.attributes, ...overrides?.attributes },
    ...((overrides?.separator ?? base.separator) !== undefined ? { separator: overrides?.separator ?? base.separator } : {}),
  };
}

type IssuerInput =
  | z.output<typeof fullIssuer>
  | z.output<typeof cognitoPreset>
  | z.output<typeof oktaPreset>
  | z.output<typeof entraPreset>
  | z.output<typeof auth0Preset>;

/** Every form to the one `IssuerConfig`. */
export function normalizeIssuer(v: IssuerInput): IssuerConfig {
  switch (v.preset) {
    case undefined: {
      const { preset: _preset, ...full } = v;
      return { ...full, claims: { ...full.claims, attributes: { ...full.claims.attributes } } };
    }
    case 'cognito': {
      const region = USER_POOL_ID.exec(v.userPoolId)!.groups!.region!;
      const issuer = `https://cognito-idp.${region}.amazonaws.com/${v.userPoolId}`;
      return {
        issuer,
        audience: v.clientId,
        tokenUse: v.tokenUse,
        jwksUri: `${issuer}/.well-known/jwks.json`,
        algorithms: v.algorithms ?? ['RS256'],
        clockSkew: v.clockSkew,
        // Access tokens carry no email or name; `username` is what they have.
        // Cognito custom attributes are strings; a list in `custom:roles` is written comma-separated, so the preset names the separator.
        claims: mapping(
          { groups: 'cognito:groups', roles: 'custom:roles', separator: ',', ...(v.tokenUse === 'access' ? { name: 'username' } : {}) },
          v.claims,
        ),
        development: false,
        cognito: { userPoolId: v.userPoolId, clientId: v.clientId },
      };
    }
    case 'okta': {
      const org = v.authorizationServer === 'org';
      const issuer = org ? `https://${v.domain}` : `https://${v.domain}/oauth2/${v.authorizationServer}`;
      return {
        issuer,
        audience: v.audience,
        tokenUse: v.tokenUse,
        jwksUri: org ? `https://${v.domain}/oauth2/v1/keys` : `${issuer}/v1/keys`,
        algorithms: v.algorithms ?? ['RS256'],
        clockSkew: v.clockSkew,
        claims: mapping({}, v.claims),
        development: false,
      };
    }
    case 'entra':
      return {
        issuer: `https://login.microsoftonline.com/${v.tenantId}/v2.0`,
        audience: v.audience,
        tokenUse: v.tokenUse,
        jwksUri: `https://login.microsoftonline.com/${v.tenantId}/discovery/v2.0/keys`,
        algorithms: v.algorithms ?? ['RS256'],
        clockSkew: v.clockSkew,
        claims: mapping({ groups: 'groups', roles: 'roles', email: 'email', name: 'name' }, v.claims),
        development: false,
      };
    case 'auth0': {
      const ns = v.namespace === undefined ? '' : v.namespace.endsWith('/') ? v.namespace : `${v.namespace}/`;
      return {
        // Auth0's issuer is the tenant URL with its trailing slash.
        issuer: `https://${v.domain}/`,
        audience: v.audience,
        tokenUse: v.tokenUse,
        jwksUri: `https://${v.domain}/.well-known/jwks.json`,
        algorithms: v.algorithms ?? ['RS256'],
        clockSkew: v.clockSkew,
        claims: mapping({ groups: `${ns}groups`, roles: `${ns}roles` }, v.claims),
        development: false,
      };
    }
  }
}

export const issuerSchema = z
  .discriminatedUnion('preset', [fullIssuer, cognitoPreset, oktaPreset, entraPreset, auth0Preset], {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `unknown preset ${JSON.stringify((issue.input as { preset?: unknown } | undefined)?.preset)}; ` +
          `use one of ${PRESETS.join(', ')}, or leave "preset" out and write "issuer", "audience" and "claims" yourself`
        : undefined,
  })
  .transform(normalizeIssuer);
