/** State machine step MfaChallenge (.waitForTaskToken): park the token until the requester answers; no MFA: answer at once. */
import { runtime } from '../../shared/runtime';
import { parkMfaToken } from '../../shared/usecases/workflow-steps';
import { instrumented } from '../../shared/observability';

export const handler = instrumented(
  async (event: { requestId: string; taskToken: string }): Promise<void> => parkMfaToken(runtime(), event.requestId, event.taskToken),
  (event) => event.requestId,
);
