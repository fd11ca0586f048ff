/**
 * Local mode's Lambda service: each function's bundle runs in containers of its own,
 * worker threads running worker.ts, each with its own module scope and its own
 * `process.env` (the Worker `env` option). As on Lambda, a container takes one
 * invocation at a time and stays warm for the next; when every container of a
 * function is busy another is started, up to `maxContainers`, after which
 * invocations queue (Lambda would throttle at its concurrency limit instead).
 *
 * The template's `Timeout` is enforced: the invocation fails with Lambda's
 * `Sandbox.Timedout` error and the container is terminated, even in a busy loop.
 * A handler's error reaches the caller as Lambda reports it, errorType = the
 * error's name, which is what Step Functions Retry/Catch and API Gateway see.
 *
 * Why worker threads and not child processes: 1,000 concurrent lifecycles must
 * fit local mode's memory budget, and a worker shares the process's Node binary,
 * code pages and libuv pool (a child process costs ~40 MB before loading anything);
 * `terminate()` stops a worker as surely as a kill, so timeouts stay enforceable.
 */
import { Container, LambdaFunctionError, type LocalFunction, type Pending } from './container';

export interface LocalLambdaOptions {
  functions: LocalFunction[];
  /** The bundled bootstrap (local/lambda/bundles.ts `worker`). */
  workerFile: string;
  /** Containers per function at most (one figure, or one per function); more invocations queue. */
  maxContainers?: number | ((fn: LocalFunction) => number);
  /** A container idle this long is shut down, as Lambda reclaims idle ones (default IDLE_RECLAIM_MS). */
  idleMs?: number;
  /**
   * Each line a function writes to stdout (its Powertools log lines and EMF metrics), after it
   * is printed on local mode's console as before: local/metrics.ts reads the metrics from them.
   */
  onLogLine?: (functionName: string, line: string) => void;
}

/**
 * Containers per function unless told otherwise: each warm one costs about 12 MB of local mode's memory under
 * `npm start`'s flags (a bare worker ~8 MB, the bundle's code and module state the rest; 20 MB without
 * MALLOC_ARENA_MAX), a busy one about twice that (the garbage of its invocations), and local mode aims at
 * 300 MB under the bench's 1,000 lifecycles. On the machines local mode runs on, more than two containers of a function add
 * memory, not throughput: the handlers wait on DynamoDB Local and the state machine, which share those cores.
 */
export const DEFAULT_MAX_CONTAINERS = 2;

/**
 * Local mode's choice: two containers for the functions behind the API, where concurrent requests race on
 * the same items as on AWS (the model tests rely on it), and one for the state machine's steps, whose
 * invocations are short and independent: a second one added memory, not throughput (bench section 5:
 * 7.7 lifecycles/s either way, and 262 MB at the peak with one container per function against 327 MB).
 */
export function containersFor(behindApi: ReadonlySet<string>): (fn: LocalFunction) => number {
  return (fn) => (behindApi.has(fn.logicalId) ? DEFAULT_MAX_CONTAINERS : 1);
}

/**
 * Lambda reclaims a container nobody called for a while (minutes; AWS does not say how many), and the next
 * call is a cold start. Local mode does so after a minute: the containers of functions a session does not
 * call (the console, the approval page...) and a burst's second containers then give their memory back.
 */
export const IDLE_RECLAIM_MS = 60_000;

class FunctionPool {
  private readonly containers = new Set<Container>();
  private readonly queue: Pending[] = [];
  private clockOffsetMs = 0;

  constructor(
    readonly fn: LocalFunction,
    private readonly workerFile: string,
    private readonly max: number,
    private readonly idleMs: number,
    private readonly onLogLine?: (functionName: string, line: string) => void,
  ) {}

  get size(): number {
    return this.containers.size;
  }

  /** Starts one container and waits for its init (local mode's start, so the first call is warm). */
  async warm(): Promise<void> {
    await this.spawn().ready;
  }

