/**
 * What a request's execution starts with (infra/workflow.ts reads these fields): built
 * here only, for a new request (createRequest) and for one whose execution local mode
 * resumes after a restart (local/resume.ts), so the two can never disagree.
 */
import { firstNudgeSeconds, nudgePlan } from '../domain/approvals';
import type { JitRequest } from '../domain/request';
import type { ExecutionInput } from './ports';

/**
 * The timeout of a step that has nothing to wait for and answers its own task at once
 * (MfaChallenge without MFA, AwaitApproval with nothing to approve): a bound on that answer,
 * far past a cold start, the function's 10 s and the step's retries. Its expiry would end
 * the request as timed out, never grant it.
 */
export const SELF_ANSWER_SECONDS = 300;

/**
 * The input for an execution that starts now. Timeouts run to the request's deadlines
 * (the whole windows for a new request); with a reminder or an escalation still to send,
 * AwaitApproval's wait ends at the next one.
 */
export function executionInput(request: JitRequest, linkBase: string, now: Date): ExecutionInput {
  const secondsUntil = (iso: string) => Math.max(1, Math.ceil((Date.parse(iso) - now.getTime()) / 1000));
  const windows = request.requirements;
  // MFA passed but the step not yet moved on (a resumed execution): MfaChallenge answers itself too.
  const mfaTimeoutSeconds =
    !request.mfa.required || request.mfa.passedAt
      ? SELF_ANSWER_SECONDS
      : request.status === 'pending_mfa'
        ? secondsUntil(request.mfaDeadline)
        : windows.mfaWindowSeconds;
  const approvalTimeoutSeconds = request.autoApproved
    ? SELF_ANSWER_SECONDS
    : request.status === 'pending_approval'
      ? secondsUntil(request.approvalDeadline)
      : Math.max(1, windows.approvalWindowSeconds);
  const nudge = request.autoApproved ? undefined : nextNudgeSeconds(request, now);
  return {
    requestId: request.id,
    mfaTimeoutSeconds,
    approvalTimeoutSeconds,
    approvalWaitSeconds: nudge ?? approvalTimeoutSeconds,
    linkBase,
    requester: request.requester.id,
    ...(request.extends ? { extends: request.extends } : {}),
    ...(request.grantTimes ? { grant: request.grantTimes } : {}),
    ...(nudge !== undefined ? { reminder: { afterSeconds: nudge } } : {}),
  };
}

/**
 * Seconds until the next reminder or escalation: counted from when approval is first asked
 * for (after the MFA answer) while MFA is pending; on the request's own clock once it waits
 * for approvals (one overdue, after a restart, goes out at once).
 */
function nextNudgeSeconds(request: JitRequest, now: Date): number | undefined {
  switch (request.status) {
    case 'pending_mfa':
      return firstNudgeSeconds(request.requirements);
    case 'pending_approval': {
      const plan = nudgePlan(request, now);
      return plan.due.length ? 1 : plan.next?.inSeconds;
    }
    default:
      return undefined;
  }
}
