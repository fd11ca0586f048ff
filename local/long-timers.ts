/**
 * Node runs a `setTimeout` longer than 2^31-1 ms (about 24.8 days) after 1 ms, with only
 * a TimeoutOverflowWarning (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args).
 * Step Functions waits up to a year, so a local Wait or task timeout past 24.8 days would
 * end at once. aws-local-stepfunctions calls the global `setTimeout` for its Wait states
 * and task timeouts, so local mode installs this wrapper on the global: delays that Node
 * honours go straight to the original; longer ones become a chain of timers, each at most
 * the limit, re-aimed at the due time by the clock, so they fire when it is reached.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TimerHost {
  setTimeout: (callback: (...args: any[]) => void, ms?: number, ...args: any[]) => any;
  clearTimeout: (handle: any) => void;
  Date: { now(): number };
}

const INSTALLED = Symbol.for('jitgate.longTimers');

/** The handle of a chained timer; `clearTimeout` on it stops the chain. */
export class LongTimeout {
  private current: any;
  private stopped = false;
  private referenced = true;

  constructor(
    private readonly host: Pick<TimerHost, 'Date'> & { set: TimerHost['setTimeout']; clear: TimerHost['clearTimeout'] },
    private readonly due: number,
    private readonly fire: () => void,
  ) {
    this.arm();
  }

  private arm(): void {
    const left = this.due - this.host.Date.now();
    if (left <= 0) {
      this.stopped = true;
      this.fire();
      return;
    }
    this.current = this.host.set(() => this.arm(), Math.min(left, MAX_TIMER_MS));
    if (!this.referenced) this.current?.unref?.();
  }

  cancel(): void {
    this.stopped = true;
    this.host.clear(this.current);
  }

  hasRef(): boolean {
    return this.referenced;
  }

  ref(): this {
    this.referenced = true;
    if (!this.stopped) this.current?.ref?.();
    return this;
  }

  unref(): this {
    this.referenced = false;
    if (!this.stopped) this.current?.unref?.();
    return this;
  }
}

/**
 * Wraps `host.setTimeout` / `host.clearTimeout` (the global by default) so delays above
 * `MAX_TIMER_MS` are chained. Installing twice on the same functions does nothing; after
 * something else replaced them (jest's fake timers), installing again wraps the new ones.
 */
export function installLongTimers(host: TimerHost = globalThis as unknown as TimerHost): void {
  const originalSet = host.setTimeout as TimerHost['setTimeout'] & { [INSTALLED]?: true };
  if (originalSet[INSTALLED]) return;
  const originalClear = host.clearTimeout;
  const chain = { Date: host.Date, set: originalSet.bind(host), clear: originalClear.bind(host) };
  const setLong = function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]) {
    if (typeof ms === 'number' && ms > MAX_TIMER_MS && Number.isFinite(ms)) {
      return new LongTimeout(chain, host.Date.now() + ms, () => callback(...args));
    }
    return originalSet.call(host, callback, ms, ...args);
  };
  // Keep what Node hangs on its setTimeout (util.promisify.custom).
  for (const key of Reflect.ownKeys(originalSet)) {
    if (key !== 'length' && key !== 'name' && key !== 'prototype')
      Object.defineProperty(setLong, key, Object.getOwnPropertyDescriptor(originalSet, key)!);
  }
  Object.defineProperty(setLong, INSTALLED, { value: true });
  host.setTimeout = setLong;
  host.clearTimeout = function clearTimeout(handle: any) {
    if (handle instanceof LongTimeout) handle.cancel();
    else originalClear.call(host, handle);
  };
}
