/**
 * EventBridge rule on this state machine's executions ending FAILED, TIMED_OUT or
 * ABORTED (infra/workflow.ts): closes the request as `failed`, audits, tells the requester.
 */
import { logger } from '../../shared/web/http';
import { runtime } from '../../shared/runtime';
import { closeFailedExecution, type ExecutionEnded } from '../../shared/usecases/execution-ended';
import { instrumented } from '../../shared/observability';

async function handle(event: unknown): Promise<ExecutionEnded> {
  const result = await closeFailedExecution(runtime(), event);
  // A failed execution is worth a line in the log even when its request had already ended.
  const detail = (event as { detail?: { executionArn?: unknown; status?: unknown; error?: unknown } } | null)?.detail;
  logger.warn('execution ended abnormally', { result, executionArn: detail?.executionArn, status: detail?.status, error: detail?.error });
  return result;
}

/** The execution is named after its request. */
export const handler = instrumented(handle, (event) => (event as { detail?: { name?: unknown } } | null)?.detail?.name);
