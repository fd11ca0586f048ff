/**
 * The local interpreter keeps executions in memory. After a restart, each request
 * that was still waiting gets its execution back: the same definition, started at
 * the state that matches the request's status. The workflow steps are idempotent
 * (a parked token is replaced, approvers are not notified twice), so resuming is safe.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ExecutionInput } from '../shared/usecases/ports';
import type { JitRequest } from '../shared/domain/request';
import { executionInput } from '../shared/usecases/execution-input';
import { STATE } from '../infra/states';
import type { LocalStepFunctions } from './stepfunctions';

export async function resumeExecutions(opts: {
  client: DynamoDBClient;
  table: string;
  sfn: LocalStepFunctions;
  linkBase: string;
  now?: Date;
  /**
   * Leaves alone the requests whose execution still runs (a restart of DynamoDB Local, not of local mode);
   * one that ended while DynamoDB Local was away (a step's retries ran out) is started again.
   */
  isRunning?: (requestId: string) => Promise<boolean>;
}): Promise<number> {
  const doc = DynamoDBDocumentClient.from(opts.client);
  const now = opts.now ?? new Date();
  let resumed = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: opts.table,
        FilterExpression: 'sk = :sk AND #status IN (:a, :b, :c)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sk': 'REQUEST', ':a': 'pending_mfa', ':b': 'pending_approval', ':c': 'active' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      if (await opts.isRunning?.(String(item.id))) continue;
      const plan = resumePlan(item as unknown as JitRequest, opts.linkBase, now);
      const input = JSON.stringify(plan.input);
      await opts.sfn.startExecution({ name: plan.input.requestId, input, startAt: plan.startAt, replaceEnded: true });
      resumed++;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return resumed;
}

/** Which state a request's execution was in, and the input that state expects. */
export function resumePlan(request: JitRequest, linkBase: string, now: Date): { startAt: string; input: ExecutionInput } {
  const input = executionInput(request, linkBase, now);
  switch (request.status) {
    case 'active':
      // The expiring notice, if due, went out before the restart or is moot now; wait for the end.
      return {
        startAt: STATE.waitUntilExpiry,
        input: {
          ...input,
          grant: { requestId: request.id, activatedAt: request.activatedAt, expiresAt: request.expiresAt, expiringAt: request.expiresAt },
        },
      };
    case 'pending_mfa':
      return { startAt: STATE.mfaChallenge, input };
    case 'pending_approval':
      // An auto-approved request waits only for activation (an extension: to be applied), with the times fixed at creation.
      if (request.autoApproved && !request.mfa.required) return { startAt: STATE.activate, input };
      // The input's wait ends at the next nudge still to send (one overdue during the restart goes out at once).
      return { startAt: STATE.awaitApproval, input };
    default:
      throw new Error(`request ${request.id} is ${request.status}; nothing to resume`);
  }
}
