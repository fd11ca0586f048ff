/**
 * An execution that ended abnormally (FAILED, TIMED_OUT, ABORTED: a bug, a missing
 * permission, a service error after the retries) must not leave its request waiting
 * forever. Step Functions reports every status change to EventBridge; a rule sends the
 * abnormal ones for this state machine here (infra/workflow.ts), and local mode delivers
 * the same event when a local execution ends that way. The request is closed as
 * `failed`, audited with the cause, its grant slot freed and the requester told.
 *
 * EventBridge delivers at least once, and a status change can arrive after the request
 * already ended normally (a revoked grant's execution stopped): only a live request is
 * changed, so a repeated or late event changes nothing and tells nobody twice.
 * https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 */
import { auditEvent } from '../domain/audit';
import { NotFound } from '../domain/errors';
import { readStatusChange } from '../domain/execution-events';
import { TRANSITIONS, withState, type JitRequest } from '../domain/request';
import type { Deps } from '../runtime';
import { load, withRetry } from './common';
import { tellRequester } from './outcomes';

export type ExecutionEnded = { outcome: 'failed'; requestId: string } | { outcome: 'ignored'; reason: string };

export async function closeFailedExecution(deps: Deps, event: unknown): Promise<ExecutionEnded> {
  const read = readStatusChange(event);
  if ('ignored' in read) return { outcome: 'ignored', reason: read.ignored };
  const { requestId, executionArn, failure } = read;
  let closed: JitRequest | string;
  try {
    closed = await withRetry(async () => {
      const stored = await load(deps, requestId);
      const r = stored.request;
      const from: readonly string[] = TRANSITIONS.fail;
      if (!from.includes(r.status)) return `request is already ${r.status}`;
      const now = deps.now();
      const next = withState(r, { status: 'failed', endedAt: now.toISOString(), failure });
      const audit = auditEvent(requestId, 'failed', 'jitgate', now, {
        action: r.action,
        resource: r.resource,
        reason: `the workflow ended ${failure.executionStatus}${failure.error ? ` (${failure.error})` : ''}`,
        details: { executionArn, previousStatus: r.status, ...failure },
      });
      // Tokens dropped: the execution that could take an answer is gone.
      await deps.store.saveRequest(stored, next, [audit], {});
      return next;
    });
  } catch (err) {
    // An execution that is not a request's (started by hand): nothing to close, nothing to retry.
    if (err instanceof NotFound) return { outcome: 'ignored', reason: `no request ${requestId.slice(0, 64)}` };
    throw err;
  }
  if (typeof closed === 'string') return { outcome: 'ignored', reason: closed };
  deps.metrics.count('RequestsFailed');
  // The requester learns that it failed and may ask again, not the internals of why.
  await tellRequester(deps, closed, 'failed', { executionStatus: failure.executionStatus });
  return { outcome: 'failed', requestId };
}
