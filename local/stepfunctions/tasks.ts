/**
 * One Task state invocation, as the interpreter's local handler for it: the parameters it gets (unwrapped
 * from the definition rewrites), its task token when it is a `.waitForTaskToken` task, its timeout, and the
 * task events of its history. aws-local-stepfunctions 3.0.0 has no task tokens: they are made here.
 */
import { randomBytes } from 'node:crypto';
import { hashMarked, PARAMS_KEY, TIMEOUT_KEY, type TaskBinding } from './definition';
import { ExecutionClosedError, taskError } from './errors';
import { deferred, type Execution, type Invocation, type TokenRecord } from './execution';
import { taskEvent } from './history';
import type { TaskIntegrations } from './integrations';
import { cloneJson, containsString, deepReplace, isObject, stringify, type Json } from './json';

/**
 * A task token the size and alphabet of AWS's: tokens observed from Standard executions are 668
 * characters of standard base64 (with `+`, `/` and `=`) beginning `AQCEAAAAKgAAAAMAAAAAAAAAA`; the API
 * accepts up to 2,048. The size matters here: a parked token is stored on the request item, and
 * DynamoDB bills each write by the item's size (bench/cost.ts counts it from what local mode writes).
 */
function awsShapedTaskToken(): string {
  return `AQCEAAAAKgAAAAMAAAAAAAAAA${randomBytes(482).toString('base64')}`.slice(0, 668);
}

/** aws-local-stepfunctions' timeout for a Task state without TimeoutSeconds(Path). */
const LIBRARY_DEFAULT_TASK_TIMEOUT_SECONDS = 60;
const LOCAL_REGION = 'local';

/** What a task needs of the interpreter that runs it. */
export interface TaskContext {
  /** Every live task token of the interpreter, to which a callback task adds its own. */
  tokens: Map<string, TokenRecord>;
  integrations: TaskIntegrations;
  log(message: string): void;
}

/**
 * The local handler of one Task state invocation. Runs synchronously up to the first await, before the
 * interpreter reads the task's timeout from the same `input` object.
 */
export function runTask(exec: Execution, binding: TaskBinding, input: unknown, context: TaskContext): Promise<unknown> {
  if (exec.closed) return Promise.reject(new ExecutionClosedError()); // e.g. a retry after StopExecution
  let parameters: unknown = input;
  let timeoutSeconds = binding.timeoutSeconds ?? LIBRARY_DEFAULT_TASK_TIMEOUT_SECONDS;
  if (binding.wrapped && isObject(input)) {
    const timeout = input[TIMEOUT_KEY];
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1) {
      // The interpreter rejects the value right after this call (States.Runtime): do nothing.
      return new Promise(() => undefined);
    }
    timeoutSeconds = timeout;
    parameters = input[PARAMS_KEY];
  }
  parameters = hashMarked(cloneJson(parameters));

  const invocation: Invocation = { exec, binding, entry: exec.entered.get(binding.stateName) ?? 0, closed: false };
  exec.invocations.add(invocation);
  const direct = binding.integration.kind === 'lambda-direct';
  const ids = { resourceType: binding.resourceType, resource: binding.resourceLabel };

  let token: string | undefined;
  let record: TokenRecord | undefined;
  if (binding.callback) {
    token = awsShapedTaskToken();
    if (!containsString(parameters, exec.placeholder)) {
      context.log(`[local stepfunctions] state ${binding.stateName}: .waitForTaskToken task without $$.Task.Token in its parameters`);
    }
    parameters = deepReplace(parameters, exec.placeholder, token);
    record = { exec, invocation, status: 'waiting', settle: deferred<Json>() };
    record.settle.promise.catch(() => undefined);
    context.tokens.set(token, record);
    exec.tokens.add(token);
    invocation.token = token;
  }

  if (direct) {
    taskEvent(invocation, 'LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', {
      resource: binding.resource,
      input: stringify(parameters),
      inputDetails: { truncated: false },
      timeoutInSeconds: timeoutSeconds,
    });
    taskEvent(invocation, 'LambdaFunctionStarted');
  } else {
    taskEvent(invocation, 'TaskScheduled', 'taskScheduledEventDetails', {
      ...ids,
      region: LOCAL_REGION,
      parameters: stringify(parameters),
      timeoutInSeconds: timeoutSeconds,
    });
    taskEvent(invocation, 'TaskStarted', 'taskStartedEventDetails', ids);
  }

  // Our own timer, started just before the interpreter's (same duration), closes the invocation and drops
  // its token; the interpreter's timer raises the real States.Timeout.
  invocation.timer = setTimeout(() => {
    if (invocation.closed) return;
    if (direct) {
      taskEvent(invocation, 'LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails', { error: 'States.Timeout', cause: '' });
    } else {
      taskEvent(invocation, 'TaskTimedOut', 'taskTimedOutEventDetails', { ...ids, error: 'States.Timeout', cause: '' });
    }
    if (record && record.status === 'waiting') record.status = 'timedOut';
    endInvocation(invocation);
  }, timeoutSeconds * 1000);

  const work = (async (): Promise<unknown> => {
    try {
      let result: unknown;
      if (record) {
        try {
          const submitted = await context.integrations.call(binding, parameters);
          if (!invocation.closed && record.status === 'waiting') {
            taskEvent(invocation, 'TaskSubmitted', 'taskSubmittedEventDetails', {
              ...ids,
              output: stringify(submitted),
              outputDetails: { truncated: false },
            });
          }
        } catch (error) {
          if (record.status === 'waiting') {
            record.status = 'failed';
            throw error;
          }
          // Already answered by SendTaskSuccess/Failure (the answer wins), or dropped (the interpreter moved on).
          if (record.status === 'timedOut' || record.status === 'closed') throw new ExecutionClosedError();
        }
        result = await record.settle.promise;
      } else {
        result = await context.integrations.call(binding, parameters);
      }
      if (!invocation.closed) {
        if (direct) {
          taskEvent(invocation, 'LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', {
            output: stringify(result),
            outputDetails: { truncated: false },
          });
        } else {
          taskEvent(invocation, 'TaskSucceeded', 'taskSucceededEventDetails', {
            ...ids,
            output: stringify(result),
            outputDetails: { truncated: false },
          });
        }
      }
      return result;
    } catch (error) {
      const failure = error instanceof Error ? error : taskError('Error', String(error));
      if (!invocation.closed && !(failure instanceof ExecutionClosedError)) {
        if (direct) {
          taskEvent(invocation, 'LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', {
            error: failure.name,
            cause: failure.message,
          });
        } else {
          taskEvent(invocation, 'TaskFailed', 'taskFailedEventDetails', { ...ids, error: failure.name, cause: failure.message });
        }
      }
      throw failure;
    } finally {
      endInvocation(invocation);
    }
  })();
  return Promise.race([work, exec.aborted.promise]);
}

export function endInvocation(invocation: Invocation): void {
  invocation.closed = true;
  if (invocation.timer) clearTimeout(invocation.timer);
  invocation.exec.invocations.delete(invocation);
}
