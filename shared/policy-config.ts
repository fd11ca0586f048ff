/** The `policies` part of the config: per action, what it takes. */
import * as z from 'zod';
import { durationSchema } from './duration';

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

export const policySchema = z
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

