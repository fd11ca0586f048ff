/**
 * Waiting for something that happens asynchronously (a parked task token, a status,
 * a message in the outbox), with one behaviour everywhere: poll until `ok` holds,
 * and on timeout throw an error that says what was awaited and what was last seen,
 * so a failing test names the state it stopped in instead of asserting on a stale value.
 */

export interface WaitOptions {
  /** How long to poll before giving up; 30 s unless told. */
  timeoutMs?: number;
  /** What is awaited, in words, for the timeout error ("request 42 to be active"). */
  what?: string;
  /** Pause between two reads; 50 ms unless told. */
  intervalMs?: number;
}

export class WaitTimeout extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly last: unknown,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${describe(last)}`);
    this.name = 'WaitTimeout';
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Reads until `ok` accepts the value and returns that value; throws `WaitTimeout` with the last value read. */
export async function waitFor<T, U extends T>(read: () => T | Promise<T>, ok: (value: T) => value is U, options?: WaitOptions): Promise<U>;
export async function waitFor<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, options?: WaitOptions): Promise<T>;
export async function waitFor<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 30_000, what = 'a condition', intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new WaitTimeout(what, timeoutMs, value);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** For `waitFor(read, defined)`: the value is there. */
export const defined = <T>(value: T | undefined): value is T => value !== undefined;
