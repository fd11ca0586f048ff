/**
 * The API's response shapes (zod), the counterpart of api-schemas.ts: the OpenAPI
 * document is generated from them and the typed client (client/) takes its types from
 * them. Each is checked at compile time against the domain type it serialises (the
 * `Same<>` lines at the end), so a field added to the domain and not here fails `tsc`.
 *
 * Objects are plain `z.object`s: the document is generated in zod's "input" mode, where
 * they stay open (DESIGN: fields may be added, never renamed), while the types stay exact.
 */
import * as z from 'zod';
import type { GroupProgress } from '../domain/approvals';
import type { AuditType } from '../domain/audit';
import type { ChainedEvent, VerifyReport as DomainVerifyReport } from '../domain/audit-chain';
import type { JitRequest } from '../domain/request';
import type { Requirements as DomainRequirements } from '../domain/policy';
import type { AuthorizeResult as DomainAuthorizeResult } from '../usecases/authorize';
import type { listPolicies } from '../usecases/policies';
import type { RequestView } from '../domain/views';
import { apiSchemas, requestStatus } from './api-schemas';

const timestamp = z.string().describe('RFC 3339 date-time (UTC)');

export const PersonRef = z
  .object({
    id: z.string().describe('principal id: <issuer>#<sub>'),
    issuer: z.string(),
    sub: z.string(),
    name: z.string().optional(),
    email: z.string().optional(),
  })
  .meta({ description: 'A person, as their token named them.' })
  .register(apiSchemas, { id: 'PersonRef' });

const Approval = z
  .object({
    approver: PersonRef,
    decision: z.enum(['approve', 'deny']),
    groups: z.array(z.string()),
    reason: z.string().optional(),
    at: timestamp,
    via: z.enum(['api', 'link', 'sso']),
  })
  .register(apiSchemas, { id: 'Approval' });

const MfaRequirement = z
  .union([
    z.enum(['none', 'totp']),
    z.object({ stepUp: z.object({ acr: z.array(z.string()).optional(), amr: z.array(z.string()).optional(), maxAge: z.number().int() }) }),
  ])
  .meta({ description: 'none, totp, or a step-up sign-in at the IdP (RFC 9470)' })
  .register(apiSchemas, { id: 'MfaRequirement' });

export const Requirements = z
  .object({
    approvals: z.array(z.object({ group: z.string(), required: z.number().int() })),
    approvalWindowSeconds: z.number().int(),
    mfa: MfaRequirement,
    mfaWindowSeconds: z.number().int(),
    grant: z.discriminatedUnion('mode', [
      z.object({ mode: z.literal('once'), useWithinSeconds: z.number().int() }),
      z.object({ mode: z.literal('window'), maxDurationSeconds: z.number().int() }),
    ]),
    justification: z.object({ required: z.boolean(), minLength: z.number().int() }),
    ticket: z.object({ required: z.boolean(), pattern: z.string().optional() }).optional(),
    breakGlass: z.object({ maxDurationSeconds: z.number().int(), notify: z.string() }).optional(),
    approverAuth: z.enum(['link', 'sso']).optional(),
    denials: z.number().int().optional(),
    remindAfterSeconds: z.number().int().optional(),
    escalate: z.object({ group: z.string(), beforeSeconds: z.number().int() }).optional(),
  })
  .meta({ description: 'What a policy takes: approvals, MFA, the grant, justification.' })
  .register(apiSchemas, { id: 'Requirements' });

const GroupProgressSchema = z
  .object({
    group: z.string(),
    required: z.number().int(),
    approvedBy: z.array(z.string()),
    remaining: z.number().int(),
    mayStillApprove: z.array(z.object({ id: z.string(), name: z.string().optional(), email: z.string().optional() })),
  })
  .meta({ description: 'One approver group: required, approved so far, who may still approve.' })
  .register(apiSchemas, { id: 'GroupProgress' });

