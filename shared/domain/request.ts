/**
 * A request for a sensitive action and its life:
 *
 *   pending_mfa → pending_approval → active → expired | revoked | consumed
 *   or denied, cancelled, timed_out
 *   an extension (`extends`: the id of an active window grant) ends `applied` instead of
 *   becoming active: the grant it extends runs on to the new `expiresAt`
 *   or failed: its execution ended abnormally (FAILED, TIMED_OUT, ABORTED), from any live status
 *
 * The status is a discriminated union: each status carries exactly the fields it
 * implies (`active` has `expiresAt`, `denied` has `decidedBy`). Every change goes
 * through `transition`: the one table of legal moves (`TRANSITIONS`).
 */
import { AlreadyDecided } from './errors';
import type { GrantTimes } from './grant';
import type { Requirements } from './policy';
import type { PersonRef } from './identity';

export type { PersonRef } from './identity';

export interface Approval {
  approver: PersonRef;
  decision: 'approve' | 'deny';
  /** The approver groups this person belonged to when deciding (from their token, or the link). */
  groups: string[];
  reason?: string;
  at: string;
  via: 'api' | 'link' | 'sso';
}

export interface NotifiedApprover extends PersonRef {
  groups: string[];
}

/** A notify-group member's look, after the fact, at a break-glass grant: fine, or flagged for the security team. */
export interface BreakGlassReview {
  reviewer: PersonRef;
  outcome: 'confirmed' | 'flagged';
  reason?: string;
  at: string;
}

export interface RequestBase {
  id: string;
  action: string;
  resource: string;
  justification?: string;
  /** The ticket reference the requester gave (policies with `ticket`), shown to approvers. */
  ticket?: string;
  /** An emergency self-grant without approval (the policy's `breakGlass`); announced and audited as such. */
  breakGlass?: boolean;
  requester: PersonRef;
  /** Which policy decided, for the audit trail and `explain`. */
  policy: { action: string; resource?: string };
  requirements: Requirements;
  /** Seconds the grant lasts once active (window grants), or its use-by window (once grants). */
  durationSeconds: number;
  createdAt: string;
  /** Optimistic concurrency: every write is conditional on the version it read. */
  version: number;
  mfa: { required: boolean; passedAt?: string; failures: number };
  approvals: Approval[];
  notified: NotifiedApprover[];
  /**
   * Approvers (ids) whose message could not be sent: AwaitApproval records them, fails with
   * DependencyUnavailable, and its Retry sends to them again (and only them).
   */
  unreached?: string[];
  autoApproved: boolean;
  /** When the undecided approvers were reminded (policies with `approvals.remindAfter`); set once, before sending. */
  remindedAt?: string;
  /** When the escalation group was told (policies with `approvals.escalate`); set once, before sending. */
  escalatedAt?: string;
  /**
   * The grant's times, fixed by whoever completes the last requirement, in the same
   * version-checked write. The state machine's Activate step reads them from here, never
   * from a task's output: whoever can call SendTaskSuccess cannot choose `expiresAt`.
   */
  grantTimes?: GrantTimes;
  /** When a window grant was first used (`authorize`); recorded once, with a `grant_used` audit event. */
  firstUsedAt?: string;
  /** Break-glass only: the post-hoc reviews by members of the policy's notify group, one each. */
  reviews?: BreakGlassReview[];
  /**
   * An extension: the id of the requester's active window grant (same action and resource) it
   * asks more time for. It holds no grant slot; once its requirements are met, the state machine's
   * Activate step applies it: the original's `expiresAt` moves, and this request ends `applied`.
   */
  extends?: string;
}

export type RequestState =
  | { status: 'pending_mfa'; mfaDeadline: string }
  | { status: 'pending_approval'; approvalDeadline: string }
  | { status: 'active'; activatedAt: string; expiresAt: string }
  | { status: 'consumed'; activatedAt: string; expiresAt: string; consumedAt: string }
  | { status: 'expired'; activatedAt: string; expiresAt: string; endedAt: string }
  | { status: 'revoked'; activatedAt: string; expiresAt: string; endedAt: string; revokedBy: PersonRef; reason?: string }
  | { status: 'denied'; decidedAt: string; decidedBy: PersonRef | 'jitgate'; reason?: string }
  | { status: 'cancelled'; cancelledAt: string }
  | { status: 'timed_out'; endedAt: string }
  /** An extension whose grant now ends at `expiresAt` (the end it moved the original's to). */
  | { status: 'applied'; appliedAt: string; expiresAt: string }
  /** The workflow behind it stopped (a bug, an IAM gap, a service error after retries): closed so nothing waits forever. */
  | { status: 'failed'; endedAt: string; failure: ExecutionFailure };

