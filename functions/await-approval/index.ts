/**
 * State machine steps around approval:
 * - AwaitApproval / AwaitApprovalWithoutNudges (.waitForTaskToken): park the token and,
 *   the first time, notify each approver (nothing to approve: answer the task at once);
 * - Remind (plain invoke): send the reminder / escalation that is due and return the
 *   execution state for the next approval segment.
 * One function for both: the same table, topic and link key, and one cold start fewer.
 */
import type { ExecutionInput } from '../../shared/usecases/ports';
import { runtime } from '../../shared/runtime';
import { awaitApproval, remindApprovers } from '../../shared/usecases/workflow-steps';
import { instrumented } from '../../shared/observability';

export type AwaitApprovalEvent = { requestId: string; taskToken: string; linkBase: string };
export type RemindEvent = { step: 'remind'; state: ExecutionInput };

async function handle(event: AwaitApprovalEvent | RemindEvent): Promise<ExecutionInput | undefined> {
  if ('step' in event && event.step === 'remind') return remindApprovers(runtime(), event.state);
  const { requestId, taskToken, linkBase } = event as AwaitApprovalEvent;
  await awaitApproval(runtime(), requestId, taskToken, linkBase);
}

export const handler = instrumented(handle, (event) => ('step' in event ? event.state?.requestId : event.requestId));
