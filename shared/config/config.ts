/**
 * The one config file (`jitgate.config.json`): issuers, approver groups and action
 * policies. Parsed once at the edge (synth, local start, Lambda cold start) and then
 * passed around as the typed `Config`; nothing deeper reads files or env.
 */
import * as z from 'zod';
import { ConfigError } from '../domain/errors';
import { lifetimeIssue } from '../domain/execution-lifetime';
import { issuerSchema } from './issuer-config';
import { issuerIssues, type ConfigMode } from './issuer-issues';
import { limitsSchema } from './limits-config';
import { unknownKeysMessage } from './unknown-keys';
import { conditionIssues, unscopedListTests, type Condition } from './condition-config';
import { findTies, policySchema } from './policy-config';
import { privilegeIssues } from './privileges-config';
import { didYouMean } from '../domain/suggest';

export { durationSchema, parseDuration } from '../domain/duration';
export { conditionSchema, type Condition } from './condition-config';

/** `"auditors"` or `{"group": "auditors", "trustedIssuers": ["corp"]}`; see shared/domain/privileges.ts for the default trust. */
const privilegedGroupSchema = z
  .union(
    [
      z.string().min(1),
      z
        .object({
          group: z.string().min(1),
          trustedIssuers: z.array(z.string()).describe('Issuers (by name) whose tokens may prove membership of this group.'),
        })
        .strict(),
    ],
    { error: () => 'a group name, or {"group": "<name>", "trustedIssuers": ["<issuer name>"]}' },
  )
  .describe(
    'A group name (trusted from the approver group of that name\'s issuers, or from the only issuer), or {"group", "trustedIssuers"}.',
  );

/** A sign-in through one of the issuers: the approval page's (`approverSignIn`) and the console's (`consoleSignIn`). */
function signInSchema(callbackPath: string, description: string) {
  return z
    .object({
      issuer: z
        .string()
        .min(1)
        .describe('The name of an issuer under "issuers" (its discovery document gives the authorize and token endpoints).'),
      clientId: z
        .string()
        .min(1)
        .describe(
          `The public OIDC client (authorization code + PKCE) registered at that issuer with redirect URI <API URL>${callbackPath}; ` +
            'its ID tokens carry it as "aud".',
        ),
      scope: z
        .string()
        .regex(/(^|\s)openid(\s|$)/, 'must include "openid"')
        .default('openid email profile')
        .describe('Scopes asked for; must include openid (default "openid email profile").'),
    })
    .strict()
    .describe(description);
}