/** How the execution ended, as Step Functions reports it (EventBridge "Step Functions Execution Status Change"). */
export interface ExecutionFailure {
  executionStatus: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  error?: string;
  cause?: string;
}

export type JitRequest = RequestBase & RequestState;
export type RequestStatus = RequestState['status'];

export const PENDING: readonly RequestStatus[] = ['pending_mfa', 'pending_approval'];
export const TERMINAL: readonly RequestStatus[] = [
  'consumed',
  'expired',
  'revoked',
  'denied',
  'cancelled',
  'timed_out',
  'failed',
  'applied',
];

/** The legal moves: name → the statuses it may start from. */
export const TRANSITIONS = {
  passMfa: ['pending_mfa'],
  failMfa: ['pending_mfa'],
  awaitApproval: ['pending_mfa', 'pending_approval'],
  recordApproval: ['pending_approval'],
  deny: ['pending_approval', 'pending_mfa'],
  activate: ['pending_mfa', 'pending_approval'],
  cancel: ['pending_mfa', 'pending_approval'],
  timeOut: ['pending_mfa', 'pending_approval'],
  consume: ['active'],
  revoke: ['active'],
  expire: ['active'],
  applyExtension: ['pending_mfa', 'pending_approval'],
  extend: ['active'],
  // An active grant too: no Expire will run for it, so it ends now rather than by its clock alone.
  fail: ['pending_mfa', 'pending_approval', 'active'],
} as const satisfies Record<string, readonly RequestStatus[]>;

export type TransitionName = keyof typeof TRANSITIONS;

/** Whether `name` may start from the request's status. */
export function mayStart(request: JitRequest, name: TransitionName): boolean {
  const from: readonly RequestStatus[] = TRANSITIONS[name];
  return from.includes(request.status);
}

/** Throws `AlreadyDecided` (409) unless `name` may start from the request's status. */
export function assertTransition(request: JitRequest, name: TransitionName): void {
  if (!mayStart(request, name)) {
    throw new AlreadyDecided(`request ${request.id} is ${request.status}; it can no longer be changed this way`, request.status);
  }
}

export function isPending(
  request: JitRequest,
): request is RequestBase & Extract<RequestState, { status: 'pending_mfa' | 'pending_approval' }> {
  return request.status === 'pending_mfa' || request.status === 'pending_approval';
}

export function isTerminal(request: JitRequest): boolean {
  return TERMINAL.includes(request.status);
}

/**
 * Builds the next version of a request with a new state, keeping the common fields.
 * The version is set last: a state taken from a whole request (a re-parked token) carries
 * its old version, and a write at the old version would let a stale writer overwrite it.
 */
export function withState(request: JitRequest, state: RequestState, changes: Partial<RequestBase> = {}): JitRequest {
  const base = baseOf(request);
  return { ...base, ...changes, ...state, version: request.version + 1 } as JitRequest;
}

const STATE_FIELDS = [
  'status',
  'mfaDeadline',
  'approvalDeadline',
  'activatedAt',
  'expiresAt',
  'consumedAt',
  'endedAt',
  'revokedBy',
  'reason',
  'decidedAt',
  'decidedBy',
  'cancelledAt',
  'failure',
  'appliedAt',
] as const;

export function baseOf(request: JitRequest): RequestBase {
  const copy: Record<string, unknown> = { ...request };
  for (const f of STATE_FIELDS) delete copy[f];
  return copy as unknown as RequestBase;
}

export function personRef(p: PersonRef): PersonRef {
  const ref: PersonRef = { id: p.id, issuer: p.issuer, sub: p.sub };
  if (p.name) ref.name = p.name;
  if (p.email) ref.email = p.email;
  return ref;
}
