/**
 * The `policies` part of the config: per action, what it takes. The schema is also
 * the editor's JSON Schema (`npm run schema` writes `jitgate.schema.json` from it),
 * so the descriptions here are what a security team sees when hovering a field.
 */
import * as z from 'zod';
import { durationSchema } from '../domain/duration';
import { commonMatch, specificity } from '../domain/glob';
import { didYouMean } from '../domain/suggest';

/**
 * How a test compares values. `exact`: character for character. `caseless`: trimmed and
 * case-insensitive. Unset: caseless where a match denies (a deny rule, or under a "not"
 * elsewhere), exact where a match allows, so a stray capital or space never lets anyone
 * through (`"Contractor"` is a contractor) and never makes anyone more than they are.
 */
export type Compare = 'exact' | 'caseless';

/** What every claim test may add: how to compare, and which issuers' tokens it can be true for. */
export interface ClaimTest {
  claim: string;
  compare?: Compare;
  /** Issuer names (under "issuers"): the test is false for tokens of any other issuer. */
  issuers?: string[];
}

/** A condition on the requester's mapped claims (groups, roles, email, name, sub, issuer, and each mapped attribute). */
export type Condition =
  | (ClaimTest & { equals: string })
  | (ClaimTest & { oneOf: string[] })
  | (ClaimTest & { contains: string })
  | (ClaimTest & { exists: boolean })
  | { not: Condition }
  | { all: Condition[] }
  | { any: Condition[] };

const OPERATORS = ['equals', 'oneOf', 'contains', 'exists'] as const;
const MODIFIERS = ['claim', 'compare', 'issuers'];
const COMBINATORS = ['not', 'all', 'any'] as const;
const CONDITION_EXAMPLE = '{"claim": "groups", "contains": "engineering"}';