const WaitingFor = z
  .object({
    mfa: z.object({ method: z.string(), attemptsLeft: z.number().int(), deadline: timestamp.optional() }).optional(),
    approvals: z.array(GroupProgressSchema).optional(),
    approvalDeadline: timestamp.optional(),
    activation: z.literal(true).optional(),
  })
  .nullable();

/** Every field a request has whatever its status (RequestBase without the internal `version`), plus the view's progress. */
const requestFields = {
  id: z.string(),
  action: z.string(),
  resource: z.string(),
  justification: z.string().optional(),
  ticket: z.string().optional(),
  breakGlass: z.boolean().optional(),
  requester: PersonRef,
  policy: z.object({ action: z.string(), resource: z.string().optional() }),
  requirements: Requirements,
  durationSeconds: z.number().int(),
  createdAt: timestamp,
  mfa: z.object({ required: z.boolean(), passedAt: timestamp.optional(), failures: z.number().int() }),
  approvals: z.array(Approval),
  notified: z.array(PersonRef.extend({ groups: z.array(z.string()) })),
  unreached: z.array(z.string()).optional().describe('approvers (ids) whose message could not be sent yet; sent again shortly'),
  autoApproved: z.boolean(),
  remindedAt: timestamp.optional(),
  escalatedAt: timestamp.optional(),
  grantTimes: z.object({ activatedAt: timestamp, expiresAt: timestamp, expiringAt: timestamp }).optional(),
  firstUsedAt: timestamp.optional(),
  extends: z.string().optional().describe('an extension: the id of the active window grant it asks more time for'),
  reviews: z
    .array(
      z.object({
        reviewer: PersonRef,
        outcome: z.enum(['confirmed', 'flagged']),
        reason: z.string().optional(),
        at: timestamp,
      }),
    )
    .optional(),
  approvalsProgress: z.array(GroupProgressSchema),
  waitingFor: WaitingFor,
};
const withStatus = <S extends z.ZodRawShape>(state: S) => z.object({ ...requestFields, ...state });
const granted = { activatedAt: timestamp, expiresAt: timestamp };

export const Request = z
  .discriminatedUnion('status', [
    withStatus({ status: z.literal('pending_mfa'), mfaDeadline: timestamp }),
    withStatus({ status: z.literal('pending_approval'), approvalDeadline: timestamp }),
    withStatus({ status: z.literal('active'), ...granted }),
    withStatus({ status: z.literal('consumed'), ...granted, consumedAt: timestamp }),
    withStatus({ status: z.literal('expired'), ...granted, endedAt: timestamp }),
    withStatus({ status: z.literal('revoked'), ...granted, endedAt: timestamp, revokedBy: PersonRef, reason: z.string().optional() }),
    withStatus({
      status: z.literal('denied'),
      decidedAt: timestamp,
      decidedBy: z.union([PersonRef, z.literal('jitgate')]),
      reason: z.string().optional(),
    }),
    withStatus({ status: z.literal('cancelled'), cancelledAt: timestamp }),
    withStatus({ status: z.literal('timed_out'), endedAt: timestamp }),
    withStatus({ status: z.literal('applied'), appliedAt: timestamp, expiresAt: timestamp.describe("the extended grant's new end") }),
    withStatus({
      status: z.literal('failed'),
      endedAt: timestamp,
      failure: z.object({
        executionStatus: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
        error: z.string().optional(),
        cause: z.string().optional(),
      }),
    }),
  ])
  .meta({
    description: 'A request, with what it still waits for (`waitingFor`); the fields each status carries (`active` has `expiresAt`).',
  })
  .register(apiSchemas, { id: 'Request' });

export const RequestStatus = requestStatus;

export const RequestPage = z
  .object({
    requests: z.array(Request),
    cursor: z.string().optional().describe('pass as `cursor` for the next page; absent on the last page'),
  })
  .register(apiSchemas, { id: 'RequestPage' });

