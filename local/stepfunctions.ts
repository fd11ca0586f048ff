/**
 * Local Step Functions: runs the synthesized state machine definition with
 * aws-local-stepfunctions and binds its Task states to local stand-ins, with the
 * semantics of the Step Functions API (StartExecution, SendTaskSuccess/Failure,
 * StopExecution, DescribeExecution, GetExecutionHistory).
 *
 * Retention: running executions are kept; finished ones (with their history and task tokens) are
 * kept up to `retainFinishedExecutions` (default `DEFAULT_RETAIN_FINISHED_EXECUTIONS`, the most recently
 * finished), then forgotten, so memory does not grow with every lifecycle a long-lived local mode has run.
 * A forgotten execution is what AWS answers after its retention period: DescribeExecution and
 * GetExecutionHistory throw ExecutionDoesNotExist, ListExecutions omits it, its task tokens are
 * TaskDoesNotExist, and its name may be used again.
 *
 * Task bindings, chosen by each Task state's `Resource`:
 * - `arn:aws:states:::lambda:invoke` → `invokeLambda(<function logical id>, Payload)`, result
 *   `{ ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode }`;
 *   a plain Lambda ARN resource (`payloadResponseOnly`) → `invokeLambda(<id>, input)`, result as is;
 * - `...:<integration>.waitForTaskToken` → a fresh random task token replaces the per-execution
 *   `$$.Task.Token` placeholder in the parameters, the integration is called, and the task waits
 *   for `sendTaskSuccess` / `sendTaskFailure` with that token (or its timeout);
 * - `arn:aws:states:::aws-sdk:dynamodb:<action>` → the matching `@aws-sdk/client-dynamodb` command,
 *   errors named `DynamoDb.<Exception>`; optimized `arn:aws:states:::dynamodb:<get|put|update|delete>Item`
 *   → the same, errors named `DynamoDB.<Exception>`;
 * - `arn:aws:states:::sns:publish` → `publishSns` (Message JSON-stringified unless a string);
 * - anything else fails the task with `States.TaskFailed`.
 *
 * Work-arounds for aws-local-stepfunctions 3.0.0 (see the comments at each):
 * - it evaluates `TimeoutSecondsPath` against the *processed* input (after `Parameters`) where AWS
 *   uses the state input: the definition is rewritten so the path is evaluated inside `Parameters`;
 * - it has no `$$.State`: `$$.State.Name` / `$$.State.EnteredTime` / `$$.State.RetryCount` are provided;
 * - it has no task tokens: see above;
 * - timers above 2^31-1 ms (24.8 days) fire at once in Node: the global `setTimeout` the library uses
 *   for Waits and task timeouts is wrapped to chain long delays (local/long-timers.ts).
 */
import './polyfills';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StateMachine } from 'aws-local-stepfunctions';
import { installLongTimers } from './long-timers';
import * as dynamodbCommands from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

// ---------------------------------------------------------------------------------------------
// Public types

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
  /** Invoke a Lambda handler; `functionName` is the function's logical id, parsed from the ARN. Throw to fail: the error's `name` becomes the Step Functions error. */
  invokeLambda(functionName: string, payload: unknown): Promise<unknown>;
  dynamodb: DynamoDBClient | DynamoDBSender;
  publishSns(params: SnsPublishParams): Promise<{ MessageId: string }>;
  /** Warnings (unsupported resources, callback tasks without a token...). Default: console.warn. */
  log?: (message: string) => void;
  /**
   * How many finished executions (with their history and task tokens) to keep, the most recently finished;
   * older ones are forgotten (see the retention note at the top of this file). Default
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

export type ExecutionListItem = Pick<ExecutionDescription, 'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate' | 'stopDate'>;

/** An AWS-shaped history event: `id`, `previousEventId`, `timestamp`, `type` and one `<type>EventDetails` object. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

/** Errors of the Step Functions API; `name` is the AWS exception name (`TaskDoesNotExist`, ...). */
export class StepFunctionsError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

// ---------------------------------------------------------------------------------------------
// Internals

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type AslState = Record<string, any>;
type AslDefinition = { StartAt: string; States: Record<string, AslState>; [other: string]: unknown };

/** aws-local-stepfunctions' timeout for a Task state without TimeoutSeconds(Path). */
const LIBRARY_DEFAULT_TASK_TIMEOUT_SECONDS = 60;
const MAX_PAYLOAD_BYTES = 256 * 1024;
const LOCAL_REGION = 'local';

/** Hidden keys of the rewritten `Parameters` (see `prepareDefinition`). */
const PARAMS_KEY = '__jitgateParameters';
const TIMEOUT_KEY = '__jitgateTimeoutSeconds';

type Integration =
  | { kind: 'lambda-invoke' }
  | { kind: 'lambda-direct'; functionName: string }
  | { kind: 'dynamodb'; action: string; errorPrefix: 'DynamoDb' | 'DynamoDB' }
  | { kind: 'sns-publish' }
  | { kind: 'unsupported'; reason: string };

interface TaskBinding {
  stateName: string;
  resource: string;
  integration: Integration;
  callback: boolean;
  /** `resourceType` / `resource` of the TaskScheduled event details. */
  resourceType: string;
  resourceLabel: string;
  /** Parameters were wrapped to evaluate TimeoutSecondsPath (input is `{ [PARAMS_KEY], [TIMEOUT_KEY] }`). */
  wrapped: boolean;
  timeoutSeconds?: number;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface PendingEvent {
  state: string;
  entry: number;
  timestamp: Date;
  type: string;
  details: Record<string, unknown>;
}

interface Invocation {
  exec: Execution;
  binding: TaskBinding;
  entry: number;
  closed: boolean;
  timer?: NodeJS.Timeout;
  token?: string;
}

interface TokenRecord {
  exec: Execution;
  invocation: Invocation;
  status: 'waiting' | 'succeeded' | 'failed' | 'timedOut' | 'closed';
  settle: Deferred<Json>;
}

interface Execution {
  arn: string;
  name: string;
  input: string;
  startAt: string;
  startDate: Date;
  stopDate?: Date;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  placeholder: string;
  stateContext: { Name?: string; EnteredTime?: string; RetryCount: number };
  /** Entries per top-level state, counted synchronously when the interpreter looks the state up. */
  entered: Map<string, number>;
  /** Entries per top-level state, counted by the history consumer. */
  seen: Map<string, number>;
  current?: { name: string; type: string };
  history: HistoryEvent[];
  pending: PendingEvent[];
  invocations: Set<Invocation>;
  tokens: Set<string>;
  stopInfo?: { error?: string; cause?: string };
  closed: boolean;
  /** The history consumer has finished (the history is complete). */
  finished: boolean;
  aborted: Deferred<never>;
  abort(): void;
  drained: Promise<void>;
}

/** Thrown into in-flight tasks when their execution stops: neither retried nor caught by the interpreter. */
class ExecutionClosedError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor() {
    super('the execution is closed');
    this.name = 'States.ExecutionClosed';
  }
}

