/**
 * Local mode's Lambda runtime bootstrap, run in a worker thread: one function
 * container. It loads one bundle (the init phase), then takes one invocation at a
 * time from local/lambda/runtime.ts and answers as Lambda's runtime API does: the
 * result as JSON, or `{ errorType, errorMessage, trace }` with errorType = the
 * thrown error's name
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html).
 *
 * It is bundled on its own by local/lambda/bundles.ts and imports nothing of jitgate:
 * the function's code reaches this thread only through its bundle.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

export interface ContainerData {
  bundle: string;
  /** The export named by the function's `Handler` (`index.handler` → `handler`). */
  handlerExport: string;
  functionName: string;
  functionArn: string;
  memorySize: number;
  logGroupName: string;
  logStreamName: string;
  /** How far the container's clock is off (local/faults: a skewed clock); 0 normally. */
  clockOffsetMs: number;
}

export type ContainerMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: LambdaErrorPayload }
  | { type: 'result'; id: number; ok: true; payload: string }
  | { type: 'result'; id: number; ok: false; error: LambdaErrorPayload }
  /** The container is going away (uncaught exception, unhandled rejection) while `id` runs. */
  | { type: 'crash'; error: LambdaErrorPayload };

export interface Invocation {
  type: 'invoke';
  id: number;
  requestId: string;
  /** The event as JSON text, as Lambda hands it over. */
  event: string;
  /** Epoch milliseconds when the invocation times out. */
  deadline: number;
}

export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

type Handler = (event: unknown, context: unknown, callback: (err?: unknown, result?: unknown) => void) => unknown;

function errorPayload(err: unknown, fallbackType = 'Error'): LambdaErrorPayload {
  if (err instanceof Error) {
    return {
      errorType: err.name || fallbackType,
      errorMessage: err.message,
      trace: (err.stack ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    };
  }
  return { errorType: fallbackType, errorMessage: typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err)), trace: [] };
}

/** Lambda's names for a module that cannot be loaded (runtime-interface-client UserFunction.js). */
function initErrorPayload(err: unknown): LambdaErrorPayload {
  const payload = errorPayload(err);
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return { ...payload, errorType: 'Runtime.ImportModuleError' };
  if (err instanceof SyntaxError) return { ...payload, errorType: 'Runtime.UserCodeSyntaxError' };
  return payload;
}

/**
 * `Date` reads the real clock plus `offsetMs`: what the function sees on a host whose clock is off.
 * Installed before the bundle loads, so code that keeps a reference to `Date.now` (the token
 * verifier does) reads the same clock; a container without a skew runs on Node's own Date.
 */
function skewClock(offsetMs: number): void {
  if (offsetMs === 0) return;
  const Real = Date;
  const Skewed = function (this: unknown, ...args: unknown[]) {
    if (!new.target) return new Real(Real.now() + offsetMs).toString();
    return args.length === 0 ? new Real(Real.now() + offsetMs) : new (Real as new (...a: unknown[]) => Date)(...args);
  } as unknown as DateConstructor;
  Object.assign(Skewed, { now: () => Real.now() + offsetMs, parse: Real.parse, UTC: Real.UTC });
  Object.defineProperty(Skewed, 'prototype', { value: Real.prototype });
  globalThis.Date = Skewed;
}

async function main(): Promise<void> {
  const port = parentPort!;
  const data = workerData as ContainerData;
  const post = (message: ContainerMessage) => port.postMessage(message);
  skewClock(data.clockOffsetMs);

  // As on Lambda, an error nobody awaits ends the container (the parent discards it).
  process.on('unhandledRejection', (reason) => {
    post({ type: 'crash', error: { ...errorPayload(reason), errorType: 'Runtime.UnhandledPromiseRejection' } });
    process.exit(128);
  });
  process.on('uncaughtException', (err) => {
    post({ type: 'crash', error: errorPayload(err) });
    process.exit(129);
  });

  // The SDK warns once per container when Node is older than 22; Lambda runs 22, so on AWS it never does.
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    if (!String(warning).startsWith('NodeVersionSupportWarning')) emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;

  let handler: Handler;
  try {
    const mod = (await import(pathToFileURL(data.bundle).href)) as Record<string, unknown>;
    const exported = mod[data.handlerExport];
    if (typeof exported !== 'function') {
      post({
        type: 'init-error',
        error: {
          errorType: 'Runtime.HandlerNotFound',
          errorMessage: `index.${data.handlerExport} is undefined or not exported`,
          trace: [],
        },
      });
      return;
    }
    handler = exported as Handler;
  } catch (err) {
    post({ type: 'init-error', error: initErrorPayload(err) });
    return;
  }
  post({ type: 'ready' });

  port.on('message', (invocation: Invocation) => {
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: data.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: data.functionArn,
      memoryLimitInMB: String(data.memorySize),
      awsRequestId: invocation.requestId,
      logGroupName: data.logGroupName,
      logStreamName: data.logStreamName,
      getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    void (async () => {
      try {
        const result = await new Promise<unknown>((resolve, reject) => {
          // Async handlers return a promise; callback handlers (Node 22 still has them) call back.
          const returned = handler(JSON.parse(invocation.event), context, (err, value) => (err ? reject(err) : resolve(value)));
          if (returned && typeof (returned as Promise<unknown>).then === 'function') (returned as Promise<unknown>).then(resolve, reject);
        });
        // Lambda returns the result as JSON: what does not serialize fails the invocation.
        post({ type: 'result', id: invocation.id, ok: true, payload: JSON.stringify(result) ?? 'null' });
      } catch (err) {
        post({ type: 'result', id: invocation.id, ok: false, error: errorPayload(err) });
      }
    })();
  });
}

void main();
