/**
 * What the API shows of a request: the request itself, plus what it still waits
 * for, so nobody has to guess (per approver group the count required, approvals so
 * far and who may still approve; the MFA step; deadlines; once active, `expiresAt`).
 */
import { quorum } from './approvals';
import { baseOf, type JitRequest, type RequestState, type RequestStatus } from './request';
import { MAX_MFA_FAILURES } from './totp';

export interface RequestView extends Record<string, unknown> {
  id: string;
  status: string;
  waitingFor: {
    mfa?: { method: string; attemptsLeft: number; deadline?: string };
    approvals?: {
      group: string;
      required: number;
      approvedBy: string[];
      remaining: number;
      mayStillApprove: { id: string; name?: string; email?: string }[];
    }[];
    approvalDeadline?: string;
    activation?: true;
  } | null;
}

/** The fields each status carries (request.ts `RequestState`), so a view shows those of its status only. */
const STATE_FIELDS: { [S in RequestStatus]: readonly Exclude<keyof Extract<RequestState, { status: S }>, 'status'>[] } = {
  pending_mfa: ['mfaDeadline'],
  pending_approval: ['approvalDeadline'],
  active: ['activatedAt', 'expiresAt'],
  consumed: ['activatedAt', 'expiresAt', 'consumedAt'],
  expired: ['activatedAt', 'expiresAt', 'endedAt'],
  revoked: ['activatedAt', 'expiresAt', 'endedAt', 'revokedBy', 'reason'],
  denied: ['decidedAt', 'decidedBy', 'reason'],
  cancelled: ['cancelledAt'],
  timed_out: ['endedAt'],
  failed: ['endedAt', 'failure'],
  applied: ['appliedAt', 'expiresAt'],
};

/**
 * The request with the fields of its own status only. The state machine's Activate step
 * updates the item in place, so a stored active request still holds the `approvalDeadline`
 * (or `mfaDeadline`) of the status it left; the API shows the status's fields, as typed.
 */
function ownFields(request: JitRequest): Omit<JitRequest, 'version'> {
  const { version: _version, ...base } = baseOf(request);
  const state: Record<string, unknown> = { status: request.status };
  for (const f of STATE_FIELDS[request.status] as readonly string[]) {
    const value = (request as unknown as Record<string, unknown>)[f];
    if (value !== undefined) state[f] = value;
  }
  return { ...base, ...state } as Omit<JitRequest, 'version'>;
}

export function requestView(request: JitRequest): RequestView {
  const fields = ownFields(request);
  const q = quorum(request.requirements, request.approvals, request.notified);
  let waitingFor: RequestView['waitingFor'] = null;
  if (request.status === 'pending_mfa' || request.status === 'pending_approval') {
    waitingFor = {};
    if (request.mfa.required && !request.mfa.passedAt) {
      waitingFor.mfa = {
        method: typeof request.requirements.mfa === 'string' ? request.requirements.mfa : 'step_up',
        attemptsLeft: MAX_MFA_FAILURES - request.mfa.failures,
        ...(request.status === 'pending_mfa' ? { deadline: request.mfaDeadline } : {}),
      };
    }
    if (!q.satisfied) {
      waitingFor.approvals = q.groups;
      if (request.status === 'pending_approval') waitingFor.approvalDeadline = request.approvalDeadline;
    }
    if (!waitingFor.mfa && !waitingFor.approvals) waitingFor.activation = true;
  }
  return { ...fields, approvalsProgress: q.groups, waitingFor } as RequestView;
}
