/** State machine step AwaitApproval (.waitForTaskToken): park the token and notify each approver. */
import { runtime } from '../../shared/runtime';
import { awaitApproval } from '../../shared/usecases/workflow-steps';

export async function handler(event: { requestId: string; taskToken: string; linkBase: string }): Promise<void> {
  await awaitApproval(runtime(), event.requestId, event.taskToken, event.linkBase);
}
