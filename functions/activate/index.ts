/** State machine step Activate: the grant starts (an extension is applied instead); answers the grant's times. */
import { runtime } from '../../shared/runtime';
import { instrumented } from '../../shared/observability';
import { activateGrant } from '../../shared/usecases/activation';
import type { GrantTimes } from '../../shared/domain/grant';

export const handler = instrumented(
  async (event: { requestId: string }): Promise<GrantTimes> => activateGrant(runtime(), event.requestId),
  (event) => event.requestId,
);
