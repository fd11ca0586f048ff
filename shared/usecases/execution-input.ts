/**
 * What a request's execution starts with (infra/workflow.ts reads these fields): built
 * here only, for a new request (createRequest) and for one whose execution local mode
 * resumes after a restart (local/resume.ts), so the two can never disagree.
 */
import { firstNudgeSeconds } from '../domain/approvals';
import type { JitRequest } from '../domain/request';
import type { ExecutionInput } from './ports';

/**
 * The input for an execution that starts now. Timeouts run to the request's deadlines
 * (the whole windows for a new request); with reminders or an escalation, the first
 * approval segment ends at the first nudge.
 */
export function executionInput(request: JitRequest, linkBase: string, now: Date): ExecutionInput {
  const secondsUntil = (iso: string) => Math.max(1, Math.ceil((Date.parse(iso) - now.getTime()) / 1000));
  const windows = request.requirements;
  const approval = !request.autoApproved;
  const first = approval ? firstNudgeSeconds(request.requirements) : undefined;
  return {
    requestId: request.id,
    mfa: request.mfa.required,
    approval,
    mfaTimeoutSeconds: request.status === 'pending_mfa' ? secondsUntil(request.mfaDeadline) : windows.mfaWindowSeconds,
    approvalTimeoutSeconds:
      request.status === 'pending_approval' ? secondsUntil(request.approvalDeadline) : Math.max(1, windows.approvalWindowSeconds),
    linkBase,
    requester: request.requester.id,
    ...(request.extends ? { extends: request.extends } : {}),
    ...(request.grantTimes ? { grant: request.grantTimes } : {}),
    ...(first !== undefined ? { reminder: { afterSeconds: first } } : {}),
  };
}