function taskError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function stringify(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

function deepReplace(value: unknown, search: string, replacement: string): unknown {
  if (typeof value === 'string') return value.includes(search) ? value.split(search).join(replacement) : value;
  if (Array.isArray(value)) return value.map((item) => deepReplace(item, search, replacement));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = deepReplace(item, search, replacement);
    return out;
  }
  return value;
}

function containsString(value: unknown, search: string): boolean {
  if (typeof value === 'string') return value.includes(search);
  if (Array.isArray(value)) return value.some((item) => containsString(item, search));
  if (isObject(value)) return Object.values(value).some((item) => containsString(item, search));
  return false;
}

/** SDK output → JSON the way Step Functions serializes it (binary as base64, no `$metadata`). */
function sdkOutputToJson(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Set) return [...value].map(sdkOutputToJson);
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(sdkOutputToJson);
  if (isObject(value)) {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === '$metadata' || item === undefined) continue;
      out[key] = sdkOutputToJson(item);
    }
    return out;
  }
  return value as Json;
}

/** DynamoDB JSON from the definition → SDK input: `{ "B": "<base64>" }` / `{ "BS": [...] }` become bytes. */
function dynamodbInput(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dynamodbInput);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'B' && typeof value['B'] === 'string') return { B: Buffer.from(value['B'], 'base64') };
  if (keys.length === 1 && keys[0] === 'BS' && Array.isArray(value['BS']) && value['BS'].every((v: unknown) => typeof v === 'string')) {
    return { BS: value['BS'].map((v: string) => Buffer.from(v, 'base64')) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = dynamodbInput(item);
  return out;
}

/** `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`, a partial ARN or a plain name → `<name>`. */
export function functionNameFromArn(arnOrName: string): string {
  const match = /(?:^|:)function:([^:]+)/.exec(arnOrName);
  return match ? match[1]! : arnOrName;
}

function parseResource(resource: string): { integration: Integration; callback: boolean; resourceType: string; resourceLabel: string } {
  const lambdaArn = /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(resource);
  if (lambdaArn) {
    return { integration: { kind: 'lambda-direct', functionName: lambdaArn[1]! }, callback: false, resourceType: 'lambda', resourceLabel: resource };
  }
  const service = /^arn:aws[\w-]*:states:::(.+)$/.exec(resource);
  if (!service) {
    return { integration: { kind: 'unsupported', reason: `Resource ${resource} is not supported by local mode` }, callback: false, resourceType: 'unknown', resourceLabel: resource };
  }
  let rest = service[1]!;
  let callback = false;
  if (rest.endsWith('.waitForTaskToken')) {
    callback = true;
    rest = rest.slice(0, -'.waitForTaskToken'.length);
  }
  const suffix = callback ? '.waitForTaskToken' : '';
  const unsupported = (why: string) => ({
    integration: { kind: 'unsupported' as const, reason: `Resource ${resource} is not supported by local mode${why}` },
    callback,
    resourceType: rest.split(':').slice(0, -1).join(':') || rest,
    resourceLabel: (rest.split(':').pop() ?? rest) + suffix,
  });
  if (rest.endsWith('.sync') || rest.includes('.sync:')) return unsupported(' (.sync integrations are not supported by local mode; the jitgate state machine uses none)');
  if (rest === 'lambda:invoke') {
    return { integration: { kind: 'lambda-invoke' }, callback, resourceType: 'lambda', resourceLabel: 'invoke' + suffix };
  }
  if (rest === 'sns:publish') {
    return { integration: { kind: 'sns-publish' }, callback, resourceType: 'sns', resourceLabel: 'publish' + suffix };
  }
  const sdk = /^aws-sdk:dynamodb:([A-Za-z]+)$/.exec(rest);
  if (sdk) {
    return { integration: { kind: 'dynamodb', action: sdk[1]!, errorPrefix: 'DynamoDb' }, callback, resourceType: 'aws-sdk:dynamodb', resourceLabel: sdk[1]! + suffix };
  }
  const optimized = /^dynamodb:(getItem|putItem|updateItem|deleteItem)$/.exec(rest);
  if (optimized) {
    return { integration: { kind: 'dynamodb', action: optimized[1]!, errorPrefix: 'DynamoDB' }, callback, resourceType: 'dynamodb', resourceLabel: optimized[1]! + suffix };
  }
  return unsupported('');
}

/** Nested state collections: the top level, Parallel branches, Map iterators. */
function forEachStates(definition: { States: Record<string, AslState> }, visit: (states: Record<string, AslState>) => void): void {
  visit(definition.States);
  for (const state of Object.values(definition.States)) {
    if (state['Type'] === 'Parallel' && Array.isArray(state['Branches'])) {
      for (const branch of state['Branches']) if (isObject(branch) && isObject(branch['States'])) forEachStates(branch as AslDefinition, visit);
    }
    if (state['Type'] === 'Map') {
      const processor = state['ItemProcessor'] ?? state['Iterator'];
      if (isObject(processor) && isObject(processor['States'])) forEachStates(processor as AslDefinition, visit);
    }
  }
}

/**
 * Rewrites Task states for the interpreter (the original definition is not modified):
 * - `TimeoutSecondsPath`: aws-local-stepfunctions resolves it against the input *after* `Parameters`
 *   (AWS: against the state input), which fails as soon as `Parameters` reshapes the input. The rewrite
 *   evaluates the path inside `Parameters`: `{ __jitgateParameters: <original Parameters, or "$">,
 *   "__jitgateTimeoutSeconds.$": <path> }` and points `TimeoutSecondsPath` at `$.__jitgateTimeoutSeconds`;
 *   the task handler unwraps it.
 */
function prepareDefinition(original: AslDefinition): { prepared: AslDefinition; bindings: Map<string, TaskBinding> } {
  const prepared = cloneJson(original);
  const bindings = new Map<string, TaskBinding>();
  forEachStates(prepared, (states) => {
    for (const [stateName, state] of Object.entries(states)) {
      if (state['Type'] !== 'Task') continue;
      const resource = String(state['Resource']);
      const parsed = parseResource(resource);
      let wrapped = false;
      if (typeof state['TimeoutSecondsPath'] === 'string') {
        const parameters = 'Parameters' in state ? state['Parameters'] : undefined;
        state['Parameters'] = {
          ...(parameters === undefined ? { [`${PARAMS_KEY}.$`]: '$' } : { [PARAMS_KEY]: parameters }),
          [`${TIMEOUT_KEY}.$`]: state['TimeoutSecondsPath'],
        };
        state['TimeoutSecondsPath'] = `$.${TIMEOUT_KEY}`;
        wrapped = true;
      }
      bindings.set(stateName, {
        stateName,
        resource,
        ...parsed,
        wrapped,
        ...(typeof state['TimeoutSeconds'] === 'number' && state['TimeoutSeconds'] > 0 ? { timeoutSeconds: state['TimeoutSeconds'] } : {}),
      });
    }
  });
  return { prepared, bindings };
}

const STATE_EVENT_PREFIX: Record<string, string> = {
  Task: 'Task',
  Choice: 'Choice',
  Wait: 'Wait',
  Pass: 'Pass',
  Succeed: 'Succeed',
  Fail: 'Fail',
  Map: 'Map',
  Parallel: 'Parallel',
};

const VALID_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

// ---------------------------------------------------------------------------------------------

export class LocalStepFunctions {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  private readonly original: AslDefinition;
  private readonly prepared: AslDefinition;
  private readonly bindings: Map<string, TaskBinding>;
  private readonly topLevel: Set<string>;
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly invokeLambda: LocalStepFunctionsOptions['invokeLambda'];
  private readonly dynamodb: DynamoDBSender;
  private readonly publishSns: LocalStepFunctionsOptions['publishSns'];
  private readonly log: (message: string) => void;
  private readonly onExecutionEnded?: (execution: ExecutionDescription) => void;
  private closing = false;
  private readonly retainFinished: number;
  /** Finished executions still kept, oldest first (insertion order). */
  private readonly finishedOrder = new Set<Execution>();

  constructor(options: LocalStepFunctionsOptions) {
    // Waits and task timeouts past 24.8 days (the interpreter's and ours) must not fire at once.
    installLongTimers();
    const definition = options.definition as AslDefinition;
    if (!isObject(definition) || typeof definition.StartAt !== 'string' || !isObject(definition.States)) {
      throw new Error('LocalStepFunctions: the definition has no StartAt/States');
    }
    // Validate the definition as written (the interpreter's own validator; paths and ARNs are not checked
    // because local ARNs and CDK's JSONPath forms are not always to its taste).
    new StateMachine(definition as any, { validationOptions: { checkPaths: false, checkArn: false } });
    this.original = definition;
    const { prepared, bindings } = prepareDefinition(definition);
    this.prepared = prepared;
    this.bindings = bindings;
    this.topLevel = new Set(Object.keys(definition.States));
    this.stateMachineArn = options.stateMachineArn;
    this.stateMachineName = options.stateMachineArn.split(':').pop() ?? options.stateMachineArn;
    this.invokeLambda = options.invokeLambda;
    this.dynamodb = options.dynamodb as DynamoDBSender;
    this.publishSns = options.publishSns;
    this.log = options.log ?? ((message) => console.warn(message));
    this.onExecutionEnded = options.onExecutionEnded;
    const retain = options.retainFinishedExecutions ?? DEFAULT_RETAIN_FINISHED_EXECUTIONS;
    if (!(retain === Infinity || (Number.isInteger(retain) && retain >= 0))) {
      throw new Error(`LocalStepFunctions: retainFinishedExecutions must be a non-negative integer or Infinity, got ${retain}`);
    }
    this.retainFinished = retain;
    for (const binding of bindings.values()) {
      if (binding.integration.kind === 'unsupported') this.log(`[local stepfunctions] state ${binding.stateName}: ${binding.integration.reason}`);
    }
  }

  /** The definition as given (not the rewritten one the interpreter runs). */
  get definition(): object {
    return this.original;
  }

  // ------------------------------------------------------------------------------------------- API

  async startExecution(params: StartExecutionParams): Promise<{ executionArn: string; startDate: Date }> {
    if (this.closing) throw new StepFunctionsError('ServiceUnavailable', 'local Step Functions is shutting down');
    if (params.stateMachineArn !== undefined && params.stateMachineArn !== this.stateMachineArn) {
      throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${params.stateMachineArn}'`);
    }
    const name = params.name ?? randomUUID();
    if (!VALID_NAME.test(name)) throw new StepFunctionsError('InvalidName', `Invalid Name: '${name}'`);
    const input = params.input ?? '{}';
    let inputValue: Json;
    try {
      inputValue = JSON.parse(input) as Json;
    } catch (error) {
      throw new StepFunctionsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(error as Error).message}'`);
    }
    if (Buffer.byteLength(input) > MAX_PAYLOAD_BYTES) {
      throw new StepFunctionsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: larger than 256 KiB');
    }
    const startAt = params.startAt ?? this.original.StartAt;
    if (!this.topLevel.has(startAt)) {
      throw new StepFunctionsError('ValidationException', `startAt: no top-level state named '${startAt}'`);
    }
    const executionArn = this.executionArnFor(name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      // AWS: same name and input while running → the same execution; otherwise ExecutionAlreadyExists.
      if (existing.status === 'RUNNING' && existing.input === input && existing.startAt === startAt) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }

    const exec: Execution = {
      arn: executionArn,
      name,
      input,
      startAt,
      startDate: new Date(),
      status: 'RUNNING',
      placeholder: `jitgate-task-token-placeholder-${randomBytes(16).toString('hex')}`,
      stateContext: { RetryCount: 0 },
      entered: new Map(),
      seen: new Map(),
      history: [],
      pending: [],
      invocations: new Set(),
      tokens: new Set(),
      closed: false,
      finished: false,
      aborted: deferred<never>(),
      abort: () => undefined,
      drained: Promise.resolve(),
    };
    exec.aborted.promise.catch(() => undefined);
    this.executions.set(executionArn, exec);

    // A per-execution view of the definition whose `States` lookups tell us, synchronously, which state
    // the interpreter is entering (it reads `States[name]` once per transition): this provides `$$.State`
    // and orders the task events we record against the interpreter's own events.
    const statesView = new Proxy(this.prepared.States, {
      get: (target, property, receiver) => {
        if (typeof property === 'string' && Object.prototype.hasOwnProperty.call(target, property) && !exec.closed) {
          exec.entered.set(property, (exec.entered.get(property) ?? 0) + 1);
          exec.stateContext.Name = property;
          exec.stateContext.EnteredTime = new Date().toISOString();
          exec.stateContext.RetryCount = 0;
        }
        return Reflect.get(target, property, receiver);
      },
    });
    const machine = new StateMachine({ ...this.prepared, StartAt: startAt, States: statesView } as any, {
      validationOptions: { noValidate: true },
    });
    const handlers: Record<string, (input: any) => Promise<any>> = {};
    for (const binding of this.bindings.values()) handlers[binding.stateName] = (taskInput) => this.runTask(exec, binding, taskInput);
    const context = {
      Execution: { Id: executionArn, Name: name, Input: inputValue, StartTime: exec.startDate.toISOString(), RoleArn: 'local' },
      StateMachine: { Id: this.stateMachineArn, Name: this.stateMachineName },
      State: exec.stateContext,
      Task: { Token: exec.placeholder },
    };
    const run = machine.run(inputValue as any, {
      overrides: { taskResourceLocalHandlers: handlers },
      context: context as any,
      noThrowOnAbort: true,
    });
    exec.abort = run.abort;
    const result = run.result.then(
      (output) => ({ ok: true as const, output }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    exec.drained = this.consume(exec, run.eventLogs, result);
    return { executionArn, startDate: exec.startDate };
  }

  async sendTaskSuccess(params: { taskToken: string; output: string }): Promise<Record<string, never>> {
    const record = this.checkToken(params.taskToken);
    let output: Json;
    try {
      if (typeof params.output !== 'string') throw new Error('output is required');
      output = JSON.parse(params.output) as Json;
    } catch (error) {
      throw new StepFunctionsError('InvalidOutput', `Invalid Output: '${(error as Error).message}'`);
    }
    if (Buffer.byteLength(params.output) > MAX_PAYLOAD_BYTES) throw new StepFunctionsError('InvalidOutput', 'Invalid Output: larger than 256 KiB');
    record.status = 'succeeded';
    record.settle.resolve(output);
    return {};
  }

  async sendTaskFailure(params: { taskToken: string; error?: string; cause?: string }): Promise<Record<string, never>> {
    const record = this.checkToken(params.taskToken);
    record.status = 'failed';
    record.settle.reject(taskError(params.error ?? '', params.cause ?? ''));
    return {};
  }

  /** Heartbeats are accepted for a waiting task (HeartbeatSeconds itself is not enforced locally). */
  async sendTaskHeartbeat(params: { taskToken: string }): Promise<Record<string, never>> {
    this.checkToken(params.taskToken);
    return {};
  }

  async stopExecution(params: { executionArn: string; error?: string; cause?: string }): Promise<{ stopDate: Date }> {
    const exec = this.getExecution(params.executionArn);
    if (exec.status === 'RUNNING') {
      exec.status = 'ABORTED';
      exec.stopDate = new Date();
      if (params.error !== undefined) exec.error = params.error;
      if (params.cause !== undefined) exec.cause = params.cause;
      exec.stopInfo = { ...(params.error !== undefined ? { error: params.error } : {}), ...(params.cause !== undefined ? { cause: params.cause } : {}) };
      exec.abort();
      this.closeExecution(exec);
      await exec.drained;
    }
    return { stopDate: exec.stopDate ?? new Date() };
  }

  async describeExecution(params: { executionArn: string }): Promise<ExecutionDescription> {
    return this.describe(this.getExecution(params.executionArn));
  }

  private describe(exec: Execution): ExecutionDescription {
    return {
      executionArn: exec.arn,
      stateMachineArn: this.stateMachineArn,
      name: exec.name,
      status: exec.status,
      startDate: exec.startDate,
      ...(exec.stopDate ? { stopDate: exec.stopDate } : {}),
      input: exec.input,
      inputDetails: { included: true },
      ...(exec.output !== undefined ? { output: exec.output, outputDetails: { included: true } } : {}),
      ...(exec.error !== undefined ? { error: exec.error } : {}),
      ...(exec.cause !== undefined ? { cause: exec.cause } : {}),
    };
  }

  /** All events by default; `maxResults` pages with `nextToken` as AWS does. */
  async getExecutionHistory(params: {
    executionArn: string;
    reverseOrder?: boolean;
    maxResults?: number;
    nextToken?: string;
  }): Promise<{ events: HistoryEvent[]; nextToken?: string }> {
    const exec = this.getExecution(params.executionArn);
    const all = exec.history.map((event) => ({ ...event }));
    if (params.reverseOrder) all.reverse();
    const offset = params.nextToken ? Number.parseInt(params.nextToken, 10) : 0;
    if (!Number.isInteger(offset) || offset < 0 || offset > all.length) throw new StepFunctionsError('InvalidToken', 'Invalid pagination token');
    const limit = params.maxResults && params.maxResults > 0 ? params.maxResults : all.length;
    const events = all.slice(offset, offset + limit);
    const next = offset + events.length;
    return next < all.length ? { events, nextToken: String(next) } : { events };
  }

  /** Newest first, like AWS. */
  async listExecutions(params: { statusFilter?: ExecutionStatus; maxResults?: number } = {}): Promise<{ executions: ExecutionListItem[] }> {
    const executions = [...this.executions.values()]
      .filter((exec) => !params.statusFilter || exec.status === params.statusFilter)
      .reverse()
      .slice(0, params.maxResults && params.maxResults > 0 ? params.maxResults : undefined)
      .map((exec) => ({
        executionArn: exec.arn,
        stateMachineArn: this.stateMachineArn,
        name: exec.name,
        status: exec.status,
        startDate: exec.startDate,
        ...(exec.stopDate ? { stopDate: exec.stopDate } : {}),
      }));
    return { executions };
  }

  /** Resolves when every execution (including ones started meanwhile) has finished and its history is complete. */
  async waitForAll(): Promise<void> {
    for (;;) {
      const open = [...this.executions.values()].filter((exec) => !exec.finished);
      if (open.length === 0) return;
      await Promise.all(open.map((exec) => exec.drained));
    }
  }

  /** Stops every running execution (ABORTED, their task tokens dropped) and refuses new ones. */
  async close(): Promise<void> {
    this.closing = true;
    const running = [...this.executions.values()].filter((exec) => exec.status === 'RUNNING');
    await Promise.all(
      running.map((exec) => this.stopExecution({ executionArn: exec.arn, error: 'States.Aborted', cause: 'local Step Functions closed' })),
    );
    await Promise.all([...this.executions.values()].map((exec) => exec.drained));
  }

  executionArnFor(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  // ------------------------------------------------------------------------------------- tokens

  private checkToken(taskToken: unknown): TokenRecord {
    if (typeof taskToken !== 'string' || taskToken.length === 0 || taskToken.length > 2048) {
      throw new StepFunctionsError('InvalidToken', 'Invalid Token');
    }
    const record = this.tokens.get(taskToken);
    if (!record) throw new StepFunctionsError('TaskDoesNotExist', 'Task Does Not Exist');
    if (record.status === 'timedOut' || record.status === 'closed' || record.exec.status !== 'RUNNING') {
      throw new StepFunctionsError('TaskTimedOut', 'Task Timed Out');
    }
    if (record.status !== 'waiting') throw new StepFunctionsError('TaskDoesNotExist', 'Task Does Not Exist');
    return record;
  }

  // ----------------------------------------------------------------------------------------- tasks

  /**
   * The local handler of one Task state invocation. Runs synchronously up to the first await, before the
   * interpreter reads the task's timeout from the same `input` object.
   */
  private runTask(exec: Execution, binding: TaskBinding, input: unknown): Promise<unknown> {
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
    parameters = cloneJson(parameters);

    const invocation: Invocation = { exec, binding, entry: exec.entered.get(binding.stateName) ?? 0, closed: false };
    exec.invocations.add(invocation);
    const direct = binding.integration.kind === 'lambda-direct';
    const ids = { resourceType: binding.resourceType, resource: binding.resourceLabel };

    let token: string | undefined;
    let record: TokenRecord | undefined;
    if (binding.callback) {
      token = randomBytes(48).toString('base64url');
      if (!containsString(parameters, exec.placeholder)) {
        this.log(`[local stepfunctions] state ${binding.stateName}: .waitForTaskToken task without $$.Task.Token in its parameters`);
      }
      parameters = deepReplace(parameters, exec.placeholder, token);
      record = { exec, invocation, status: 'waiting', settle: deferred<Json>() };
      record.settle.promise.catch(() => undefined);
      this.tokens.set(token, record);
      exec.tokens.add(token);
      invocation.token = token;
    }

    if (direct) {
      this.taskEvent(invocation, 'LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', {
        resource: binding.resource,
        input: stringify(parameters),
        inputDetails: { truncated: false },
        timeoutInSeconds: timeoutSeconds,
      });
      this.taskEvent(invocation, 'LambdaFunctionStarted');
    } else {
      this.taskEvent(invocation, 'TaskScheduled', 'taskScheduledEventDetails', {
        ...ids,
        region: LOCAL_REGION,
        parameters: stringify(parameters),
        timeoutInSeconds: timeoutSeconds,
      });
      this.taskEvent(invocation, 'TaskStarted', 'taskStartedEventDetails', ids);
    }

    // Our own timer, started just before the interpreter's (same duration), closes the invocation and drops
    // its token; the interpreter's timer raises the real States.Timeout.
    invocation.timer = setTimeout(() => {
      if (invocation.closed) return;
      if (direct) {
        this.taskEvent(invocation, 'LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails', { error: 'States.Timeout', cause: '' });
      } else {
        this.taskEvent(invocation, 'TaskTimedOut', 'taskTimedOutEventDetails', { ...ids, error: 'States.Timeout', cause: '' });
      }
      if (record && record.status === 'waiting') record.status = 'timedOut';
      this.endInvocation(invocation);
    }, timeoutSeconds * 1000);

    const work = (async (): Promise<unknown> => {
      try {
        let result: unknown;
        if (record) {
          try {
            const submitted = await this.callIntegration(binding, parameters);
            if (!invocation.closed && record.status === 'waiting') {
              this.taskEvent(invocation, 'TaskSubmitted', 'taskSubmittedEventDetails', { ...ids, output: stringify(submitted), outputDetails: { truncated: false } });
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
          result = await this.callIntegration(binding, parameters);
        }
        if (!invocation.closed) {
          if (direct) {
            this.taskEvent(invocation, 'LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', { output: stringify(result), outputDetails: { truncated: false } });
          } else {
            this.taskEvent(invocation, 'TaskSucceeded', 'taskSucceededEventDetails', { ...ids, output: stringify(result), outputDetails: { truncated: false } });
          }
        }
        return result;
      } catch (error) {
        const failure = error instanceof Error ? error : taskError('Error', String(error));
        if (!invocation.closed && !(failure instanceof ExecutionClosedError)) {
          if (direct) {
            this.taskEvent(invocation, 'LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', { error: failure.name, cause: failure.message });
          } else {
            this.taskEvent(invocation, 'TaskFailed', 'taskFailedEventDetails', { ...ids, error: failure.name, cause: failure.message });
          }
        }
        throw failure;
      } finally {
        this.endInvocation(invocation);
      }
    })();
    return Promise.race([work, exec.aborted.promise]);
  }

  private endInvocation(invocation: Invocation): void {
    invocation.closed = true;
    if (invocation.timer) clearTimeout(invocation.timer);
    invocation.exec.invocations.delete(invocation);
  }

  private async callIntegration(binding: TaskBinding, parameters: unknown): Promise<unknown> {
    const integration = binding.integration;
    switch (integration.kind) {
      case 'lambda-invoke': {
        const functionName = isObject(parameters) ? parameters['FunctionName'] : undefined;
        if (typeof functionName !== 'string') throw taskError('States.TaskFailed', `${binding.stateName}: Parameters.FunctionName is missing`);
        const payload = isObject(parameters) && 'Payload' in parameters ? parameters['Payload'] : {};
        const result = await this.callLambda(functionNameFromArn(functionName), payload);
        return {
          ExecutedVersion: '$LATEST',
          Payload: result,
          SdkHttpMetadata: { HttpHeaders: {}, HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: randomUUID() },
          StatusCode: 200,
        };
      }
      case 'lambda-direct':
        return this.callLambda(integration.functionName, parameters);
      case 'dynamodb':
        return this.callDynamoDb(integration, parameters);
      case 'sns-publish':
        return this.callSns(parameters);
      case 'unsupported':
        throw taskError('States.TaskFailed', integration.reason);
    }
  }

  /** Lambda function errors surface as AWS does: error = errorType (the thrown error's name), cause = the JSON error object. */
  private async callLambda(functionName: string, payload: unknown): Promise<Json> {
    let result: unknown;
    try {
      result = await this.invokeLambda(functionName, cloneJson(payload ?? {}));
    } catch (error) {
      const errorType = error instanceof Error ? error.name || 'Error' : 'Error';
      const errorMessage = error instanceof Error ? error.message : String(error);
      const trace = error instanceof Error && error.stack ? error.stack.split('\n').map((line) => line.trim()) : [];
      throw taskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
    }
    return result === undefined ? null : (cloneJson(result) as Json);
  }

  private async callDynamoDb(integration: Extract<Integration, { kind: 'dynamodb' }>, parameters: unknown): Promise<Json> {
    const commandName = integration.action.charAt(0).toUpperCase() + integration.action.slice(1) + 'Command';
    const Command = (dynamodbCommands as unknown as Record<string, new (input: unknown) => unknown>)[commandName];
    if (typeof Command !== 'function') {
      throw taskError('States.TaskFailed', `DynamoDB action ${integration.action} is not supported (no ${commandName} in @aws-sdk/client-dynamodb)`);
    }
    let output: unknown;
    try {
      output = await this.dynamodb.send(new Command(dynamodbInput(parameters ?? {})));
    } catch (error) {
      throw this.sdkError(integration.errorPrefix, error);
    }
    return sdkOutputToJson(output);
  }

  private async callSns(parameters: unknown): Promise<Json> {
    if (!isObject(parameters)) throw taskError('States.TaskFailed', 'sns:publish: Parameters are missing');
    const topicArn = parameters['TopicArn'] ?? parameters['TargetArn'];
    if (typeof topicArn !== 'string') throw taskError('States.TaskFailed', 'sns:publish: TopicArn is missing');
    const message = parameters['Message'];
    const params: SnsPublishParams = {
      TopicArn: topicArn,
      Message: typeof message === 'string' ? message : JSON.stringify(message ?? null),
      ...(typeof parameters['Subject'] === 'string' ? { Subject: parameters['Subject'] } : {}),
      ...(isObject(parameters['MessageAttributes']) ? { MessageAttributes: parameters['MessageAttributes'] } : {}),
    };
    let result: { MessageId: string };
    try {
      result = await this.publishSns(params);
    } catch (error) {
      throw this.sdkError('SNS', error);
    }
    return {
      MessageId: result.MessageId,
      SdkHttpMetadata: { HttpHeaders: {}, HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: randomUUID() },
    };
  }

  /** AWS service exceptions become `<Prefix>.<ExceptionName>`; anything else (network...) `States.TaskFailed`. */
  private sdkError(prefix: string, error: unknown): Error {
    if (error instanceof Error && ('$metadata' in error || '$fault' in error)) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 400;
      const service = prefix === 'SNS' ? 'Sns' : 'DynamoDb';
      return taskError(`${prefix}.${error.name}`, `${error.message} (Service: ${service}, Status Code: ${status}, Request ID: local)`);
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return taskError('States.TaskFailed', message);
  }

  // --------------------------------------------------------------------------------------- history

  private taskEvent(invocation: Invocation, type: string, detailsKey?: string, details?: Record<string, unknown>): void {
    const exec = invocation.exec;
    if (exec.closed) return;
    const detailsObject = detailsKey ? { [detailsKey]: details ?? {} } : {};
    const state = invocation.binding.stateName;
    if (exec.pending.length === 0 && invocation.entry <= (exec.seen.get(state) ?? 0)) {
      // The consumer has already logged this state's entry: nothing of the interpreter's can come in between.
      this.pushEvent(exec, type, new Date(), detailsObject);
      return;
    }
    exec.pending.push({ state, entry: invocation.entry, timestamp: new Date(), type, details: detailsObject });
  }

  private pushEvent(exec: Execution, type: string, timestamp: Date, details: Record<string, unknown> = {}): void {
    const id = exec.history.length + 1;
    exec.history.push({ id, previousEventId: id - 1, timestamp, type, ...details });
  }

  /** Moves the recorded task events whose state entry the consumer has already seen into the history. */
  private flushPending(exec: Execution, all = false): void {
    if (exec.pending.length === 0) return;
    const keep: PendingEvent[] = [];
    for (const event of exec.pending) {
      if (all || event.entry <= (exec.seen.get(event.state) ?? 0)) {
        this.pushEvent(exec, event.type, event.timestamp, event.details);
      } else {
        keep.push(event);
      }
    }
    exec.pending = keep;
  }

  private async consume(
    exec: Execution,
    eventLogs: AsyncGenerator<any>,
    result: Promise<{ ok: true; output: unknown } | { ok: false; error: unknown }>,
  ): Promise<void> {
    try {
      for await (const event of eventLogs) this.onLibraryEvent(exec, event);
    } catch (error) {
      this.log(`[local stepfunctions] ${exec.arn}: event log failed: ${String(error)}`);
    }
    if (exec.status === 'RUNNING') {
      // Should not happen (the interpreter always logs a terminal event); settle from the result.
      const outcome = await result;
      this.flushPending(exec, true);
      if (outcome.ok) {
        this.finish(exec, 'SUCCEEDED', { output: stringify(outcome.output) });
      } else {
        const cause = (outcome.error as { cause?: Error }).cause;
        this.finish(exec, 'FAILED', { error: cause?.name ?? 'States.Runtime', cause: cause?.message ?? String(outcome.error) });
      }
    }
    this.closeExecution(exec);
    exec.finished = true;
    if (this.onExecutionEnded && !this.closing) {
      try {
        this.onExecutionEnded(this.describe(exec));
      } catch (error) {
        this.log(`[local stepfunctions] ${exec.arn}: onExecutionEnded failed: ${String(error)}`);
      }
    }
    this.retain(exec);
  }

  private onLibraryEvent(exec: Execution, event: any): void {
    const timestamp = new Date(typeof event.timestamp === 'number' ? event.timestamp : Date.now());
    const state = event.state as { name: string; type: string; input?: unknown; output?: unknown } | undefined;
    const prefix = state ? STATE_EVENT_PREFIX[state.type] ?? state.type : '';
    const topLevel = state !== undefined && event.index === undefined && this.topLevel.has(state.name);
    switch (event.type) {
      case 'ExecutionStarted':
        this.pushEvent(exec, 'ExecutionStarted', timestamp, {
          executionStartedEventDetails: { input: exec.input, inputDetails: { truncated: false }, roleArn: 'local' },
        });
        return;
      case 'StateEntered':
        if (topLevel) {
          exec.seen.set(state!.name, (exec.seen.get(state!.name) ?? 0) + 1);
          exec.current = { name: state!.name, type: state!.type };
        }
        this.pushEvent(exec, `${prefix}StateEntered`, timestamp, {
          stateEnteredEventDetails: { name: state!.name, input: stringify(state!.input), inputDetails: { truncated: false } },
        });
        this.flushPending(exec);
        return;
      case 'StateExited':
        this.flushPending(exec);
        this.pushEvent(exec, `${prefix}StateExited`, timestamp, {
          stateExitedEventDetails: { name: state!.name, output: stringify(state!.output), outputDetails: { truncated: false } },
        });
        if (topLevel && exec.current?.name === state!.name) delete exec.current;
        return;
      case 'StateFailed':
      case 'StateRetried':
      case 'StateCaught':
        // No AWS event of their own: the task events (TaskFailed, TaskTimedOut) and the next
        // StateExited / ExecutionFailed tell the story.
        this.flushPending(exec);
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `mapIteration${event.type.slice('MapIteration'.length)}EventDetails`;
        this.pushEvent(exec, event.type, timestamp, { [key]: { name: event.parentState?.name, index: event.index } });
        return;
      }
      case 'ExecutionSucceeded':
        this.flushPending(exec, true);
        this.pushEvent(exec, 'ExecutionSucceeded', timestamp, {
          executionSucceededEventDetails: { output: stringify(event.output), outputDetails: { truncated: false } },
        });
        this.finish(exec, 'SUCCEEDED', { output: stringify(event.output) });
        return;
      case 'ExecutionFailed': {
        this.flushPending(exec, true);
        const cause = typeof event.Cause === 'string' ? event.Cause : event.Cause instanceof Error ? event.Cause.message : stringify(event.Cause);
        this.pushEvent(exec, 'ExecutionFailed', timestamp, { executionFailedEventDetails: { error: event.Error, cause } });
        this.finish(exec, 'FAILED', { error: event.Error, cause });
        return;
      }
      case 'ExecutionAborted':
        this.flushPending(exec, true);
        if (exec.current && ['Task', 'Wait', 'Map', 'Parallel'].includes(exec.current.type)) {
          this.pushEvent(exec, `${exec.current.type}StateAborted`, timestamp, {
            stateExitedEventDetails: { name: exec.current.name, output: 'null', outputDetails: { truncated: false } },
          });
        }
        this.pushEvent(exec, 'ExecutionAborted', timestamp, { executionAbortedEventDetails: { ...exec.stopInfo } });
        return;
      case 'ExecutionTimeout':
        this.flushPending(exec, true);
        this.pushEvent(exec, 'ExecutionTimedOut', timestamp, {
          executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'The execution timed out (TimeoutSeconds)' },
        });
        this.finish(exec, 'TIMED_OUT', { error: 'States.Timeout', cause: 'The execution timed out (TimeoutSeconds)' });
        return;
      default:
        // Parallel branch events and anything newer: not part of the AWS history.
        return;
    }
  }

  private finish(exec: Execution, status: ExecutionStatus, details: { output?: string; error?: string; cause?: string }): void {
    if (exec.status !== 'RUNNING') return;
    exec.status = status;
    exec.stopDate = new Date();
    if (details.output !== undefined) exec.output = details.output;
    if (details.error !== undefined) exec.error = details.error;
    if (details.cause !== undefined) exec.cause = details.cause;
    this.closeExecution(exec);
  }

  /** No more task events; in-flight tasks are released (the interpreter stops without retry or catch); waiting tokens are dropped. */
  private closeExecution(exec: Execution): void {
    if (exec.closed) return;
    exec.closed = true;
    for (const invocation of [...exec.invocations]) this.endInvocation(invocation);
    for (const token of exec.tokens) {
      const record = this.tokens.get(token);
      if (record && record.status === 'waiting') record.status = 'closed';
    }
    exec.aborted.reject(new ExecutionClosedError());
  }

  /** Keeps a finished execution among the most recent `retainFinished`; forgets the oldest beyond that. */
  private retain(exec: Execution): void {
    this.finishedOrder.add(exec);
    while (this.finishedOrder.size > this.retainFinished) {
      const oldest = this.finishedOrder.values().next().value as Execution;
      this.finishedOrder.delete(oldest);
      if (this.executions.get(oldest.arn) === oldest) this.executions.delete(oldest.arn);
      for (const token of oldest.tokens) if (this.tokens.get(token)?.exec === oldest) this.tokens.delete(token);
    }
  }

  private getExecution(executionArn: unknown): Execution {
    if (typeof executionArn !== 'string' || executionArn.length === 0) throw new StepFunctionsError('InvalidArn', 'Invalid Arn');
    const exec = this.executions.get(executionArn);
    if (!exec) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return exec;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP endpoint (awsJson1.0, as @aws-sdk/client-sfn speaks it)

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

/** Dates as epoch seconds (awsJson timestamps). */
function toWire(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, item: unknown) {
    const original = this[key];
    // (tag check, not instanceof: Dates may come from another realm, e.g. under jest)
    return Object.prototype.toString.call(original) === '[object Date]' ? (original as Date).getTime() / 1000 : item;
  });
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * An HTTP handler for the Step Functions API: POST with `x-amz-target: AWSStepFunctions.<Operation>` and a
 * JSON body (camelCase members: `taskToken`, `output`, `executionArn`...), answering JSON with
 * `application/x-amz-json-1.0`, errors as 400 `{ "__type": "<Exception>", "message": "..." }`. It ignores the
 * request path, so it can be mounted under a prefix: `@aws-sdk/client-sfn` with
 * `endpoint: http://127.0.0.1:<port>/dev/aws/sfn` posts to `/dev/aws/sfn/`.
 *
 * Operations: StartExecution, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, StopExecution,
 * DescribeExecution, GetExecutionHistory, ListExecutions, DescribeStateMachine.
 */
export function createStepFunctionsEndpoint(sfn: LocalStepFunctions): (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void> {
  const send = (res: ServerResponse, status: number, payload: unknown, extraHeaders: Record<string, string> = {}) => {
    const text = toWire(payload);
    res.writeHead(status, {
      'content-type': JSON_CONTENT_TYPE,
      'content-length': String(Buffer.byteLength(text)),
      'x-amzn-requestid': randomUUID(),
      ...extraHeaders,
    });
    res.end(text);
  };
  const fail = (res: ServerResponse, status: number, type: string, message: string) =>
    send(res, status, { __type: type, message }, { 'x-amzn-errortype': type });

  /** The named fields of a request body that are strings; absent or mistyped ones are left out. */
  const strings = <K extends string>(input: Record<string, unknown>, names: K[]): Partial<Record<K, string>> =>
    Object.fromEntries(names.flatMap((n) => (str(input[n]) !== undefined ? [[n, str(input[n])!]] : []))) as Partial<Record<K, string>>;

  const operations: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    StartExecution: (input) => sfn.startExecution(strings(input, ['stateMachineArn', 'name', 'input'])),
    SendTaskSuccess: (input) => sfn.sendTaskSuccess({ taskToken: input['taskToken'] as string, output: input['output'] as string }),
    SendTaskFailure: (input) => sfn.sendTaskFailure({ taskToken: input['taskToken'] as string, ...strings(input, ['error', 'cause']) }),
    SendTaskHeartbeat: (input) => sfn.sendTaskHeartbeat({ taskToken: input['taskToken'] as string }),
    StopExecution: (input) => sfn.stopExecution({ executionArn: input['executionArn'] as string, ...strings(input, ['error', 'cause']) }),
    DescribeExecution: (input) => sfn.describeExecution({ executionArn: input['executionArn'] as string }),
    GetExecutionHistory: async (input) => {
      const history = await sfn.getExecutionHistory({
        executionArn: input['executionArn'] as string,
        ...(typeof input['reverseOrder'] === 'boolean' ? { reverseOrder: input['reverseOrder'] } : {}),
        ...(typeof input['maxResults'] === 'number' ? { maxResults: input['maxResults'] } : {}),
        ...strings(input, ['nextToken']),
      });
      if (input['includeExecutionData'] === false) {
        // Copies: the details objects are shared with the stored history.
        history.events = history.events.map((event) => {
          const copy: HistoryEvent = { ...event };
          for (const [key, value] of Object.entries(event)) {
            if (!isObject(value) || key === 'timestamp') continue;
            const details = { ...value };
            for (const field of ['input', 'output', 'parameters']) delete details[field];
            copy[key] = details;
          }
          return copy;
        });
      }
      return history;
    },
    ListExecutions: async (input) => {
      const arn = str(input['stateMachineArn']);
      if (arn !== undefined && arn !== sfn.stateMachineArn) throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
      return sfn.listExecutions({
        ...(str(input['statusFilter']) !== undefined ? { statusFilter: str(input['statusFilter']) as ExecutionStatus } : {}),
        ...(typeof input['maxResults'] === 'number' ? { maxResults: input['maxResults'] } : {}),
      });
    },
    DescribeStateMachine: async (input) => {
      if (input['stateMachineArn'] !== sfn.stateMachineArn) {
        throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(input['stateMachineArn'])}'`);
      }
      return {
        stateMachineArn: sfn.stateMachineArn,
        name: sfn.stateMachineName,
        status: 'ACTIVE',
        definition: JSON.stringify(sfn.definition),
        roleArn: 'local',
        type: 'STANDARD',
        creationDate: new Date(0),
      };
    },
  };

  return async (req, res, body) => {
    if (req.method !== 'POST') {
      fail(res, 405, 'UnknownOperationException', 'Step Functions API requests are POSTs');
      return;
    }
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : undefined;
    const handler = operation !== undefined && Object.prototype.hasOwnProperty.call(operations, operation) ? operations[operation] : undefined;
    if (!handler) {
      fail(res, 400, 'UnknownOperationException', `Unknown operation ${String(target)}`);
      return;
    }
    let input: unknown;
    try {
      input = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      fail(res, 400, 'SerializationException', 'The request body is not valid JSON');
      return;
    }
    if (!isObject(input)) {
      fail(res, 400, 'SerializationException', 'The request body must be a JSON object');
      return;
    }
    try {
      send(res, 200, await handler(input));
    } catch (error) {
      if (error instanceof StepFunctionsError) {
        fail(res, 400, error.name, error.message);
      } else {
        fail(res, 500, 'InternalFailure', error instanceof Error ? error.message : String(error));
      }
    }
  };
}
