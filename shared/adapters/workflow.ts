/**
 * Step Functions: one Standard execution per request, named after the request id
 * (so a retried create cannot start two), and the task-token callbacks that move it.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CLOSED } from '../domain/closed';
import { DependencyUnavailable } from '../domain/errors';
import type { ExecutionInput, Workflow } from '../usecases/ports';

export class StepFunctionsWorkflow implements Workflow {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(input: ExecutionInput): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: input.requestId, input: JSON.stringify(input) }),
      );
    } catch (err) {
      // Same name and input: AWS treats the call as idempotent and does not throw.
      if ((err as Error).name === 'ExecutionAlreadyExists') return;
      throw new DependencyUnavailable(`the workflow service did not start the request: ${(err as Error).name}`);
    }
  }

  /** Completes a waiting step. False when the step is gone (timed out, or already completed by a racing caller). */
  async succeed(taskToken: string, output: object): Promise<boolean> {
    return this.settle(() => this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })));
  }

  async fail(taskToken: string, cause: string): Promise<boolean> {
    return this.settle(() => this.client.send(new SendTaskFailureCommand({ taskToken, error: CLOSED, cause: cause.slice(0, 256) })));
  }

  private async settle(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (err) {
      const name = (err as Error).name;
      if (name === 'TaskDoesNotExist' || name === 'TaskTimedOut' || name === 'InvalidToken') return false;
      throw new DependencyUnavailable(`the workflow service is unavailable: ${name}`);
    }
  }
}