/** Why a value is not a condition, in words, with the fix (the zod union alone would only say "Invalid input"). */
export function conditionProblem(input: unknown, at = ''): string | undefined {
  const where = at ? `in ${at}: ` : '';
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return `${where}a condition is an object such as ${CONDITION_EXAMPLE}`;
  const o = input as Record<string, unknown>;
  const keys = Object.keys(o);
  const combinator = COMBINATORS.filter((k) => k in o);
  if (combinator.length > 0) {
    if (keys.length > 1)
      return (
        `${where}"${combinator[0]}" stands alone; put the other keys (${keys.filter((k) => k !== combinator[0]).join(', ')}) ` +
        'in a condition inside it'
      );
    const k = combinator[0]!;
    if (k === 'not') return conditionProblem(o.not, `${at}${at ? '.' : ''}not`);
    const list = o[k];
    if (!Array.isArray(list) || list.length === 0) return `${where}"${k}" takes a non-empty list of conditions`;
    for (const [i, c] of list.entries()) {
      const p = conditionProblem(c, `${at}${at ? '.' : ''}${k}[${i}]`);
      if (p) return p;
    }
    return undefined;
  }
  if (!('claim' in o)) return `${where}name the claim: ${CONDITION_EXAMPLE}, or combine conditions with "not", "all" or "any"`;
  if (typeof o.claim !== 'string' || o.claim.length === 0)
    return `${where}"claim" is a claim name such as "groups", "roles", "email" or a mapped attribute`;
  if ('compare' in o && o.compare !== 'exact' && o.compare !== 'caseless')
    return `${where}"compare" is "exact" (character for character) or "caseless" (trimmed, any case)`;
  if (
    'issuers' in o &&
    !(Array.isArray(o.issuers) && o.issuers.length > 0 && o.issuers.every((x) => typeof x === 'string' && x.length > 0))
  )
    return `${where}"issuers" takes a non-empty list of issuer names, such as ["corp"]`;
  const ops = keys.filter((k) => !MODIFIERS.includes(k));
  const known = ops.filter((k) => (OPERATORS as readonly string[]).includes(k));
  const unknown = ops.filter((k) => !(OPERATORS as readonly string[]).includes(k));
  if (unknown.length)
    return (
      `${where}unknown operator "${unknown[0]}"${suggest(unknown[0]!, [...OPERATORS])}; ` +
      `use one of ${OPERATORS.join(', ')} (negate with {"not": ...})`
    );
  if (known.length === 0) return `${where}add an operator to the claim: ${OPERATORS.join(', ')}`;
  if (known.length > 1) return `${where}one operator per condition (got ${known.join(' and ')}); combine several with {"all": [...]}`;
  const op = known[0]!;
  const v = o[op];
  if (op === 'oneOf' && !(Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')))
    return `${where}"oneOf" takes a non-empty list of strings`;
  if (op === 'exists' && typeof v !== 'boolean') return `${where}"exists" takes true or false`;
  if ((op === 'equals' || op === 'contains') && typeof v !== 'string') return `${where}"${op}" takes a string`;
  return undefined;
}

/** ` (did you mean "approvals"?)` when a close name exists (shared/domain/suggest.ts decides what is close). */
export function suggest(word: string, candidates: readonly string[]): string {
  return didYouMean(word, candidates);
}

const claim = z
  .string()
  .min(1)
  .describe('groups, roles, email, name, sub, issuer, or an attribute mapped under issuers.<name>.claims.attributes');
const compare = z
  .enum(['exact', 'caseless'])
  .describe(
    'exact: character for character; caseless: trimmed, any case. Default: caseless where a match denies (deny rules, ' +
      'or under "not"), exact where a match allows.',
  )
  .optional();
const issuers = z
  .array(z.string().min(1))
  .min(1)
  .describe('Issuer names: the test is true only for tokens of these issuers (e.g. a group only one IdP may vouch for).')
  .optional();
const test = { claim, compare, issuers };

/** One shape of condition; a stray key gets the same explanation as a condition matching no shape. */
function conditionObject<T extends z.ZodRawShape>(shape: T) {
  return z.object(shape, { error: (issue) => (issue.code === 'unrecognized_keys' ? conditionProblem(issue.input) : undefined) }).strict();
}

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .union(
      [
        conditionObject({
          ...test,
          equals: z
            .string()
            .describe(
              'true when the claim has exactly one value and it is this one (a list of several is a match where a match denies: ' +
                'fail closed)',
            ),
        }),
        conditionObject({ ...test, oneOf: z.array(z.string()).min(1).describe('true when any value of the claim is one of these') }),
        conditionObject({ ...test, contains: z.string().describe('true when the claim (a list, or a single value) includes this value') }),
        conditionObject({ ...test, exists: z.boolean().describe('true: the claim has at least one value; false: it is absent or empty') }),
        conditionObject({ not: conditionSchema }).describe('true when the inner condition is false'),
        conditionObject({ all: z.array(conditionSchema).min(1, '"all" takes a non-empty list of conditions') }).describe(
          'true when every condition is true',
        ),
        conditionObject({ any: z.array(conditionSchema).min(1, '"any" takes a non-empty list of conditions') }).describe(
          'true when at least one condition is true',
        ),
      ],
      { error: (issue) => conditionProblem(issue.input) },
    )
    .meta({ id: 'Condition', description: "A test on the requester's mapped claims; combine with not / all / any." }),
);

const patternChars = /^[A-Za-z0-9_.:*/-]+$/;

/** The fields of a policy; `policySchema` adds the unknown-key message that lists them. */
const policyShape = {
  action: z
    .string()
    .regex(patternChars, 'letters, digits and : . _ - / with * as a wildcard')
    .describe(
      'Exact action name (projects:delete) or glob (prod:*). The most specific matching policy decides; ' +
        'an action no policy matches is denied.',
    ),
  resource: z
    .string()
    .min(1)
    .describe(
      'Glob on the resource (projects/*); omitted means any resource, like "*". Among policies for the same action pattern, ' +
        'the more specific resource pattern wins.',
    )
    .optional(),
  description: z.string().describe('Shown in GET /v1/policies and jitgate explain.').optional(),
  requesters: conditionSchema
    .describe('Who may request this action at all; a caller not matching gets 403 naming this policy. Omitted: anyone not denied.')
    .optional(),
  deny: z
    .array(
      z
        .object({ when: conditionSchema, reason: z.string().min(1).describe('Told to the caller and written to the audit trail.') })
        .strict(),
    )
    .default([])
    .describe('Checked first, in order: the first matching rule denies with its reason.'),
  autoApprove: z
    .union([z.boolean(), conditionSchema], {
      error: (issue) =>
        issue.input !== null && typeof issue.input === 'object'
          ? conditionProblem(issue.input)
          : `true, false, or a condition such as ${CONDITION_EXAMPLE}`,
    })
    .default(false)
    .describe('true: no approval needed; a condition: no approval for callers matching it, the approvals below for everyone else.'),
  approvals: z
    .object({
      groups: z
        .record(z.string(), z.number().int().min(1))
        .refine((g) => Object.keys(g).length > 0, 'name at least one approver group')
        .describe('Approver group name → how many distinct approvers from it. The requester never counts; one approver counts once.'),
      window: durationSchema.default(3600).describe('How long approvers have before the request times out (default 1h).'),
      denials: z
        .number()
        .int()
        .min(1)
        .default(1)
        .describe(
          'How many approvers must deny before the request ends as denied (default 1: a single "no" ends it). ' +
            'Fewer denials are recorded, and the request stays pending.',
        ),
      remindAfter: durationSchema
        .describe(
          'Remind the approvers who have not decided yet, once, this long after they were first notified (e.g. "10m"). ' +
            'Must be shorter than window.',
        )
        .optional(),
      escalate: z
        .object({
          group: z
            .string()
            .min(1)
            .describe('An approver group (under "approverGroups") whose members are told the request is about to time out.'),
          before: durationSchema.describe('How long before the window closes they are told (e.g. "5m"). Must be shorter than window.'),
        })
        .strict()
        .describe(
          'Tell an escalation group shortly before the window closes. Its members can decide only if they are also in one of the ' +
            'required groups; otherwise the message is informational.',
        )
        .optional(),
    })
    .strict()
    .optional(),
  mfa: z
    .union(
      [
        z.literal('none'),
        z.literal('totp'),
        z
          .object({
            stepUp: z.object({ acr: z.array(z.string()).optional(), amr: z.array(z.string()).optional(), maxAge: durationSchema }).strict(),
          })
          .strict(),
      ],
      { error: () => 'use "none", "totp", or {"stepUp": {"maxAge": "15m", "amr": ["mfa"]}} (a fresh IdP sign-in)' },
    )
    .default('none')
    .describe(
      'none; totp (a code from an enrolled authenticator); or stepUp: a fresh IdP sign-in with the wanted acr/amr within maxAge ' +
        '(RFC 9470).',
    ),
  mfaWindow: durationSchema.default(600).describe('How long the requester has to answer the TOTP challenge (default 10m).'),
  grant: z
    .discriminatedUnion(
      'mode',
      [
        z
          .object({
            mode: z.literal('once'),
            useWithin: durationSchema.default(300).describe('The one use must happen within this (default 5m).'),
          })
          .strict(),
        z
          .object({
            mode: z.literal('window'),
            maxDuration: durationSchema.describe('The longest grant a request may ask for; above it the request gets 400.'),
            defaultDuration: durationSchema.describe('Used when the request names no durationSeconds (default: maxDuration).').optional(),
          })
          .strict(),
      ],
      {
        error: () =>
          'a grant is {"mode": "once", "useWithin": "5m"} (one use) or {"mode": "window", "maxDuration": "30m"} (repeated use for a while)',
      },
    )
    .describe('once: one use within useWithin; window: repeated use for the requested duration.'),
  justification: z
    .object({
      required: z.boolean().default(false),
      minLength: z
        .number()
        .int()
        .min(0)
        .default(0)
        .describe('Applies whenever a justification is given (and to break-glass, which always needs one).'),
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
      notify: z
        .string()
        .min(1)
        .describe(
          'Approver group whose every member is told at once (approver topic) as soon as glass is broken, ' +
            'and gets a personal link to review the emergency grant afterwards (confirm or flag).',
        ),
      who: conditionSchema.describe(
        'Required: who may break glass, e.g. {"claim": "groups", "contains": "oncall", "issuers": ["corp"]}. ' +
          'Everyone else gets 403 naming breakGlass.who. Groups and roles tests must name their "issuers" when several issuers are ' +
          'configured.',
      ),
    })
    .strict()
    .describe(
      'Allows an emergency self-grant without approval for the callers "who" names: the request sends "breakGlass": ' +
        'true with a justification. Deny rules, requesters, MFA and ticket still apply; the notify group reviews it afterwards.',
    )
    .optional(),
  approverAuth: z
    .enum(['link', 'sso'])
    .default('link')
    .describe(
      'How an approver proves who they are on the approval page. link (default): the personal link alone. sso: ' +
        'the approver also signs in through the issuer named in "approverSignIn" (authorization code + PKCE), ' +
        "must be the link's approver and still in an approver group according to the fresh ID token.",
    ),
};

export const policySchema = z
  .object(policyShape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys
            .map((k) => `unknown key "${k}"${suggest(k, Object.keys(policyShape))}; a policy has ${Object.keys(policyShape).join(', ')}`)
            .join('; ')
        : undefined,
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
    if (typeof p.action !== 'string') return;
    const exact = !p.action.includes('*');
    // Exact names can only tie with the same name.
    const key = exact
      ? `=${p.action}\u0000${specificity(p.resource ?? '*')}`
      : `*${specificity(p.action)}\u0000${specificity(p.resource ?? '*')}`;
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
        ties.push({
          first: i,
          second: j,
          action,
          resource,
          identical: a.action === b.action && (a.resource ?? '*') === (b.resource ?? '*'),
        });
      }
    }
  }
  return ties;
}