  invoke(payload: unknown, crash: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ payload, resolve, reject, crash });
      this.dispatch();
    });
  }

  private spawn(): Container {
    const container = new Container(
      this.fn,
      this.workerFile,
      (gone) => {
        this.containers.delete(gone);
        this.dispatch();
      },
      this.onLogLine,
      this.clockOffsetMs,
    );
    // A container of a host whose clock was set otherwise since (local/faults) serves no more.
    container.release = () => (container.clockOffsetMs === this.clockOffsetMs ? this.dispatch() : container.discard());
    container.busy = true;
    this.containers.add(container);
    container.ready.then(
      () => {
        container.busy = false;
        this.dispatch();
      },
      (err: Error) => {
        // A container that cannot init fails the invocation that waited for it, as a cold start does on Lambda.
        this.queue.shift()?.reject(err);
      },
    );
    return container;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const idle = [...this.containers].find((c) => !c.busy && !c.dead);
      if (idle) {
        idle.invoke(this.queue.shift()!);
        continue;
      }
      // Every container is busy or starting: one more cold start per waiting call, up to the cap.
      if (this.containers.size < this.max) this.spawn();
      return;
    }
    for (const c of this.containers) if (!c.busy && !c.dead) c.idleTimer ??= setTimeout(() => c.discard(), this.idleMs).unref();
  }

  /** The next containers start with this clock; idle ones with another go, busy ones once done. */
  skewClock(offsetMs: number): void {
    this.clockOffsetMs = offsetMs;
    for (const c of [...this.containers]) if (!c.busy && c.clockOffsetMs !== offsetMs) c.discard();
  }
  crashRunning(): void {
    for (const c of [...this.containers]) c.crash();
  }

  async close(): Promise<void> {
    const all = [...this.containers];
    this.containers.clear();
    for (const pending of this.queue.splice(0)) pending.reject(new Error('local mode is stopping'));
    await Promise.all(all.map((c) => c.worker.terminate()));
  }
}

export class LocalLambda {
  private readonly pools = new Map<string, FunctionPool>();
  /** Functions whose invocations wait (see `hold`). */
  private readonly gates = new Map<string, Promise<void>>();

  constructor(options: LocalLambdaOptions) {
    const given = options.maxContainers ?? DEFAULT_MAX_CONTAINERS;
    const idleMs = options.idleMs ?? IDLE_RECLAIM_MS;
    for (const fn of options.functions) {
      const max = typeof given === 'function' ? given(fn) : given;
      if (!Number.isInteger(max) || max < 1) throw new Error(`maxContainers must be a whole number of at least 1, got ${max}`);
      this.pools.set(fn.logicalId, new FunctionPool(fn, options.workerFile, max, idleMs, options.onLogLine));
    }
  }

  /** One warm container per function; rejects naming the function whose code does not load. */
  async warm(): Promise<void> {
    await Promise.all(
      [...this.pools.values()].map((pool) =>
        pool.warm().catch((err: Error) => {
          throw new Error(`function ${pool.fn.logicalId} (${pool.fn.bundle}) failed to initialize: ${err.name}: ${err.message}`);
        }),
      ),
    );
  }

  /** Invokes a function by id (RequestResponse); an error rejects with a {@link LambdaFunctionError}. `crash`: local/faults. */
  invoke(logicalId: string, payload: unknown, opts: { crash?: boolean } = {}): Promise<unknown> {
    const crash = opts.crash === true;
    const pool = this.pools.get(logicalId);
    if (!pool)
      return Promise.reject(
        new LambdaFunctionError({ errorType: 'ResourceNotFoundException', errorMessage: `Function not found: ${logicalId}`, trace: [] }),
      );
    const gate = this.gates.get(logicalId);
    return gate ? gate.then(() => pool.invoke(payload, crash)) : pool.invoke(payload, crash);
  }

  /**
   * Holds back every invocation of a function until the returned release is called, as a
   * slow cold start or a throttled Lambda would: the interleavings that are rare on AWS
   * (an answer that arrives before its task token is parked) become reproducible.
   */
  hold(logicalId: string): () => void {
    if (!this.pools.has(logicalId)) throw new Error(`no function ${logicalId}; functions: ${[...this.pools.keys()].join(', ')}`);
    let release!: () => void;
    this.gates.set(logicalId, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.gates.delete(logicalId);
      release();
    };
  }

  /** local/faults: the running invocations of the functions signing with `accessKeyId` die mid-way. */
  crashRunning(accessKeyId: string): void {
    for (const pool of this.pools.values()) if (pool.fn.environment.AWS_ACCESS_KEY_ID === accessKeyId) pool.crashRunning();
  }

  /**
   * local/faults: every function's clock `seconds` ahead (negative: behind), in new containers (a host
   * whose clock is off); the state machine keeps the real one.
   */
  skewClock(seconds: number): void {
    for (const pool of this.pools.values()) pool.skewClock(seconds * 1000);
  }

  /** The variables a function's containers see (a copy). */
  environment(logicalId: string): Record<string, string> {
    const pool = this.pools.get(logicalId);
    if (!pool) throw new Error(`no function ${logicalId}; functions: ${[...this.pools.keys()].join(', ')}`);
    return { ...pool.fn.environment };
  }

  /** Containers alive per function. */
  containers(): Record<string, number> {
    return Object.fromEntries([...this.pools].map(([id, pool]) => [id, pool.size]));
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}
