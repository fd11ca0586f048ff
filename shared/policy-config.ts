/**
 * The `policies` part of the config: per action, what it takes. The schema is also
 * the editor's JSON Schema (`npm run schema` writes `jitgate.schema.json` from it),
 * so the descriptions here are what a security team sees when hovering a field.
 */
import * as z from 'zod';
import { durationSchema } from './duration';
import { commonMatch, specificity } from './glob';

/** A condition on the requester's mapped claims (groups, roles, email, name, sub, issuer, and each mapped attribute). */
export type Condition =
  | { claim: string; equals: string }
  | { claim: string; oneOf: string[] }
  | { claim: string; contains: string }
  | { claim: string; exists: boolean }
  | { not: Condition }
  | { all: Condition[] }
  | { any: Condition[] };

const claim = z.string().min(1).describe('groups, roles, email, name, sub, issuer, or an attribute mapped under issuers.<name>.claims.attributes');

export const conditionSchema: z.ZodType<Condition> = z
  .lazy(() =>
    z.union([
      z.object({ claim, equals: z.string().describe('true when the claim has exactly one value and it is this one') }).strict(),
      z.object({ claim, oneOf: z.array(z.string()).min(1).describe('true when any value of the claim is one of these') }).strict(),
      z.object({ claim, contains: z.string().describe('true when the claim (a list, or a single value) includes this value') }).strict(),
      z.object({ claim, exists: z.boolean().describe('true: the claim has at least one value; false: it is absent or empty') }).strict(),
      z.object({ not: conditionSchema.describe('true when the inner condition is false') }).strict(),
      z.object({ all: z.array(conditionSchema).min(1).describe('true when every condition is true') }).strict(),
      z.object({ any: z.array(conditionSchema).min(1).describe('true when at least one condition is true') }).strict(),
    ]),
  )
  .meta({ id: 'Condition', description: 'A test on the requester\'s mapped claims; combine with not / all / any.' });

const patternChars = /^[A-Za-z0-9_.:*/-]+$/;

export const policySchema = z
  .object({
    action: z.string().regex(patternChars, 'letters, digits and : . _ - / with * as a wildcard')
      .describe('Exact action name (projects:delete) or glob (prod:*). The most specific matching policy decides; an action no policy matches is denied.'),
    resource: z.string().min(1)
      .describe('Glob on the resource (projects/*); omitted means any resource, like "*". Among policies for the same action pattern, the more specific resource pattern wins.')
      .optional(),
    description: z.string().describe('Shown in GET /v1/policies and jitgate explain.').optional(),
    requesters: conditionSchema
      .describe('Who may request this action at all; a caller not matching gets 403 naming this policy. Omitted: anyone not denied.')
      .optional(),
    deny: z
      .array(z.object({ when: conditionSchema, reason: z.string().min(1).describe('Told to the caller and written to the audit trail.') }).strict())
      .default([])
      .describe('Checked first, in order: the first matching rule denies with its reason.'),
    autoApprove: z.union([z.boolean(), conditionSchema]).default(false)
      .describe('true: no approval needed; a condition: no approval for callers matching it, the approvals below for everyone else.'),
    approvals: z
      .object({
        groups: z.record(z.string(), z.number().int().min(1))
          .refine((g) => Object.keys(g).length > 0, 'name at least one approver group')
          .describe('Approver group name → how many distinct approvers from it. The requester never counts; one approver counts once.'),
        window: durationSchema.default(3600).describe('How long approvers have before the request times out (default 1h).'),
      })
      .strict()
      .optional(),
    mfa: z
      .union([
        z.literal('none'),
        z.literal('totp'),
        z.object({
          stepUp: z.object({ acr: z.array(z.string()).optional(), amr: z.array(z.string()).optional(), maxAge: durationSchema }).strict(),
        }).strict(),
      ])
      .default('none')
      .describe('none; totp (a code from an enrolled authenticator); or stepUp: a fresh IdP sign-in with the wanted acr/amr within maxAge (RFC 9470).'),
    mfaWindow: durationSchema.default(600).describe('How long the requester has to answer the TOTP challenge (default 10m).'),
    grant: z
      .discriminatedUnion('mode', [
        z.object({ mode: z.literal('once'), useWithin: durationSchema.default(300).describe('The one use must happen within this (default 5m).') }).strict(),
        z.object({
          mode: z.literal('window'),
          maxDuration: durationSchema.describe('The longest grant a request may ask for; above it the request gets 400.'),
          defaultDuration: durationSchema.describe('Used when the request names no durationSeconds (default: maxDuration).').optional(),
        }).strict(),
      ])
      .describe('once: one use within useWithin; window: repeated use for the requested duration.'),
    justification: z
      .object({
        required: z.boolean().default(false),
        minLength: z.number().int().min(0).default(0).describe('Applies whenever a justification is given (and to break-glass, which always needs one).'),
      })
      .strict()
      .default({ required: false, minLength: 0 }),
    ticket: z
      .object({
        required: z.boolean().default(true).describe('Default true; false makes the ticket optional, but one that is sent must still match.'),
        pattern: z.string().min(1).describe('A JavaScript regular expression the whole ticket must match, e.g. ^(INC|CHG)-\\d+$').optional(),
      })
      .strict()
      .describe('A ticket reference sent as "ticket" in POST /v1/requests; stored on the request and shown to approvers.')
      .optional(),
    breakGlass: z
      .object({
        maxDuration: durationSchema.describe('The emergency grant lasts at most this; keep it short.'),
        notify: z.string().min(1).describe('Approver group whose every member is told at once (approver topic) as soon as glass is broken.'),
      })
      .strict()
      .describe('Allows an emergency self-grant without approval: the request sends "breakGlass": true with a justification. Deny rules, requesters, MFA and ticket still apply.')
      .optional(),
  })
  .strict();

