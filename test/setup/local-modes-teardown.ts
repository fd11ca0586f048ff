/** globalTeardown of the e2e project: stops the local modes the broker started. */
import type { LocalModeBroker } from '../support/shared-local-mode';

export default async function stopLocalModes(): Promise<void> {
  const broker = (globalThis as { jitgateLocalModes?: LocalModeBroker }).jitgateLocalModes;
  await broker?.close();
}
