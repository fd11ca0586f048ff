/**
 * What the API shows of a request: the request itself, plus what it still waits
 * for, so nobody has to guess (per approver group the count required, approvals so
 * far and who may still approve; the MFA step; deadlines; once active, `expiresAt`).
 */
import { quorum } from './approvals';
import type { JitRequest } from './request';
import { MAX_MFA_FAILURES } from './totp';

export interface RequestView extends Record<string, unknown> {
  id: string;
  status: string;
  waitingFor: {
    mfa?: { method: string; attemptsLeft: number; deadline?: string };
    approvals?: { group: string; required: number; approvedBy: string[]; remaining: number; mayStillApprove: { id: string; name?: string; email?: string }[] }[];
    approvalDeadline?: string;
    activation?: true;
  } | null;
}

export function requestView(request: JitRequest): RequestView {
  // The notice is the state machine's to publish, not part of the document.
  const { version: _version, activationNotice: _notice, ...fields } = request;
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