const memberSchema = z.object({
  issuer: z.string().min(1),
  sub: z.string().min(1),
  email: z.string().email("an email address: where this approver's notifications go"),
  name: z.string().optional(),
});

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    issuers: z.record(z.string().regex(/^[a-z0-9-]+$/, 'lower-case letters, digits and -'), issuerSchema, {
      // zod reports a bad record key as "Invalid key in record"; say what a name may be.
      error: (issue) =>
        issue.code === 'invalid_key'
          ? 'issuer names are lower-case letters, digits and -; rename this issuer (and the "issuer" of its approvers)'
          : undefined,
    }),
    approverGroups: z
      .record(
        z.string(),
        z
          .object({
            members: z.array(memberSchema).default([]),
            /**
             * Issuers (by name) whose tokens may prove membership of this group. Default: the
             * issuers its members come from, so another IdP cannot mint approvers by putting
             * the group's name in its tokens.
             */
            trustedIssuers: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .default({}),
    /** Groups (as the tokens carry them) whose members may read every request and the audit trail. */
    auditorGroups: z
      .array(privilegedGroupSchema)
      .default([])
      .describe(
        'Groups whose members may read every request and the audit trail. Each is trusted only from its issuers: see the entry form.',
      ),
    /** Groups whose members may revoke anyone's grant. */
    adminGroups: z
      .array(privilegedGroupSchema)
      .default([])
      .describe("Groups whose members may revoke anyone's grant. Each is trusted only from its issuers: see the entry form."),
    policies: z.array(policySchema).default([]),
    /** Where approvers sign in on the approval page for policies with `approverAuth: "sso"`. */
    approverSignIn: signInSchema(
      '/approve/callback',
      'Where approvers sign in on the approval page for policies with approverAuth "sso" (authorization code + PKCE, S256).',
    ).optional(),
    /** Where people sign in to the web console (`GET /`); without it, the console says sign-in is not configured. */
    consoleSignIn: signInSchema(
      '/console/callback',
      "Where people sign in to the web console at the API's root (authorization code + PKCE, S256). " +
        "The ID token goes through the issuer's claims mapping, as an API token does.",
    ).optional(),
    limits: limitsSchema,
    /** Deploy-time choices with a cost or an account-wide effect (infra/api.ts); local mode ignores them. */
    aws: z
      .object({
        detailedMetrics: z
          .boolean()
          .default(false)
          .describe(
            'Per-method API Gateway metrics (detailed CloudWatch metrics): billed as custom metrics every month, even when idle; ' +
              'off by default (stage-wide metrics are free).',
          ),
        apiGatewayCloudWatchRole: z
          .boolean()
          .default(true)
          .describe(
            "true: the stack creates a role and sets it as the account's API Gateway CloudWatch Logs role for this region " +
              '(account-wide; it replaces the one set before, and stays when the stack is deleted). ' +
              "false: use the role already set in the account's API Gateway settings (the deploy fails if none is set).",
          ),
      })
      .strict()
      .default({ detailedMetrics: false, apiGatewayCloudWatchRole: true })
      .describe('Deploy-time choices with a monthly cost or an account-wide effect.'),
  })
  .strict()
  .superRefine((config, ctx) => {
    // A group named in a policy but not defined is most often a typo of one that is.
    const near = (group: string) => didYouMean(group, Object.keys(config.approverGroups));
    for (const key of ['approverSignIn', 'consoleSignIn'] as const) {
      const signIn = config[key];
      if (signIn && !config.issuers[signIn.issuer]) {
        ctx.addIssue({
          code: 'custom',
          path: [key, 'issuer'],
          message: `unknown issuer "${signIn.issuer}"; use one of: ${Object.keys(config.issuers).join(', ')}`,
        });
      }
    }
    config.policies.forEach((p, i) => {
      if (p.approverAuth === 'sso' && !config.approverSignIn) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', i, 'approverAuth'],
          message: `"sso" needs "approverSignIn" at the top level: {"issuer": "<issuer name>", "clientId": "<OIDC client id>"}`,
        });
      }
    });
    for (const issue of privilegeIssues(config)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    const lockoutNotify = config.limits.mfaLockout.notify;
    if (lockoutNotify && !config.approverGroups[lockoutNotify]) {
      const message = `approver group "${lockoutNotify}" is not defined${near(lockoutNotify)}; name a group listed under "approverGroups"`;
      ctx.addIssue({ code: 'custom', path: ['limits', 'mfaLockout', 'notify'], message });
    }
    for (const [name, group] of Object.entries(config.approverGroups)) {
      (group.trustedIssuers ?? []).forEach((issuer, i) => {
        if (!config.issuers[issuer])
          ctx.addIssue({
            code: 'custom',
            path: ['approverGroups', name, 'trustedIssuers', i],
            message: `unknown issuer "${issuer}"; use one of: ${Object.keys(config.issuers).join(', ')}`,
          });
      });
      group.members.forEach((m, i) => {
        if (!config.issuers[m.issuer]) {
          ctx.addIssue({
            code: 'custom',
            path: ['approverGroups', name, 'members', i, 'issuer'],
            message: `unknown issuer "${m.issuer}"; use one of: ${Object.keys(config.issuers).join(', ')}`,
          });
        }
      });
    }
    config.policies.forEach((p, i) => {
      for (const group of Object.keys(p.approvals?.groups ?? {})) {
        if (!config.approverGroups[group]) {
          const message = `approver group "${group}" is not defined${near(group)}; add it under "approverGroups"`;
          ctx.addIssue({ code: 'custom', path: ['policies', i, 'approvals', 'groups', group], message });
        }
      }
      if (p.approvals?.remindAfter !== undefined && p.approvals.remindAfter >= p.approvals.window) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', i, 'approvals', 'remindAfter'],
          message:
            `the reminder (${p.approvals.remindAfter} s) would come after the window closes (${p.approvals.window} s); ` +
            'make remindAfter shorter than window',
        });
      }
      if (p.approvals?.escalate) {
        if (!config.approverGroups[p.approvals.escalate.group]) {
          const { group } = p.approvals.escalate;
          const message = `approver group "${group}" is not defined${near(group)}; add it under "approverGroups"`;
          ctx.addIssue({ code: 'custom', path: ['policies', i, 'approvals', 'escalate', 'group'], message });
        }
        if (p.approvals.escalate.before >= p.approvals.window) {
          ctx.addIssue({
            code: 'custom',
            path: ['policies', i, 'approvals', 'escalate', 'before'],
            message:
              `escalating ${p.approvals.escalate.before} s before a ${p.approvals.window} s window means at once; ` +
              'make "before" shorter than window',
          });
        }
      }
      if (p.grant.mode === 'window' && p.grant.defaultDuration && p.grant.defaultDuration > p.grant.maxDuration) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', i, 'grant', 'defaultDuration'],
          message: 'defaultDuration is longer than maxDuration; shorten it',
        });
      }
      const lifetime = lifetimeIssue(p);
      if (lifetime) ctx.addIssue({ code: 'custom', path: ['policies', i, ...lifetime.path], message: lifetime.message });
      if (!p.approvals && p.autoApprove === false) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', i],
          message: `policy for "${p.action}" neither names approvals nor sets autoApprove; add "approvals" or "autoApprove": true`,
        });
      }
      if (p.approvals && p.autoApprove === true) {
        ctx.addIssue({
          code: 'custom',
          path: ['policies', i, 'approvals'],
          message:
            '"autoApprove" is true, so these approvals never apply; remove "approvals", ' +
            'or make "autoApprove" a condition such as {"claim": "groups", "contains": "engineering"}',
        });
      }
      const conditions: [(string | number)[], Condition][] = [
        ...(p.requesters ? [[['requesters'], p.requesters] as [(string | number)[], Condition]] : []),
        ...p.deny.map((d, k) => [['deny', k, 'when'], d.when] as [(string | number)[], Condition]),
        ...(typeof p.autoApprove === 'object' ? [[['autoApprove'], p.autoApprove] as [(string | number)[], Condition]] : []),
      ];
      for (const [at, condition] of conditions) {
        for (const issue of conditionIssues(condition, [], Object.keys(config.issuers)))
          ctx.addIssue({ code: 'custom', path: ['policies', i, ...at, ...issue.path], message: issue.message });
      }
      if (p.ticket?.pattern !== undefined) {
        try {
          new RegExp(p.ticket.pattern);
        } catch (err) {
          const reason = (err as Error).message.replace(/^Invalid regular expression: /, '');
          ctx.addIssue({
            code: 'custom',
            path: ['policies', i, 'ticket', 'pattern'],
            message:
              `not a valid regular expression (${reason}); ` +
              'write a JavaScript regular expression such as "^(INC|CHG)-\\\\d+$" (backslashes doubled, as JSON needs)',
          });
        }
      }
      if (p.breakGlass) {
        for (const issue of conditionIssues(p.breakGlass.who, [], Object.keys(config.issuers)))
          ctx.addIssue({ code: 'custom', path: ['policies', i, 'breakGlass', 'who', ...issue.path], message: issue.message });
        if (Object.keys(config.issuers).length > 1) {
          for (const issue of unscopedListTests(p.breakGlass.who))
            ctx.addIssue({ code: 'custom', path: ['policies', i, 'breakGlass', 'who', ...issue.path], message: issue.message });
        }
        if (!config.approverGroups[p.breakGlass.notify]) {
          const { notify } = p.breakGlass;
          const message =
            `approver group "${notify}" is not defined${near(notify)}; ` + 'break-glass must notify a group listed under "approverGroups"';
          ctx.addIssue({ code: 'custom', path: ['policies', i, 'breakGlass', 'notify'], message });
        }
        if (p.grant.mode === 'window' && p.breakGlass.maxDuration > p.grant.maxDuration) {
          ctx.addIssue({
            code: 'custom',
            path: ['policies', i, 'breakGlass', 'maxDuration'],
            message:
              `break-glass lasts longer (${p.breakGlass.maxDuration} s) ` +
              `than an approved grant (grant.maxDuration ${p.grant.maxDuration} s); make it at most ${p.grant.maxDuration} s`,
          });
        }
      }
    });
    // Most specific wins; two policies equally specific that can match the same (action, resource) would leave it to chance.
    for (const tie of findTies(config.policies)) {
      const a = config.policies[tie.first]!;
      const b = config.policies[tie.second]!;
      const message = tie.identical
        ? `same action and resource as policies[${tie.first}] ("${a.action}", "${a.resource ?? '*'}"); ` +
          'merge the two or make one more specific'
        : `ties with policies[${tie.first}] ("${a.action}" on "${a.resource ?? '*'}"): "${b.action}" on "${b.resource ?? '*'}" ` +
          `is just as specific and both match action "${tie.action || '*'}" on resource "${tie.resource || '*'}"; ` +
          'give one more literal characters (e.g. an exact action or a narrower resource) so it wins, ' +
          'or narrow one so they cannot both match';
      ctx.addIssue({ code: 'custom', path: ['policies', tie.second], message });
    }
  });

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type IssuerConfig = Config['issuers'][string];
export type Policy = Config['policies'][number];
export type Member = z.output<typeof memberSchema>;

