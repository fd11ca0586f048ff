/** State machine step Activate: the grant starts (an extension is applied instead); answers the grant to wait on. */
import { coreRuntime } from '../../shared/runtime-core';
import { instrumented } from '../../shared/observability';
import { activateGrant, type ExecutionGrant } from '../../shared/usecases/activation';

export const handler = instrumented(
  async (event: { requestId: string }): Promise<ExecutionGrant> => activateGrant(coreRuntime(), event.requestId),
  (event) => event.requestId,
);