export const AuthorizeResult = z
  .object({
    allowed: z.boolean(),
    reason: z.string(),
    rule: z.string().describe('the policy that decided, or the default deny'),
    grant: z
      .object({
        requestId: z.string(),
        mode: z.enum(['once', 'window']),
        expiresAt: timestamp,
        consumed: z.boolean().optional(),
      })
      .optional(),
    requirements: Requirements.optional(),
    missing: z
      .array(z.string())
      .optional()
      .describe('what is still needed, in order, e.g. ["request", "mfa totp", "approval from security-admins x1"]'),
    pendingRequestId: z.string().optional(),
  })
  .meta({
    description: 'May the caller do this action on this resource now?',
    examples: [
      {
        allowed: true,
        reason: 'one-time grant consumed',
        rule: 'projects:delete',
        grant: { requestId: 'r-1', mode: 'once', expiresAt: '2026-11-26T10:05:00.000Z', consumed: true },
      },
      {
        allowed: false,
        reason: 'no active grant; request one with POST /v1/requests',
        rule: 'prod:debug',
        missing: ['request', 'approval from security-admins x1'],
      },
    ],
  })
  .register(apiSchemas, { id: 'AuthorizeResult' });

export const Policy = z
  .object({
    action: z.string(),
    resource: z.string().optional(),
    description: z.string().optional(),
    rule: z.string(),
    decision: z.enum(['denied', 'requestable', 'auto']),
    mayRequest: z.boolean(),
    deniedBecause: z.string().optional(),
    deniedBy: z.string().optional(),
    requesters: z.string().optional(),
    autoApproved: z.boolean(),
    requirements: Requirements,
    needs: z.array(z.string()).optional(),
    breakGlass: z
      .object({
        allowed: z.boolean(),
        who: z.string(),
        maxDurationSeconds: z.number().int(),
        notify: z.string(),
        needs: z.string(),
      })
      .optional(),
  })
  .meta({ description: 'A sensitive action and what it takes, evaluated for the caller.' })
  .register(apiSchemas, { id: 'Policy' });

export const PolicyList = z
  .object({
    policies: z.array(Policy),
    unknownActions: z.string().describe('"denied": an action no policy names is denied (fail closed)'),
  })
  .register(apiSchemas, { id: 'PolicyList' });

const AUDIT_TYPES = [
  'created',
  'break_glass',
  'break_glass_reviewed',
  'denied_by_policy',
  'mfa_passed',
  'mfa_failed',
  'mfa_locked_out',
  'mfa_user_locked',
  'totp_enrolled',
  'totp_confirmed',
  'approvers_notified',
  'approvers_not_reached',
  'approvers_reminded',
  'escalated',
  'approved',
  'denied',
  'cancelled',
  'activated',
  'consumed',
  'revoked',
  'expired',
  'timed_out',
  'failed',
  'decision_refused',
  'step_up_failed',
  'authorize_denied',
  'grant_used',
  'grant_refused',
  'extension_requested',
  'extended',
] as const satisfies readonly AuditType[];

export const AuditEvent = z
  .object({
    requestId: z.string(),
    type: z.enum(AUDIT_TYPES),
    actor: z.string().describe('principal id, or "jitgate" for the workflow'),
    issuer: z.string().optional(),
    at: timestamp,
    action: z.string().optional(),
    resource: z.string().optional(),
    reason: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    seq: z.number().int().describe('position on its chain, from 1'),
    prev: z.string().describe('the hash of the event before on its chain (64 zeros for the first)'),
    hash: z.string().describe("SHA-256 (hex) of this event's canonical form: GET /v1/audit/verify walks the chains"),
    chain: z.literal('journal').optional().describe('"journal" for events that belong to no request'),
  })
  .meta({ description: 'One decision or state change, with actor and time.' })
  .register(apiSchemas, { id: 'AuditEvent' });

export const AuditPage = z.object({ events: z.array(AuditEvent), cursor: z.string().optional() }).register(apiSchemas, { id: 'AuditPage' });

export const VerifyReport = z
  .object({
    ok: z.boolean(),
    checked: z.number().int(),
    chains: z.number().int(),
    firstBroken: z
      .object({
        id: z.string(),
        requestId: z.string(),
        reason: z.enum(['edited', 'deleted', 'inserted', 'reordered']),
        detail: z.string(),
      })
      .optional(),
  })
  .meta({ description: 'The audit chains walked; the first broken link, if any.' })
  .register(apiSchemas, { id: 'VerifyReport' });

