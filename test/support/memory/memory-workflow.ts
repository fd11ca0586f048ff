/**
 * The use cases' Workflow in memory: it records the executions started and every answer
 * to a task token, and, like Step Functions, a token is answered once (`false` after
 * that, or after `expire`). `afterStart` and `afterSucceed` let a test play the state
 * machine's next step (depsForTest wires Activate).
 */
import type { ExecutionInput, Workflow } from '../../../shared/usecases/ports';

export type TaskAnswer = { token: string; succeeded: true; output: object } | { token: string; succeeded: false; cause: string };

export interface StateMachineSteps {
  afterStart?(input: ExecutionInput): Promise<void> | void;
  afterSucceed?(token: string, output: object): Promise<void> | void;
}

export class MemoryWorkflow implements Workflow {
  readonly started: ExecutionInput[] = [];
  readonly answers: TaskAnswer[] = [];
  private readonly gone = new Set<string>();

  constructor(private readonly steps: StateMachineSteps = {}) {}

  async start(input: ExecutionInput): Promise<void> {
    // One execution per request, named after it: starting it again changes nothing.
    if (this.started.some((s) => s.requestId === input.requestId)) return;
    this.started.push(structuredClone(input));
    await this.steps.afterStart?.(input);
  }

  async succeed(taskToken: string, output: object): Promise<boolean> {
    if (!this.take(taskToken)) return false;
    this.answers.push({ token: taskToken, succeeded: true, output: structuredClone(output) });
    await this.steps.afterSucceed?.(taskToken, output);
    return true;
  }

  async fail(taskToken: string, cause: string): Promise<boolean> {
    if (!this.take(taskToken)) return false;
    this.answers.push({ token: taskToken, succeeded: false, cause });
    return true;
  }

  /** The step waiting on this token timed out, or its execution ended. */
  expire(taskToken: string): void {
    this.gone.add(taskToken);
  }

  private take(taskToken: string): boolean {
    if (this.gone.has(taskToken)) return false;
    this.gone.add(taskToken);
    return true;
  }
}
