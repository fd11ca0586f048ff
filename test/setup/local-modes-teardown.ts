/** globalTeardown of the run: stops the local modes and the DynamoDB Local the broker started. */
import type { LocalModeBroker } from '../support/shared-local-mode';

export default async function stopLocalModes(): Promise<void> {
  const broker = (globalThis as { jitgateLocalModes?: LocalModeBroker }).jitgateLocalModes;
  await broker?.close();
}
