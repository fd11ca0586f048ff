/** State machine step MfaChallenge (.waitForTaskToken): park the token until the requester answers. */
import { runtime } from '../../shared/runtime';
import { parkMfaToken } from '../../shared/usecases/workflow-steps';

export async function handler(event: { requestId: string; taskToken: string }): Promise<void> {
  await parkMfaToken(runtime(), event.requestId, event.taskToken);
}
