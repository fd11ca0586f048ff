/** What every `npx jitgate` command is (its help, and a run that returns the exit code), and the option parsing they share. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseDuration } from '../shared/config/config';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  cwd: string;
  env: Record<string, string | undefined>;
}

export interface Command {
  /** One line for the command list. */
  summary: string;
  /** Full help, printed for `--help` and after a usage error. */
  help: string;
  run(args: string[], io: CliIo): Promise<number>;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A mistake in how the command was called: print the message and the command's help, exit 2. */
export class UsageError extends Error {}

/** node's parseArgs, its refusals (an unknown option, a missing value) turned into usage errors. */
export function parseOptions<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A duration option: a number of seconds, or 90s, 30m, 8h, 2d. */
export function duration(flag: string, text: string, zeroAllowed = false): number {
  const seconds = /^\d+$/.test(text) ? Number(text) : /^\d+(s|m|h|d)$/.test(text) ? parseDuration(text) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < (zeroAllowed ? 0 : 1)) {
    throw new UsageError(`${flag} takes a number of seconds or a duration such as 90s, 30m, 8h, 2d (got "${text}")`);
  }
  return seconds;
}
