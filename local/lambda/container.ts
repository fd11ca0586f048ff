/**
 * One container of local mode's Lambda service (local/lambda/runtime.ts runs the pools): a worker
 * thread running worker.ts with the function's bundle, its own module scope and `process.env`,
 * one invocation at a time, its timeout enforced by terminating the thread.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { ContainerData, ContainerMessage, Invocation, LambdaErrorPayload } from './worker';

/** A function as the template describes it, and what its containers need to run it. */
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

export interface Pending {
  payload: unknown;
  /** The container dies as this invocation starts (local/faults). */
  crash?: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class Container {
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

  /** Set while idle: shuts the container down when it fires (FunctionPool.dispatch). */
  idleTimer?: NodeJS.Timeout;

  invoke(pending: Pending): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
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
    clearTimeout(this.idleTimer);
    this.dead = true;
    this.busy = true;
    void this.worker.terminate();
    this.onGone(this);
  }

  /** Set by the pool: called when this container is free for the next invocation. */
  release: () => void = () => undefined;
}
