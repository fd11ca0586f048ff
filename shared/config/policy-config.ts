/**
 * The `policies` part of the config: per action, what it takes. The schema is also
 * the editor's JSON Schema (`npm run schema` writes `jitgate.schema.json` from it),
 * so the descriptions here are what a security team sees when hovering a field.
 */
import * as z from 'zod';
import { durationSchema } from '../domain/duration';
import { commonMatch, specificity } from '../domain/glob';
import { CONDITION_EXAMPLE, conditionProblem, conditionSchema, suggest } from './condition-config';

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
