/** globalSetup of the run: the broker that shares one DynamoDB Local, and one local mode per config (test/support/shared-local-mode.ts). */
import { LocalModeBroker } from '../support/shared-local-mode';

export default async function startLocalModeBroker(): Promise<void> {
  (globalThis as { jitgateLocalModes?: LocalModeBroker }).jitgateLocalModes = await LocalModeBroker.listen();
}
