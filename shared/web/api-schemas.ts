/** The API's input shapes (zod), in one place so handlers and the OpenAPI document agree. */
import * as z from 'zod';
import { ACTION_CHARACTERS, ACTION_PATTERN, MAX_ACTION_LENGTH } from '../domain/action';
import { PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from '../domain/cursor';
import { MAX_RESOURCE_LENGTH, resourceProblem } from '../domain/resource';

/**
 * The registry the OpenAPI document's `components.schemas` is generated from (openapi.ts):
 * the bodies here and the responses in response-schemas.ts; `id` is the component name.
 */
export const apiSchemas = z.registry<{ id: string }>();

const action = z.string().min(1).max(MAX_ACTION_LENGTH).regex(ACTION_PATTERN, ACTION_CHARACTERS);
/** The resource grammar (shared/domain/resource.ts): refused, never normalised, so what is approved is what is used. */
const resource = z
  .string()
  .max(MAX_RESOURCE_LENGTH)
  .superRefine((value, ctx) => {
    const problem = resourceProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const authorizeBody = z
  .object({ action, resource: resource.optional(), consume: z.boolean().optional() })
  .strict()
  .meta({ examples: [{ action: 'projects:delete', resource: 'projects/42', consume: true }] })
  .register(apiSchemas, { id: 'AuthorizeRequest' });
export const createRequestBody = z
  .object({
    action,
    resource: resource.optional(),
    justification: z.string().max(2000).optional(),
    durationSeconds: z
      .number()
      .int()
      .positive()
      .max(31 * 86400)
      .optional(),
    /** A ticket reference (policies with `ticket` require one matching their pattern). */
    ticket: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^\u0000-\u001f]+$/, 'no control characters')
      .optional(),
    /** Emergency self-grant without approval, where the policy allows `breakGlass`; needs a justification. */
    breakGlass: z.boolean().optional(),
  })
  .strict()
  .meta({
    examples: [{ action: 'projects:delete', resource: 'projects/42', justification: 'customer asked for deletion, ticket 881' }],
  })
  .register(apiSchemas, { id: 'CreateRequest' });
export const mfaBody = z
  .object({ code: z.string().regex(/^\d{6}$/, 'six digits') })
  .strict()
  .meta({ examples: [{ code: '123456' }] })
  .register(apiSchemas, { id: 'MfaAnswer' });
/** Enrolling: replacing a confirmed authenticator needs its current code. */
export const enrolBody = z
  .object({
    code: z
      .string()
      .regex(/^\d{6}$/, 'six digits')
      .optional(),
  })
  .strict()
  .register(apiSchemas, { id: 'TotpEnrolRequest' });
export const decisionBody = z
  .object({ decision: z.enum(['approve', 'deny']), reason: z.string().max(2000).optional() })
  .strict()
  .meta({ examples: [{ decision: 'approve', reason: 'checked the ticket' }] })
  .register(apiSchemas, { id: 'Decision' });
export const revokeBody = z
  .object({ reason: z.string().max(2000).optional() })
  .strict()
  .register(apiSchemas, { id: 'Revoke' });
export const cancelBody = z.object({}).strict().register(apiSchemas, { id: 'Cancel' });
export const extendBody = z
  .object({
    durationSeconds: z
      .number()
      .int()
      .positive()
      .max(31 * 86400)
      .describe("more seconds; the grant's whole length, from its activation, stays within the policy's maximum"),
    justification: z.string().max(2000).optional(),
  })
  .strict()
  .meta({ examples: [{ durationSeconds: 900, justification: 'the migration needs 15 more minutes' }] })
  .register(apiSchemas, { id: 'Extend' });
/** The statuses of shared/domain/request.ts, checked against it in response-schemas.ts. */
export const requestStatus = z
  .enum([
    'pending_mfa',
    'pending_approval',
    'active',
    'expired',
    'revoked',
    'consumed',
    'denied',
    'cancelled',
    'timed_out',
    'failed',
    'applied',
  ])
  .register(apiSchemas, { id: 'RequestStatus' });
export const listQuery = z
  .object({
    role: z.enum(['requester', 'approver']).default('requester'),
    status: requestStatus.optional(),
    limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT),
    cursor: z.string().max(4096).optional(),
  })
  .strict();
export const auditQuery = z
  .object({
    requestId: z.string().max(64).optional(),
    actor: z.string().max(512).optional(),
    since: z.string().datetime().optional(),
    until: z.string().datetime().optional(),
    cursor: z.string().max(4096).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    format: z.enum(['json', 'jsonl']).default('json'),
  })
  .strict();
/** GET /v1/audit/verify and /v1/audit/export: the chains of requests created since (and journal events since) `since`. */
export const auditVerifyQuery = z
  .object({
    since: z.string().datetime().optional(),
  })
  .strict();
export const idempotencyKey = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : -');