export interface ParseOptions {
  /** `deploy` (default: `cdk synth`, the deployed functions) accepts https issuers only; `local` (`npm start`, the CLI) also http. */
  mode?: ConfigMode;
  /**
   * The deployed functions parse the config the stack bundled, from which development
   * issuers were dropped: with none left, synth has warned, and every token gets 401.
   */
  allowNoIssuer?: boolean;
}

/** Validates raw config; errors name the path, the value and the fix. */
export function parseConfig(raw: unknown, source = 'jitgate.config.json', options: ParseOptions = {}): Config {
  const result = configSchema.safeParse(raw);
  const issues: { path: PropertyKey[]; message: string }[] = result.success
    ? issuerIssues(result.data.issuers, options.mode ?? 'deploy')
    : result.error.issues.map((i) => (i.code === 'unrecognized_keys' ? { ...i, message: unknownKeysMessage(configSchema, i) } : i));
  const rawIssuers = (raw as { issuers?: unknown } | null)?.issuers;
  if (!options.allowNoIssuer && rawIssuers !== null && typeof rawIssuers === 'object' && Object.keys(rawIssuers).length === 0) {
    issues.unshift({ path: ['issuers'], message: 'configure at least one issuer' });
  }
  if (result.success && issues.length === 0) return result.data;
  const lines = issues.map((issue) => {
    const path = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
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
