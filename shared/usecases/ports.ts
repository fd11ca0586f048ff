/**
 * What the use cases need from the world outside the domain, in their own words: the
 * store, the workflow, the notifier, the clock and ids. The AWS adapters
 * (shared/adapters/) implement these; so do the in-memory ones the use-case tests run
 * against (test/support/memory/). Nothing here names a table key, an SDK type or an
 * AWS error: those stay in the adapters, which translate them into these terms.
 */
import type { AuditEvent } from '../domain/audit';
import type { ChainHead, ChainToCheck } from '../domain/audit-chain';
import type { PageKey } from '../domain/cursor';
import type { GrantSlot, GrantTimes } from '../domain/grant';
import type { JitRequest } from '../domain/request';

// ---------------------------------------------------------------------------
// Store

export interface TaskTokens {
  mfaTaskToken?: string;
  approvalTaskToken?: string;
}

export interface StoredRequest {
  request: JitRequest;
  tokens: TaskTokens;
  /** The head of the request's audit chain as read (shared/domain/audit-chain.ts); absent on a request not yet stored. */
  chain?: ChainHead;
}

export type CreateOutcome = { created: true } | { created: false; existingRequestId: string; reason: 'slot' | 'idempotency' };

export interface CreateOptions {
  idempotencyKey?: string;
  /** Takes over a grant slot whose request has ended but was not released. */
  replaceSlotOf?: string;
  /** Epoch seconds after which the idempotency key may be forgotten. */
  idempotencyTtl: number;
}

/**
 * Requests, their grant slots and their audit chains. Every write is conditional: a
 * request is written only if its version is still the one read, else ConcurrentModification
 * (shared/domain/errors.ts), so of two racing writers one wins and the other decides again.
 */
/** One request's next version, as `saveRequest` takes it. */
export interface RequestChange {
  before: StoredRequest;
  after: JitRequest;
  audit: AuditEvent[];
  tokens?: TaskTokens;
}

export interface RequestStore {
  getRequest(id: string): Promise<StoredRequest | undefined>;
  getGrantSlot(principal: string, action: string, resource: string): Promise<GrantSlot | undefined>;
  /** Creates a request, claims its grant slot and records its audit events at once; when the slot or the key is taken, says by whom. */
  createRequest(request: JitRequest, audit: AuditEvent[], opts: CreateOptions): Promise<CreateOutcome>;
  idempotentRequestId(principal: string, key: string): Promise<string | undefined>;
  /** Frees a key that names `requestId` (a request that never started), so the caller's retry creates anew. */
  releaseIdempotencyKey(principal: string, key: string, requestId: string): Promise<void>;
  /** The next version of a request, with its events, if nobody wrote since `before`; frees the grant slot when it ends. */
  saveRequest(before: StoredRequest, after: JitRequest, audit: AuditEvent[], tokens?: TaskTokens): Promise<void>;
  /** Several such writes at once, or none (ConcurrentModification when any request moved since it was read). */
  saveRequests(changes: RequestChange[]): Promise<void>;
  /** Events that change no request: onto the chain of the request they name, or the journal when there is none. */
  recordAudit(events: AuditEvent[]): Promise<void>;
}

export interface Enrolment {
  secret: string;
  confirmed: boolean;
  lastUsedStep?: number;
  createdAt: string;
}

/** A user's wrong-code record: each failure (or answer being checked) as `<epoch ms>#<nonce>`, and the lock. */
export interface MfaGuard {
  attempts: string[];
  lockedUntil?: number;
}

/**
 * What is kept per user: the TOTP enrolment and the limits (shared/usecases/limits.ts).
 * Each check-and-change is one conditional write, so parallel calls cannot overshoot;
 * `false` means the condition did not hold.
 */
export interface UserRecords {
  getEnrolment(principal: string): Promise<Enrolment | undefined>;
  /** A new, unconfirmed enrolment; false when a confirmed one exists. */
  putEnrolment(principal: string, enrolment: Enrolment): Promise<boolean>;
  /** Replaces a confirmed enrolment; false when the secret changed meanwhile. */
  replaceEnrolment(principal: string, enrolment: Enrolment, previousSecret: string): Promise<boolean>;
  /** Marks a TOTP step used (and the enrolment confirmed); false unless it is newer than the last one used. */
  useTotpStep(principal: string, step: number): Promise<boolean>;
  /** One call in the window starting at `windowStart`; false when `count` were already made in it. */
  takeRate(principal: string, kind: string, windowStart: number, count: number, ttl: number): Promise<boolean>;
  /** One of `limit` pending places; false when all are taken. */
  reservePending(principal: string, reservation: string, limit: number, ttl: number): Promise<boolean>;
  pendingReservations(principal: string): Promise<string[]>;
  releasePending(principal: string, reservations: string[]): Promise<void>;
  getMfaGuard(principal: string): Promise<MfaGuard>;
  /** Counts an answer as wrong before it is checked; false while locked or when `max` are already counted. */
  holdMfaAttempt(principal: string, attempt: string, max: number, nowSeconds: number, ttl: number): Promise<boolean>;
  forgetMfaAttempts(principal: string, attempts: string[]): Promise<void>;
  /** Locks MFA until `until` once `max` attempts are counted; true for the one call that locked it. */
  lockMfa(principal: string, max: number, until: number, nowSeconds: number, ttl: number): Promise<boolean>;
}

