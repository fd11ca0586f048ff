/** The interpreter's records of one execution: its state, its in-flight task invocations and their task tokens. */
import { randomBytes } from 'node:crypto';
import type { TaskBinding } from './definition';
import type { Json } from './json';
import type { ExecutionStatus, HistoryEvent } from './types';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A task event recorded before the history holds its state's entry: it waits in `pending` until it does (history.ts). */
export interface PendingEvent {
  state: string;
  entry: number;
  timestamp: Date;
  type: string;
  details: Record<string, unknown>;
}

export interface Invocation {
  exec: Execution;
  binding: TaskBinding;
  entry: number;
  closed: boolean;
  timer?: NodeJS.Timeout;
  token?: string;
}

export interface TokenRecord {
  exec: Execution;
  invocation: Invocation;
  status: 'waiting' | 'succeeded' | 'failed' | 'timedOut' | 'closed';
  settle: Deferred<Json>;
}

export interface Execution {
  arn: string;
  name: string;
  input: string;
  startAt: string;
  startDate: Date;
  stopDate?: Date;
  status: ExecutionStatus;
  output?: string;
  error?: string;
  cause?: string;
  placeholder: string;
  stateContext: { Name?: string; EnteredTime?: string; RetryCount: number };
  /** Entries per top-level state, counted synchronously when the interpreter looks the state up. */
  entered: Map<string, number>;
  /** Entries per top-level state, counted by the history consumer. */
  seen: Map<string, number>;
  current?: { name: string; type: string };
  history: HistoryEvent[];
  pending: PendingEvent[];
  invocations: Set<Invocation>;
  tokens: Set<string>;
  stopInfo?: { error?: string; cause?: string };
  closed: boolean;
  /** The history consumer has finished (the history is complete). */
  finished: boolean;
  aborted: Deferred<never>;
  abort(): void;
  drained: Promise<void>;
}

/** A RUNNING execution with nothing recorded yet; `abort` and `drained` are set once the interpreter runs it. */
export function newExecution(identity: Pick<Execution, 'arn' | 'name' | 'input' | 'startAt'>): Execution {
  const exec: Execution = {
    ...identity,
    startDate: new Date(),
    status: 'RUNNING',
    placeholder: `jitgate-task-token-placeholder-${randomBytes(16).toString('hex')}`,
    stateContext: { RetryCount: 0 },
    entered: new Map(),
    seen: new Map(),
    history: [],
    pending: [],
    invocations: new Set(),
    tokens: new Set(),
    closed: false,
    finished: false,
    aborted: deferred<never>(),
    abort: () => undefined,
    drained: Promise.resolve(),
  };
  exec.aborted.promise.catch(() => undefined);
  return exec;
}