type PolicyInput = z.output<typeof policySchema>;

/** Two policies that can decide the same (action, resource). */
export interface Tie {
  first: number;
  second: number;
  /** An action and a resource both match. */
  action: string;
  resource: string;
  /** Same action and resource pattern, character for character. */
  identical: boolean;
}

/**
 * Ties: pairs of policies with equally specific action patterns and equally specific
 * resource patterns whose patterns can both match one (action, resource). At run time
 * neither would win, so they are a config error. Policies are grouped by their two
 * scores first, and exact action names by name, so a large config is not compared
 * pair by pair.
 */
export function findTies(policies: readonly Pick<PolicyInput, 'action' | 'resource'>[]): Tie[] {
  const groups = new Map<string, number[]>();
  policies.forEach((p, i) => {
    const exact = !p.action.includes('*');
    // Exact names can only tie with the same name.
    const key = exact ? `=${p.action}\u0000${specificity(p.resource ?? '*')}` : `*${specificity(p.action)}\u0000${specificity(p.resource ?? '*')}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const ties: Tie[] = [];
  for (const members of groups.values()) {
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) {
        const [i, j] = [members[x]!, members[y]!];
        const [a, b] = [policies[i]!, policies[j]!];
        const action = commonMatch(a.action, b.action);
        if (action === undefined) continue;
        const resource = commonMatch(a.resource ?? '*', b.resource ?? '*');
        if (resource === undefined) continue;
        ties.push({ first: i, second: j, action, resource, identical: a.action === b.action && (a.resource ?? '*') === (b.resource ?? '*') });
      }
    }
  }
  return ties;
}

/** Built-in claims that are always lists: `equals` on them is almost always a mistake (a user in two groups never "equals" one). */
export const LIST_CLAIMS = ['groups', 'roles'];

/** Problems inside one condition: `equals` on a list claim. Paths are relative to the condition. */
export function conditionIssues(c: Condition, path: (string | number)[] = []): { path: (string | number)[]; message: string }[] {
  if ('all' in c) return c.all.flatMap((d, i) => conditionIssues(d, [...path, 'all', i]));
  if ('any' in c) return c.any.flatMap((d, i) => conditionIssues(d, [...path, 'any', i]));
  if ('not' in c) return conditionIssues(c.not, [...path, 'not']);
  if ('equals' in c && LIST_CLAIMS.includes(c.claim)) {
    return [{ path: [...path, 'equals'], message: `"${c.claim}" is a list, and "equals" is true only when it holds exactly one value; use {"claim": "${c.claim}", "contains": ${JSON.stringify(c.equals)}}` }];
  }
  return [];
}

/** A condition in words: `groups contains "engineering" and not employment equals "contractor"`. */
export function describeCondition(c: Condition): string {
  if ('all' in c) return c.all.map((d) => wrap(d, 'all')).join(' and ');
  if ('any' in c) return c.any.map((d) => wrap(d, 'any')).join(' or ');
  if ('not' in c) return `not ${wrap(c.not, 'not')}`;
  if ('equals' in c) return `${c.claim} equals ${JSON.stringify(c.equals)}`;
  if ('oneOf' in c) return `${c.claim} is one of ${c.oneOf.map((v) => JSON.stringify(v)).join(', ')}`;
  if ('contains' in c) return `${c.claim} contains ${JSON.stringify(c.contains)}`;
  return c.exists ? `${c.claim} is present` : `${c.claim} is absent`;
}

function wrap(c: Condition, parent: 'all' | 'any' | 'not'): string {
  const text = describeCondition(c);
  const compound = ('all' in c && c.all.length > 1) || ('any' in c && c.any.length > 1);
  return compound && !(parent === 'all' && 'all' in c) && !(parent === 'any' && 'any' in c) ? `(${text})` : text;
}