export interface AuditFilter {
  requestId?: string;
  actor?: string;
  since?: string;
  until?: string;
  limit: number;
  cursor?: Record<string, unknown>;
}

export interface AuditPage {
  events: AuditEvent[];
  cursor?: Record<string, unknown>;
}

export interface RequesterPage {
  requests: JitRequest[];
  next?: PageKey;
}

/** Each request with its own page key, so a page can end after any of them. */
export interface PendingPage {
  entries: { request: JitRequest; key: PageKey }[];
  next?: PageKey;
}

/** Reads across requests: pages of requests, the audit trail, and every chain to verify. */
export interface StoreQueries {
  /** The requester's own requests, newest first. */
  pageByRequester(principal: string, opts: { limit: number; status?: string; cursor?: PageKey }): Promise<RequesterPage>;
  /** Everyone's requests waiting for approval, newest first. */
  pagePendingApproval(opts: { limit: number; cursor?: PageKey }): Promise<PendingPage>;
  listAudit(filter: AuditFilter): Promise<AuditPage>;
  /** Every request's chain (those created since `since`) and the journal, as stored. */
  readChains(since?: string): Promise<ChainToCheck[]>;
}

export interface Store extends RequestStore, UserRecords, StoreQueries {}

// ---------------------------------------------------------------------------
// Workflow

/** One execution per request: its input, and the state each step hands to the next. */
export interface ExecutionInput {
  requestId: string;
  /**
   * MfaChallenge's timeout: until the MFA window closes; for a request without MFA (the step
   * answers itself at once), a bound on that answer (`SELF_ANSWER_SECONDS`).
   */
  mfaTimeoutSeconds: number;
  /**
   * Until the approval window closes (nothing to approve: a bound on AwaitApproval's own answer).
   * AwaitApprovalWithoutNudges waits this long when a Remind step fails.
   */
  approvalTimeoutSeconds: number;
  /**
   * How long AwaitApproval waits now: until the next nudge (`reminder.afterSeconds`) while one
   * is still to send, else `approvalTimeoutSeconds`. Its own field because AwaitApproval is one
   * state for both, and a state has one timeout path.
   */
  approvalWaitSeconds: number;
  linkBase: string;
  /**
   * The grant's times; after Activate (or when local mode resumes an active grant), also whose grant
   * it is (`requestId`: for an extension, the grant it extends), which NotifyExpiring and Expire name.
   */
  grant?: GrantTimes & { requestId?: string };
  /** An extension: the id of the grant it extends; Activate applies it instead of activating. */
  extends?: string;
  /** The requester's principal id, for the `requester` attribute of the events the state machine publishes (grant.expiring). */
  requester?: string;
  /**
   * Present while the policy still has a reminder or escalation to send (`approvals.remindAfter`,
   * `approvals.escalate`): AwaitApproval's wait ends after this many seconds, at the next one, and
   * its timeout runs Remind, which replaces it, or removes it and waits for what is left of the
   * window (infra/workflow.ts).
   */
  reminder?: { afterSeconds: number };
}

export interface Workflow {
  /** Starts the request's execution; starting it again with the same input changes nothing. */
  start(input: ExecutionInput): Promise<void>;
  /** Completes a waiting step. False when the step is gone (timed out, or already completed by a racing caller). */
  succeed(taskToken: string, output: object): Promise<boolean>;
  /** Ends a waiting step quietly (denied, cancelled, locked out); false when it is gone. */
  fail(taskToken: string, cause: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------
// Notifier

export type LifecycleEvent =
  | 'request.created'
  | 'request.denied'
  | 'request.cancelled'
  | 'request.timed_out'
  | 'request.failed'
  | 'grant.activated'
  | 'grant.extended'
  | 'grant.expiring'
  | 'grant.ended'
  | 'grant.break_glass'
  | 'break_glass.flagged'
  | 'mfa.locked';

export interface Notifier {
  /** A message that reaches this approver only. */
  notifyApprover(approverId: string, subject: string, text: string, html?: string): Promise<void>;
  /** A lifecycle event, which subscribers filter by type and requester. */
  publishEvent(type: LifecycleEvent, requester: string, body: Record<string, unknown>): Promise<void>;
}

// ---------------------------------------------------------------------------
// Clock and ids: passed in, so a use case's time and names are whatever its caller says.

export interface Clock {
  now(): Date;
}

export interface Ids {
  newId(): string;
}

// ---------------------------------------------------------------------------
// Metrics: what operators count and time (namespace `jitgate`; EMF on AWS, `GET /dev/metrics` locally).

export type CountMetric =
  | 'RequestsCreated'
  | 'RequestsApproved'
  | 'RequestsDenied'
  | 'RequestsTimedOut'
  | 'RequestsFailed'
  | 'AuthorizeAllowed'
  | 'AuthorizeDenied'
  | 'MfaFailures'
  | 'MfaLockouts'
  | 'BreakGlassUses';

export type DurationMetric = 'TimeToDecision' | 'AuthorizeLatency';

export interface Metrics {
  /** One occurrence of a fact (or `value` of them). */
  count(name: CountMetric, value?: number): void;
  /** A duration, in milliseconds. */
  duration(name: DurationMetric, ms: number): void;
}
