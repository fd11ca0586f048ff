/**
 * The config a function runs with: the JSON esbuild inlined into its bundle
 * (infra/bundling.ts), which is `parseConfig`'s own output at synth or at `npm start`.
 * So the schema is not checked again here: zod and the config schemas cost every cold
 * start some 80 ms of module evaluation and parsing (bench section 8), for an answer known
 * at build time. What is checked again are the rules that depend on where the config is
 * used (`issuerIssues`): a bundle built for local mode (http issuers) must not serve on AWS.
 */
import { ConfigError } from '../domain/errors';
import type { Config } from './config';
import { issuerIssues, type ConfigMode } from './issuer-issues';

export function bundledConfig(configJson: string | undefined, mode: ConfigMode): Config {
  if (!configJson) throw new Error('JITGATE_CONFIG_JSON is not set: the bundle was built without its config');
  const config = JSON.parse(configJson) as Config;
  const lines = issuerIssues(config.issuers, mode).map((i) => `  ${i.path.join('.')}: ${i.message}`);
  if (lines.length) throw new ConfigError(`the bundled config is not valid:\n${lines.join('\n')}`, lines);
  return config;
}
