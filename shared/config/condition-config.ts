/**
 * Conditions on the requester's claims, as the config writes them (`requesters`, `deny[].when`,
 * `autoApprove`, `breakGlass.who`): the schema with its explanations, the checks run when the
 * config is validated (a condition in words: domain/condition-text.ts). Split from policy-config.ts.
 */
import * as z from 'zod';
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
export const CONDITION_EXAMPLE = '{"claim": "groups", "contains": "engineering"}';

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
