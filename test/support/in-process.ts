/**
 * Use cases driven in the test's own process against a running local mode, with
 * the environment a function has there (its template variables, its role's
 * credentials, the local endpoints) and the config local mode inlines in its
 * bundles: what `runtime()` would build inside that function's container.
 */
import { lambdaEntries } from '../../local/cfn';
import type { LocalJitgate } from '../../local/server';
import { fromEnv, type Deps } from '../../shared/runtime';

export function depsOf(local: LocalJitgate, entry: string): Deps {
  const entries = lambdaEntries(local.template);
  const logicalId = Object.keys(entries).find((id) => entries[id] === `functions/${entry}/index.ts`);
  if (!logicalId) throw new Error(`the template has no function for functions/${entry}/index.ts`);
  // The two expressions esbuild inlines into a bundle (infra/bundling.ts); here they are plain variables.
  Object.assign(process.env, local.lambda.environment(logicalId), {
    JITGATE_CONFIG_JSON: JSON.stringify(local.config),
    JITGATE_CONFIG_MODE: 'local',
  });
  return fromEnv(process.env);
}