/** Built-in claims that are always lists: `equals` on them is almost always a mistake (a user in two groups never "equals" one). */
export const LIST_CLAIMS = ['groups', 'roles'];

/**
 * Problems inside one condition: `equals` on a list claim, unknown issuer names (when
 * `knownIssuers` is given). Paths are relative to the condition.
 */
export function conditionIssues(
  c: Condition,
  path: (string | number)[] = [],
  knownIssuers?: readonly string[],
): { path: (string | number)[]; message: string }[] {
  // Also called on configs that failed elsewhere (zod runs refinements after recoverable issues): skip what is malformed.
  if (c === null || typeof c !== 'object') return [];
  if ('all' in c) return Array.isArray(c.all) ? c.all.flatMap((d, i) => conditionIssues(d, [...path, 'all', i], knownIssuers)) : [];
  if ('any' in c) return Array.isArray(c.any) ? c.any.flatMap((d, i) => conditionIssues(d, [...path, 'any', i], knownIssuers)) : [];
  if ('not' in c) return conditionIssues(c.not, [...path, 'not'], knownIssuers);
  const out: { path: (string | number)[]; message: string }[] = [];
  if ('equals' in c && LIST_CLAIMS.includes(c.claim)) {
    out.push({
      path: [...path, 'equals'],
      message:
        `"${c.claim}" is a list, and "equals" is true only when it holds exactly one value; use {"claim": "${c.claim}", ` +
        `"contains": ${JSON.stringify(c.equals)}}`,
    });
  }
  if (knownIssuers) {
    (c.issuers ?? []).forEach((name, i) => {
      if (!knownIssuers.includes(name))
        out.push({ path: [...path, 'issuers', i], message: `unknown issuer "${name}"; use one of: ${knownIssuers.join(', ')}` });
    });
  }
  return out;
}

