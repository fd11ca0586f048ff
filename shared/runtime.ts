/**
 * The edge where the environment is read, once per Lambda container (local mode's
 * containers too): config, clients and keys become a typed `Deps` that the use
 * cases receive. Nothing below this reads `process.env`. `authorize` takes only the
 * core of it (shared/runtime-core.ts).
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { linkKeyLoader } from './adapters/secrets';
import { StepFunctionsWorkflow } from './adapters/workflow';
import { CLIENT_OPTIONS, coreFromEnv, coreRuntime, resetCoreRuntime, type CoreDeps } from './runtime-core';
import type { Workflow } from './usecases/ports';

/** What every use case receives: the config, the ports (shared/usecases/ports.ts) and the keys. */
export interface Deps extends CoreDeps {
  workflow: Workflow;
  linkKey(): Promise<Buffer>;
  /** Base URL for links in notifications when the API sits behind a custom domain. */
  publicUrl?: string;
}

let deps: Deps | undefined;

export function runtime(): Deps {
  deps ??= withRest(coreRuntime(), process.env);
  return deps;
}

/** For tests that change the environment between runs. */
export function resetRuntime(): void {
  deps = undefined;
  resetCoreRuntime();
}

export function fromEnv(env: NodeJS.ProcessEnv): Deps {
  return withRest(coreFromEnv(env), env);
}

function withRest(core: CoreDeps, env: NodeJS.ProcessEnv): Deps {
  return {
    ...core,
    workflow: new StepFunctionsWorkflow(new SFNClient(CLIENT_OPTIONS), env.STATE_MACHINE_ARN ?? ''),
    linkKey: linkKeyLoader(env.LINK_KEY_SECRET_ARN),
    publicUrl: env.PUBLIC_URL || undefined,
  };
}
