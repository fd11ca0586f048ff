/**
 * Local Step Functions: the synthesized state machine definition run by aws-local-stepfunctions, its Task
 * states bound to local stand-ins, with the semantics of the Step Functions API.
 *
 * - interpreter.ts: `LocalStepFunctions`, the API (executions, task tokens, retention) over the library;
 * - definition.ts: each Task state's binding, and the definition rewrites the library needs;
 * - tasks.ts: one Task invocation (its token, its timeout, its task events);
 * - integrations.ts: the Lambda, DynamoDB and SNS calls Task states make;
 * - history.ts: the AWS-shaped execution history;
 * - endpoint.ts: the API over HTTP, as @aws-sdk/client-sfn speaks it.
 *
 * Work-arounds for aws-local-stepfunctions 3.0.0 (see the comments at each):
 * - it evaluates `TimeoutSecondsPath` against the *processed* input (after `Parameters`) where AWS
 *   uses the state input: the definition is rewritten so the path is evaluated inside `Parameters`;
 * - its `States.Hash(x, 'SHA-256')` is wrong for inputs of 56 bytes or more: definition.ts hashes them instead;
 * - it has no `$$.State`: `$$.State.Name` / `$$.State.EnteredTime` / `$$.State.RetryCount` are provided;
 * - it has no task tokens: tasks.ts makes them;
 * - timers above 2^31-1 ms (24.8 days) fire at once in Node: the global `setTimeout` the library uses
 *   for Waits and task timeouts is wrapped to chain long delays (local/long-timers.ts).
 */
export { createStepFunctionsEndpoint } from './endpoint';
export { StepFunctionsError } from './errors';
export { LocalStepFunctions } from './interpreter';
export {
  DEFAULT_RETAIN_FINISHED_EXECUTIONS,
  type DynamoDBSender,
  type ExecutionDescription,
  type ExecutionListItem,
  type ExecutionStatus,
  type HistoryEvent,
  type LocalStepFunctionsOptions,
  type SnsPublishParams,
  type StartExecutionParams,
} from './types';