/**
 * Groups and roles tests that do not say which issuers may vouch for them. Where a
 * condition grants a privilege (break-glass), any issuer could otherwise mint it.
 */
export function unscopedListTests(c: Condition, path: (string | number)[] = []): { path: (string | number)[]; message: string }[] {
  if (c === null || typeof c !== 'object') return [];
  if ('all' in c) return Array.isArray(c.all) ? c.all.flatMap((d, i) => unscopedListTests(d, [...path, 'all', i])) : [];
  if ('any' in c) return Array.isArray(c.any) ? c.any.flatMap((d, i) => unscopedListTests(d, [...path, 'any', i])) : [];
  if ('not' in c) return unscopedListTests(c.not, [...path, 'not']);
  if (!LIST_CLAIMS.includes(c.claim) || c.issuers) return [];
  return [
    {
      path,
      message:
        `say which issuers may vouch for this ${c.claim} test (any issuer can put a name in a token): add "issuers": ` +
        '["<issuer name>"]',
    },
  ];
}

/** A condition in words: `groups contains "engineering" and not employment equals "contractor"`. */
export function describeCondition(c: Condition): string {
  if ('all' in c) return c.all.map((d) => wrap(d, 'all')).join(' and ');
  if ('any' in c) return c.any.map((d) => wrap(d, 'any')).join(' or ');
  if ('not' in c) return `not ${wrap(c.not, 'not')}`;
  const from = c.issuers ? ` (from ${c.issuers.join(' or ')})` : '';
  if ('equals' in c) return `${c.claim} equals ${JSON.stringify(c.equals)}${from}`;
  if ('oneOf' in c) return `${c.claim} is one of ${c.oneOf.map((v) => JSON.stringify(v)).join(', ')}${from}`;
  if ('contains' in c) return `${c.claim} contains ${JSON.stringify(c.contains)}${from}`;
  return (c.exists ? `${c.claim} is present` : `${c.claim} is absent`) + from;
}

function wrap(c: Condition, parent: 'all' | 'any' | 'not'): string {
  const text = describeCondition(c);
  const compound = ('all' in c && c.all.length > 1) || ('any' in c && c.any.length > 1);
  return compound && !(parent === 'all' && 'all' in c) && !(parent === 'any' && 'any' in c) ? `(${text})` : text;
}
