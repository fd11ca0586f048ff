/** What every `npx jitgate` command is: its help, and a run that returns the exit code. */

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
