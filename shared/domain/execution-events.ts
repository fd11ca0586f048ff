/**
 * The EventBridge event Step Functions sends when an execution changes status, as AWS
 * delivers it and as local mode reproduces it; only the fields jitgate reads.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 */
import type { ExecutionFailure } from './request';

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';
export const ABNORMAL_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** The part of the EventBridge event this step reads. */
export interface ExecutionStatusChange {
  source: 'aws.states';
  'detail-type': typeof EXECUTION_STATUS_CHANGE;
  detail: {
    executionArn: string;
    stateMachineArn: string;
    /** The execution name: the request id (docs/ARCHITECTURE.md, "The state machine"). */
    name: string;
    status: string;
    error?: string | null;
    cause?: string | null;
  };
}

/** Causes can be a whole Lambda error with its trace (up to 32 KB); the audit keeps the start. */
const MAX_CAUSE = 2000;

/** Reads the event, or says why it is not one this step acts on. Pure. */
export function readStatusChange(
  event: unknown,
): { requestId: string; executionArn: string; failure: ExecutionFailure } | { ignored: string } {
  const e = event as Partial<ExecutionStatusChange> | null;
  if (
    !e ||
    typeof e !== 'object' ||
    e.source !== 'aws.states' ||
    e['detail-type'] !== EXECUTION_STATUS_CHANGE ||
    !e.detail ||
    typeof e.detail !== 'object'
  ) {
    return { ignored: 'not a Step Functions execution status change' };
  }
  const { name, status, executionArn, error, cause } = e.detail;
  if (!ABNORMAL_STATUSES.includes(status as (typeof ABNORMAL_STATUSES)[number]))
    return { ignored: `status ${String(status)} needs nothing` };
  if (typeof name !== 'string' || name.length === 0) return { ignored: 'the event names no execution' };
  const failure: ExecutionFailure = { executionStatus: status as ExecutionFailure['executionStatus'] };
  if (typeof error === 'string' && error) failure.error = error.slice(0, 256);
  if (typeof cause === 'string' && cause) failure.cause = cause.length > MAX_CAUSE ? `${cause.slice(0, MAX_CAUSE)}…` : cause;
  return { requestId: name, executionArn: typeof executionArn === 'string' ? executionArn : '', failure };
}
