/**
 * Which config file a command reads, and reading it: one place for `npm start`, the CDK
 * app and the CLI, so they agree on `--config`, `$JITGATE_CONFIG` and the working
 * directory, and say the same thing when the file is missing or wrong.
 *
 * Without a config of your own, local mode (and the CLI commands that go with it) runs
 * the demo config that ships in `examples/demo/`; a deployment never does: `cdk synth`
 * and `subscriptions` need the config you wrote (`npx jitgate init`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../domain/errors';
import { parseConfig, type Config } from './config';
import type { ConfigMode } from './issuer-issues';
import { parseJsonText } from './json-text';

/** The file name looked for in the working directory. */
export const CONFIG_FILE_NAME = 'jitgate.config.json';

/** The demo config (`npm start` without a config of your own; the demo tests). */
export const DEMO_CONFIG_FILE = path.resolve(__dirname, '../../examples/demo/jitgate.config.json');

/** Where the file came from: `--config`, `$JITGATE_CONFIG`, the working directory, or the shipped demo. */
export type ConfigSource = 'flag' | 'env' | 'cwd' | 'demo';

export interface ConfigLocation {
  file: string;
  from: ConfigSource;
}

export interface LocateOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** The command's `--config` value. */
  flag?: string | undefined;
  /** Fall back to the demo config when the working directory has none (local mode, `token`, `explain`). */
  demo: boolean;
}

/** `--config`, then `$JITGATE_CONFIG` (empty counts as unset), then `./jitgate.config.json`, then the demo when allowed. */
export function locateConfig(options: LocateOptions): ConfigLocation {
  if (options.flag !== undefined) return { file: path.resolve(options.cwd, options.flag), from: 'flag' };
  const fromEnv = options.env.JITGATE_CONFIG;
  if (fromEnv) return { file: path.resolve(options.cwd, fromEnv), from: 'env' };
  const own = path.resolve(options.cwd, CONFIG_FILE_NAME);
  if (options.demo && !existsSync(own)) return { file: DEMO_CONFIG_FILE, from: 'demo' };
  return { file: own, from: 'cwd' };
}

/** A config file that is not there: its own class, so a command can call it a usage error when a flag named it. */
export class ConfigFileMissing extends ConfigError {
  constructor(readonly location: ConfigLocation) {
    super(`no config at ${location.file}; ${missingHint(location.from)}`);
    this.name = 'ConfigFileMissing';
  }
}

function missingHint(from: ConfigSource): string {
  if (from === 'flag') return 'check the path given to --config';
  if (from === 'env') return 'check the path in JITGATE_CONFIG, or unset it';
  return 'write one with `npx jitgate init`, run from the directory that has it, or name it with JITGATE_CONFIG';
}

/**
 * The file's text, parsed and validated under `mode`'s rules; errors name the file (a JSON
 * syntax error its line and column, a schema error the key and the fix).
 */
export function readConfigFile(location: ConfigLocation, mode: ConfigMode): Config {
  let text: string;
  try {
    text = readFileSync(location.file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigFileMissing(location);
    throw new ConfigError(`cannot read ${location.file}: ${(err as Error).message}`);
  }
  return parseConfig(parseJsonText(text, location.file), path.basename(location.file), { mode });
}
