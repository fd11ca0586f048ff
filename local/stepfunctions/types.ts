/** The shapes of local Step Functions' API, as its callers (local mode, tests, the HTTP endpoint) see them. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface SnsPublishParams {
  TopicArn: string;
  Message: string;
  Subject?: string;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
}

/** Anything with the `send` of a DynamoDBClient (the real client pointed at DynamoDB Local, or a fake in tests). */
export interface DynamoDBSender {
  send(command: any): Promise<any>;
}

export interface LocalStepFunctionsOptions {
  /** The state machine definition (parsed ASL), e.g. from `stateMachineDefinition(template)` in `local/cfn.ts`. */
  definition: object;
  stateMachineArn: string;
  /** Where definitions that passed validation are remembered (local/stepfunctions/validate.ts); absent: always validated. */
  validatedDefinitions?: string;
  /**
   * Invoke a Lambda handler; `functionName` is the function's logical id, parsed from the ARN.
   * Throw to fail: the error's `name` becomes the Step Functions error.
   */
  invokeLambda(functionName: string, payload: unknown): Promise<unknown>;
  dynamodb: DynamoDBClient | DynamoDBSender;
  publishSns(params: SnsPublishParams): Promise<{ MessageId: string }>;
  /**
   * Checks a Task's call against the state machine's role before it runs (local/iam): an
   * `{ error, cause }` fails the Task with it, as the service's AccessDenied does on AWS.
   */
  authorizeTask?(resource: string, parameters: unknown): { error: string; cause: string } | undefined;
  /** Warnings (unsupported resources, callback tasks without a token...). Default: console.warn. */
  log?: (message: string) => void;
  /**
   * How many finished executions (with their history and task tokens) to keep, the most recently finished;
   * older ones are forgotten (see the retention note in interpreter.ts). Default
   * `DEFAULT_RETAIN_FINISHED_EXECUTIONS`; `Infinity` keeps them all for the life of the object.
   */
  retainFinishedExecutions?: number;
  /**
   * Called once per execution that ends (any status, with its final description), as AWS puts a
   * "Step Functions Execution Status Change" event on EventBridge (local/execution-events.ts).
   * Not called for executions stopped by `close()`: local mode shutting down is no status change
   * of the request's execution on AWS (it is resumed on the next start).
   */
  onExecutionEnded?: (execution: ExecutionDescription) => void;
}

/** Finished executions kept by default (about 30 KB each for jitgate's state machine). */
export const DEFAULT_RETAIN_FINISHED_EXECUTIONS = 200;

export interface StartExecutionParams {
  name?: string;
  /** JSON text; default `{}`. */
  input?: string;
  /** Resume: run the definition with `StartAt` moved to this (top-level) state. */
  startAt?: string;
  /**
   * Resume: an execution of this name that has ended is forgotten first, as a restarted local
   * mode's interpreter remembers none (AWS keeps a name taken for 90 days).
   */
  replaceEnded?: boolean;
  /** Optional; when given it must be this state machine's ARN. */
  stateMachineArn?: string;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  inputDetails: { included: boolean };
  output?: string;
  outputDetails?: { included: boolean };
  error?: string;
  cause?: string;
}

export type ExecutionListItem = Pick<
  ExecutionDescription,
  'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate' | 'stopDate'
>;

/** An AWS-shaped history event: `id`, `previousEventId`, `timestamp`, `type` and one `<type>EventDetails` object. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}
