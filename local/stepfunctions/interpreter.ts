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
 * The work-arounds for aws-local-stepfunctions 3.0.0 are listed in index.ts.
 */
import '../polyfills';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { installLongTimers } from '../long-timers';
import { prepareDefinition, type AslDefinition, type TaskBinding } from './definition';
import { ExecutionClosedError, StepFunctionsError, taskError } from './errors';
import { newExecution, type Execution, type TokenRecord } from './execution';
import { flushPending, recordLibraryEvent } from './history';
import { TaskIntegrations } from './integrations';
import { validateDefinition } from './validate';
import { isObject, stringify, type Json } from './json';
import { endInvocation, runTask, type TaskContext } from './tasks';
import {
  DEFAULT_RETAIN_FINISHED_EXECUTIONS,
  type ExecutionDescription,
  type ExecutionListItem,
  type ExecutionStatus,
  type HistoryEvent,
  type LocalStepFunctionsOptions,
  type StartExecutionParams,
} from './types';

const MAX_PAYLOAD_BYTES = 256 * 1024;

const VALID_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export class LocalStepFunctions {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  private readonly original: AslDefinition;
  private readonly prepared: AslDefinition;
  private readonly bindings: Map<string, TaskBinding>;
  private readonly topLevel: Set<string>;
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly log: (message: string) => void;
  private readonly tasks: TaskContext;
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
    validateDefinition(definition, options.validatedDefinitions);
    this.original = definition;
    const { prepared, bindings } = prepareDefinition(definition);
    this.prepared = prepared;
    this.bindings = bindings;
    this.topLevel = new Set(Object.keys(definition.States));
    this.stateMachineArn = options.stateMachineArn;
    this.stateMachineName = options.stateMachineArn.split(':').pop() ?? options.stateMachineArn;
    this.log = options.log ?? ((message) => console.warn(message));
    this.tasks = { tokens: this.tokens, integrations: new TaskIntegrations(options), log: this.log };
    this.onExecutionEnded = options.onExecutionEnded;
    const retain = options.retainFinishedExecutions ?? DEFAULT_RETAIN_FINISHED_EXECUTIONS;
    if (!(retain === Infinity || (Number.isInteger(retain) && retain >= 0))) {
      throw new Error(`LocalStepFunctions: retainFinishedExecutions must be a non-negative integer or Infinity, got ${retain}`);
    }
    this.retainFinished = retain;
    for (const binding of bindings.values()) {
      if (binding.integration.kind === 'unsupported')
        this.log(`[local stepfunctions] state ${binding.stateName}: ${binding.integration.reason}`);
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
    if (existing && existing.status !== 'RUNNING' && params.replaceEnded) {
      this.executions.delete(executionArn);
      this.finishedOrder.delete(existing);
    } else if (existing) {
      // AWS: same name and input while running → the same execution; otherwise ExecutionAlreadyExists.
      if (existing.status === 'RUNNING' && existing.input === input && existing.startAt === startAt) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }

    const exec = newExecution({ arn: executionArn, name, input, startAt });
    this.executions.set(executionArn, exec);

    // A per-execution view of the definition whose `States` lookups tell us, synchronously, which state
    // the interpreter is entering (it reads `States[name]` once per transition): this provides `$$.State`
    // and orders the task events we record against the interpreter's own events.
    const statesView = new Proxy(this.prepared.States, {
      get: (target, property, receiver) => {
        if (typeof property === 'string' && Object.hasOwn(target, property) && !exec.closed) {
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
    for (const binding of this.bindings.values()) {
      handlers[binding.stateName] = (taskInput) => runTask(exec, binding, taskInput, this.tasks);
    }
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
    if (Buffer.byteLength(params.output) > MAX_PAYLOAD_BYTES)
      throw new StepFunctionsError('InvalidOutput', 'Invalid Output: larger than 256 KiB');
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
      exec.stopInfo = {
        ...(params.error !== undefined ? { error: params.error } : {}),
        ...(params.cause !== undefined ? { cause: params.cause } : {}),
      };
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
    if (!Number.isInteger(offset) || offset < 0 || offset > all.length)
      throw new StepFunctionsError('InvalidToken', 'Invalid pagination token');
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

  // --------------------------------------------------------------------------------- ending executions

  /** Reads the interpreter's event log into the history until the execution ends, then settles and retains it. */
  private async consume(
    exec: Execution,
    eventLogs: AsyncGenerator<any>,
    result: Promise<{ ok: true; output: unknown } | { ok: false; error: unknown }>,
  ): Promise<void> {
    try {
      for await (const event of eventLogs) {
        const end = recordLibraryEvent(exec, event, this.topLevel);
        if (end) this.finish(exec, end.status, end);
      }
    } catch (error) {
      this.log(`[local stepfunctions] ${exec.arn}: event log failed: ${String(error)}`);
    }
    if (exec.status === 'RUNNING') {
      // Should not happen (the interpreter always logs a terminal event); settle from the result.
      const outcome = await result;
      flushPending(exec, true);
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
    for (const invocation of [...exec.invocations]) endInvocation(invocation);
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
