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
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { ContainerData, ContainerMessage, Invocation, LambdaErrorPayload } from './worker';

export interface LocalFunction {
  /** The function's logical id, also its local function name. */
  logicalId: string;
  functionArn: string;
  /** Absolute path of its bundle. */
  bundle: string;
  /** `Handler` of the template (`index.handler`). */
  handler: string;
  /** Exactly the variables the container sees. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
}

export interface LocalLambdaOptions {
  functions: LocalFunction[];
  /** The bundled bootstrap (local/lambda/bundles.ts `worker`). */
  workerFile: string;
  /** Containers per function at most; more invocations queue. */
  maxContainers?: number;
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
 * A container's young generation, MB. V8's default lets each isolate's new space grow to tens of MB
 * under allocation-heavy load (the AWS SDK's per-call objects), and a worker keeps those pages: with a
 * dozen busy containers that was most of local mode's peak RSS (bench section 5). Short-lived garbage
 * is collected sooner instead, at a small cost in scavenges.
 */
const YOUNG_GENERATION_MB = 4;

/** A failed invocation, as the Lambda Invoke API reports it (`X-Amz-Function-Error` with this payload). */
export class LambdaFunctionError extends Error {
  readonly errorType: string;
  readonly trace: string[];
  constructor(payload: LambdaErrorPayload) {
    super(payload.errorMessage);
    this.name = payload.errorType;
    this.errorType = payload.errorType;
    this.trace = payload.trace;
    this.stack = [`${payload.errorType}: ${payload.errorMessage}`, ...payload.trace.slice(1)].join('\n    ');
  }
}

interface Pending {
  payload: unknown;
  /** The container dies as this invocation starts (local/faults). */
  crash?: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

class Container {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  busy = false;
  dead = false;
  private current?: { id: number; pending: Pending; timer: NodeJS.Timeout };
  private nextId = 1;

  constructor(
    private readonly fn: LocalFunction,
    workerFile: string,
    private readonly onGone: (c: Container) => void,
    onLogLine?: (functionName: string, line: string) => void,
    readonly clockOffsetMs = 0,
  ) {
    const data: ContainerData = {
      clockOffsetMs,
      bundle: fn.bundle,
      handlerExport: fn.handler.split('.').pop() ?? 'handler',
      functionName: fn.logicalId,
      functionArn: fn.functionArn,
      memorySize: fn.memorySize,
      logGroupName: `/aws/lambda/${fn.logicalId}`,
      logStreamName: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    };
    this.worker = new Worker(workerFile, {
      workerData: data,
      env: { ...fn.environment },
      // No tsx loader or flags of the parent: the container runs the bundle as Lambda's Node would.
      execArgv: [],
      // The function's MemorySize bounds its heap, as the container's memory does on Lambda.
      resourceLimits: { maxOldGenerationSizeMb: fn.memorySize, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      // Read here, line by line, then printed on the console as Node would have piped it.
      stdout: Boolean(onLogLine),
    });
    if (onLogLine) {
      createInterface({ input: this.worker.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        process.stdout.write(`${line}\n`);
        onLogLine(fn.logicalId, line);
      });
    }
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: ContainerMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'init-error') {
          reject(new LambdaFunctionError(message.error));
          this.discard();
        }
      };
      this.worker.once('message', onMessage);
      this.worker.once('exit', (code) =>
        reject(
          new LambdaFunctionError({
            errorType: 'Runtime.ExitError',
            errorMessage: `RequestId: init Error: Runtime exited with error: exit status ${code}`,
            trace: [],
          }),
        ),
      );
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (message: ContainerMessage) => this.onMessage(message));
    this.worker.on('error', (err) =>
      this.fail({
        errorType: (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'Runtime.OutOfMemory' : err.name,
        errorMessage: err.message,
        trace: [],
      }),
    );
    this.worker.on('exit', (code) =>
      this.fail({ errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: exit status ${code}`, trace: [] }),
    );
  }

  invoke(pending: Pending): void {
    this.busy = true;
    const id = this.nextId++;
    const requestId = randomUUID();
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    const timer = setTimeout(() => {
      this.fail({
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${requestId} Error: Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds`,
        trace: [],
      });
    }, timeoutMs);
    this.current = { id, pending, timer };
    let event: string;
    try {
      event = JSON.stringify(pending.payload ?? null);
    } catch (err) {
      this.settle(id, {
        errorType: 'InvalidRequestContentException',
        errorMessage: `Could not serialize the request payload: ${(err as Error).message}`,
        trace: [],
      });
      return;
    }
    this.worker.postMessage({ type: 'invoke', id, requestId, event, deadline: Date.now() + timeoutMs } satisfies Invocation);
    if (pending.crash) this.crash();
  }

  private onMessage(message: ContainerMessage): void {
    if (message.type === 'result')
      this.settle(message.id, message.ok ? undefined : message.error, message.ok ? message.payload : undefined);
    else if (message.type === 'crash') this.fail(message.error);
  }

  private settle(id: number, error: LambdaErrorPayload | undefined, payload?: string): void {
    const current = this.current;
    if (!current || current.id !== id) return;
    clearTimeout(current.timer);
    this.current = undefined;
    this.busy = false;
    if (error) current.pending.reject(new LambdaFunctionError(error));
    else current.pending.resolve(JSON.parse(payload ?? 'null'));
    if (!this.dead) this.release();
  }

  /** The container ends; an invocation in flight fails with `error`. */
  private fail(error: LambdaErrorPayload): void {
    const current = this.current;
    this.discard();
    if (current) {
      clearTimeout(current.timer);
      this.current = undefined;
      current.pending.reject(new LambdaFunctionError(error));
    }
  }

  /** local/faults: a runtime that dies mid-invocation. */
  crash(): void {
    if (this.current) this.fail({ errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited with error: signal: killed', trace: [] });
  }

  discard(): void {
    if (this.dead) return;
    this.dead = true;
    this.busy = true;
    void this.worker.terminate();
    this.onGone(this);
  }

  /** Set by the pool: called when this container is free for the next invocation. */
  release: () => void = () => undefined;
}

class FunctionPool {
  private readonly containers = new Set<Container>();
  private readonly queue: Pending[] = [];
  private clockOffsetMs = 0;

  constructor(
    readonly fn: LocalFunction,
    private readonly workerFile: string,
    private readonly max: number,
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
    const max = options.maxContainers ?? DEFAULT_MAX_CONTAINERS;
    if (!Number.isInteger(max) || max < 1) throw new Error(`maxContainers must be a whole number of at least 1, got ${max}`);
    for (const fn of options.functions) this.pools.set(fn.logicalId, new FunctionPool(fn, options.workerFile, max, options.onLogLine));
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