export const TotpEnrolment = z.object({ secret: z.string(), otpauthUri: z.string() }).register(apiSchemas, { id: 'TotpEnrolment' });
export const TotpConfirmation = z.object({ confirmed: z.literal(true) }).register(apiSchemas, { id: 'TotpConfirmation' });
export const Health = z
  .object({
    status: z.enum(['ok', 'unavailable']).describe('`unavailable` only in local mode, with 503, while one of its components is down'),
    components: z
      .record(z.string(), z.object({ status: z.enum(['up', 'restarting', 'down']) }).catchall(z.unknown()))
      .optional()
      .describe('local mode only: dynamodb, stepfunctions, lambda, sns and idp, each with its status and details'),
  })
  .register(apiSchemas, { id: 'Health' });

/** RFC 9457, with the members jitgate adds for the failures a caller can act on. */
export const Problem = z
  .object({
    type: z.string().describe('https://jitgate.dev/problems/<code>, e.g. policy-denied, rate-limited'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('400 validation-failed: each invalid field'),
    rule: z.string().optional().describe('403 policy-denied: the policy that denied'),
    currentStatus: z.string().optional().describe('409 already-decided: the status the request is in now'),
    attemptsLeft: z.number().int().optional().describe('400 mfa-failed'),
    limit: z.string().optional().describe('429: the limit reached'),
    retryAfter: z.number().int().optional().describe('429 and 503: seconds until a retry can succeed (also the Retry-After header)'),
  })
  .meta({
    description: 'An RFC 9457 problem document (application/problem+json).',
    examples: [
      {
        type: 'https://jitgate.dev/problems/policy-denied',
        title: 'A policy denies this action',
        status: 403,
        detail: 'guests may not delete projects',
        rule: 'projects:delete',
      },
    ],
  })
  .register(apiSchemas, { id: 'Problem' });

export type Request = z.output<typeof Request>;
export type RequestPage = z.output<typeof RequestPage>;
export type AuthorizeResult = z.output<typeof AuthorizeResult>;
export type Policy = z.output<typeof Policy>;
export type PolicyList = z.output<typeof PolicyList>;
export type AuditEvent = z.output<typeof AuditEvent>;
export type AuditPage = z.output<typeof AuditPage>;
export type VerifyReport = z.output<typeof VerifyReport>;
export type TotpEnrolment = z.output<typeof TotpEnrolment>;
export type Problem = z.output<typeof Problem>;
export type RequestStatus = z.output<typeof RequestStatus>;

/*
 * The drift check: each schema's type and the domain type it serialises must be the same,
 * field for field (optional stays optional). A mismatch is a compile error on the line below.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? SameKeys<A, B> : false) : false;
type SameKeys<A, B> = [Keys<A>] extends [Keys<B>] ? ([Keys<B>] extends [Keys<A>] ? true : false) : false;
type Keys<T> = T extends unknown ? keyof T : never;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type RequestDocument = DistributiveOmit<JitRequest, 'version'> & {
  approvalsProgress: GroupProgress[];
  waitingFor: RequestView['waitingFor'];
};
type Policies = ReturnType<typeof listPolicies>;

const drift: {
  request: Same<Request, RequestDocument>;
  requestStatus: Same<RequestStatus, JitRequest['status']>;
  requirements: Same<z.output<typeof Requirements>, DomainRequirements>;
  authorize: Same<AuthorizeResult, DomainAuthorizeResult>;
  policy: Same<Policy, Policies['policies'][number]>;
  policyList: Same<PolicyList, Policies>;
  audit: Same<AuditEvent, ChainedEvent>;
  verify: Same<VerifyReport, DomainVerifyReport>;
} = { request: true, requestStatus: true, requirements: true, authorize: true, policy: true, policyList: true, audit: true, verify: true };
void drift;
