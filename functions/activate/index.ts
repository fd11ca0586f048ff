/** State machine step Activate: the grant starts (an extension is applied instead); answers the grant to wait on. */
import { runtime } from '../../shared/runtime';
import { instrumented } from '../../shared/observability';
import { activateGrant, type ExecutionGrant } from '../../shared/usecases/activation';

export const handler = instrumented(
  async (event: { requestId: string }): Promise<ExecutionGrant> => activateGrant(runtime(), event.requestId),
  (event) => event.requestId,
);
