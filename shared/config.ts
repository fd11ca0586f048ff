/**
 * The one config file (`jitgate.config.json`): issuers, approver groups and action
 * policies. Parsed once at the edge (synth, local start, Lambda cold start) and then
 * passed around as the typed `Config`; nothing deeper reads files or env.
 */
import * as z from 'zod';
import { ConfigError } from './errors';
import { issuerSchema } from './issuer-config';
import { policySchema } from './policy-config';

export { durationSchema, parseDuration } from './duration';
export { conditionSchema, type Condition } from './policy-config';

const memberSchema = z.object({
  issuer: z.string().min(1),
  sub: z.string().min(1),
  email: z.string().email(),
  name: z.string().optional(),
});

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
