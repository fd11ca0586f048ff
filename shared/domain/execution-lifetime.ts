/**
 * One request is one Step Functions Standard execution, and an execution lives at most
 * one year: whatever waits it holds (the MFA answer, the approval window, the grant
 * until its Expire step) must fit in it together, or the execution is ended by AWS
 * before Expire runs and the grant is never revoked by the workflow.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
import { MAX_EXECUTION_SECONDS } from './duration';

/** Room left for the steps around the waits (Activate, NotifyExpiring, Expire with their retries). */
export const STEP_ALLOWANCE_SECONDS = 3600;

/** The parts of a parsed policy that hold the execution. */
export interface PolicyDurations {
  mfa: unknown;
  mfaWindow: number;
  approvals?: { window: number };
  grant: { mode: 'once'; useWithin: number } | { mode: 'window'; maxDuration: number };
  breakGlass?: { maxDuration: number };
}

/** The issue (path below the policy, message) when a policy's longest request would outlive its execution. */
export function lifetimeIssue(p: PolicyDurations): { path: string[]; message: string } | undefined {
  const grantKey = p.grant.mode === 'window' ? 'maxDuration' : 'useWithin';
  const grantSeconds = Math.max(p.grant.mode === 'window' ? p.grant.maxDuration : p.grant.useWithin, p.breakGlass?.maxDuration ?? 0);
  const parts: [string, number][] = [
    ...(p.mfa === 'totp' ? [['mfaWindow', p.mfaWindow] as [string, number]] : []),
    ...(p.approvals ? [['approvals.window', p.approvals.window] as [string, number]] : []),
    [`grant.${grantKey}`, grantSeconds],
    ['its own steps', STEP_ALLOWANCE_SECONDS],
  ];
  const total = parts.reduce((sum, [, s]) => sum + s, 0);
  if (total <= MAX_EXECUTION_SECONDS) return undefined;
  const sum = parts.map(([name, s]) => `${name} ${s} s`).join(' + ');
  return {
    path: ['grant', grantKey],
    message:
      `a request's workflow would outlive its Step Functions Standard execution (at most one year, ${MAX_EXECUTION_SECONDS} s): ` +
      `${sum} = ${total} s; shorten them by at least ${total - MAX_EXECUTION_SECONDS} s in all`,
  };
}
