/**
 * The one config file (`jitgate.config.json`): issuers, approver groups and action
 * policies. Parsed once at the edge (synth, local start, Lambda cold start) and then
 * passed around as the typed `Config`; nothing deeper reads files or env.
 */
import * as z from 'zod';
import { ConfigError } from './errors';

/** "90s", "30m", "8h", "2d" or a number of seconds. */
export const durationSchema = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(s|m|h|d)$/, 'use a number of seconds or a string like "90s", "30m", "8h", "2d"')])
  .transform((v) => (typeof v === 'number' ? v : parseDuration(v)));

export function parseDuration(text: string): number {
  const n = Number(text.slice(0, -1));
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[text.slice(-1) as 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

/** A dotted path into a token's claims: `groups`, `cognito:groups`, `https://example.com/roles`, `realm_access.roles`. */
const claimPath = z.string().min(1).regex(/^[^.\s][^\s]*$/, 'a claim name or dotted path such as "groups" or "realm_access.roles"');

const issuerSchema = z.object({
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

const memberSchema = z.object({
  issuer: z.string().min(1),
  sub: z.string().min(1),
  email: z.string().email(),
  name: z.string().optional(),
});

/** A condition on the requester's mapped claims (groups, roles, email, name, and each attribute). */
export type Condition =
  | { claim: string; equals: string }
  | { claim: string; oneOf: string[] }
  | { claim: string; contains: string }
  | { claim: string; exists: boolean }
  | { not: Condition }
  | { all: Condition[] }
  | { any: Condition[] };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.object({ claim: z.string().min(1), equals: z.string() }).strict(),
    z.object({ claim: z.string().min(1), oneOf: z.array(z.string()).min(1) }).strict(),
    z.object({ claim: z.string().min(1), contains: z.string() }).strict(),
    z.object({ claim: z.string().min(1), exists: z.boolean() }).strict(),
    z.object({ not: conditionSchema }).strict(),
    z.object({ all: z.array(conditionSchema).min(1) }).strict(),
    z.object({ any: z.array(conditionSchema).min(1) }).strict(),
  ]),
);

const policySchema = z
  .object({
    /** Exact name or glob: `projects:delete`, `prod:*`. */
    action: z.string().regex(/^[A-Za-z0-9_.:*/-]+$/, 'letters, digits and : . _ - / with * as a wildcard'),
    /** Glob on the resource; omitted means any resource. */
    resource: z.string().min(1).optional(),
    description: z.string().optional(),
    deny: z.array(z.object({ when: conditionSchema, reason: z.string().min(1) }).strict()).default([]),
    autoApprove: z.union([z.boolean(), conditionSchema]).default(false),
    approvals: z
      .object({
        /** Group name to how many distinct approvers from it. */
        groups: z.record(z.string(), z.number().int().min(1)).refine((g) => Object.keys(g).length > 0, 'name at least one approver group'),
        window: durationSchema.default(3600),
      })
      .strict()
      .optional(),
    mfa: z
      .union([
        z.literal('none'),
        z.literal('totp'),
        z.object({ stepUp: z.object({ acr: z.array(z.string()).optional(), amr: z.array(z.string()).optional(), maxAge: durationSchema }).strict() }).strict(),
      ])
      .default('none'),
    mfaWindow: durationSchema.default(600),
    grant: z.discriminatedUnion('mode', [
      z.object({ mode: z.literal('once'), useWithin: durationSchema.default(300) }).strict(),
      z.object({ mode: z.literal('window'), maxDuration: durationSchema, defaultDuration: durationSchema.optional() }).strict(),
    ]),
    justification: z.object({ required: z.boolean().default(false), minLength: z.number().int().min(0).default(0) }).strict().default({ required: false, minLength: 0 }),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    issuers: z.record(z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and -'), issuerSchema).refine((i) => Object.keys(i).length > 0, 'configure at least one issuer'),
    approverGroups: z.record(z.string(), z.object({ members: z.array(memberSchema).default([]) }).strict()).default({}),
    /** Groups (as the tokens carry them) whose members may read every request and the audit trail. */
    auditorGroups: z.array(z.string()).default([]),
    /** Groups whose members may revoke anyone's grant. */
    adminGroups: z.array(z.string()).default([]),
    policies: z.array(policySchema).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    for (const [name, group] of Object.entries(config.approverGroups)) {
      group.members.forEach((m, i) => {
        if (!config.issuers[m.issuer]) {
          ctx.addIssue({ code: 'custom', path: ['approverGroups', name, 'members', i, 'issuer'], message: `unknown issuer "${m.issuer}"; use one of: ${Object.keys(config.issuers).join(', ')}` });
        }
      });
    }
    config.policies.forEach((p, i) => {
      for (const group of Object.keys(p.approvals?.groups ?? {})) {
        if (!config.approverGroups[group]) {
          ctx.addIssue({ code: 'custom', path: ['policies', i, 'approvals', 'groups', group], message: `approver group "${group}" is not defined; add it under "approverGroups"` });
        }
      }
      if (p.grant.mode === 'window' && p.grant.defaultDuration && p.grant.defaultDuration > p.grant.maxDuration) {
        ctx.addIssue({ code: 'custom', path: ['policies', i, 'grant', 'defaultDuration'], message: 'defaultDuration is longer than maxDuration; shorten it' });
      }
      if (!p.approvals && p.autoApprove === false) {
        ctx.addIssue({ code: 'custom', path: ['policies', i], message: `policy for "${p.action}" neither names approvals nor sets autoApprove; add "approvals" or "autoApprove": true` });
      }
    });
    const seen = new Map<string, number>();
    config.policies.forEach((p, i) => {
      const key = `${p.action}\u0000${p.resource ?? '*'}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['policies', i], message: `same action and resource as policies[${first}] ("${p.action}", "${p.resource ?? '*'}"); merge the two or make one more specific` });
      } else seen.set(key, i);
    });
  });

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type IssuerConfig = Config['issuers'][string];
export type Policy = Config['policies'][number];
export type Member = z.output<typeof memberSchema>;

/** Validates raw config; errors name the path, the value and the fix. */
export function parseConfig(raw: unknown, source = 'jitgate.config.json'): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    const value = valueAt(raw, issue.path as (string | number)[]);
    const shown = value === undefined ? '' : ` (got ${JSON.stringify(value)?.slice(0, 80)})`;
    return `  ${path || '(root)'}: ${issue.message}${shown}`;
  });
  throw new ConfigError(`${source} is not valid:\n${lines.join('\n')}`, lines);
}

function valueAt(raw: unknown, path: (string | number)[]): unknown {
  let v: unknown = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}
