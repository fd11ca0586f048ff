/**
 * The AWS-shaped execution history, built from two sources: the interpreter's event log (read by the
 * consumer, in order) and the task events our Task handlers record as they happen. A task event can be
 * recorded before the consumer has read its state's entry; it waits in `pending` so the history keeps
 * AWS's order (StateEntered, then the task's events).
 */
import type { Execution, Invocation, PendingEvent } from './execution';
import { stringify } from './json';
import type { ExecutionStatus } from './types';

/** How an execution ended, as its terminal history event tells. */
export interface ExecutionEnd {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  output?: string;
  error?: string;
  cause?: string;
}

const STATE_EVENT_PREFIX: Record<string, string> = {
  Task: 'Task',
  Choice: 'Choice',
  Wait: 'Wait',
  Pass: 'Pass',
  Succeed: 'Succeed',
  Fail: 'Fail',
  Map: 'Map',
  Parallel: 'Parallel',
};

export function taskEvent(invocation: Invocation, type: string, detailsKey?: string, details?: Record<string, unknown>): void {
  const exec = invocation.exec;
  if (exec.closed) return;
  const detailsObject = detailsKey ? { [detailsKey]: details ?? {} } : {};
  const state = invocation.binding.stateName;
  if (exec.pending.length === 0 && invocation.entry <= (exec.seen.get(state) ?? 0)) {
    // The consumer has already logged this state's entry: nothing of the interpreter's can come in between.
    pushEvent(exec, type, new Date(), detailsObject);
    return;
  }
  exec.pending.push({ state, entry: invocation.entry, timestamp: new Date(), type, details: detailsObject });
}

function pushEvent(exec: Execution, type: string, timestamp: Date, details: Record<string, unknown> = {}): void {
  const id = exec.history.length + 1;
  exec.history.push({ id, previousEventId: id - 1, timestamp, type, ...details });
}

/** Moves the recorded task events whose state entry the consumer has already seen into the history. */
export function flushPending(exec: Execution, all = false): void {
  if (exec.pending.length === 0) return;
  const keep: PendingEvent[] = [];
  for (const event of exec.pending) {
    if (all || event.entry <= (exec.seen.get(event.state) ?? 0)) {
      pushEvent(exec, event.type, event.timestamp, event.details);
    } else {
      keep.push(event);
    }
  }
  exec.pending = keep;
}

/**
 * Appends what one event of the interpreter's log means in AWS's history; for a terminal event, returns how
 * the execution ended (the caller settles it). `topLevelStates`: the names of the definition's top-level states.
 */
export function recordLibraryEvent(exec: Execution, event: any, topLevelStates: Set<string>): ExecutionEnd | undefined {
  const timestamp = new Date(typeof event.timestamp === 'number' ? event.timestamp : Date.now());
  const state = event.state as { name: string; type: string; input?: unknown; output?: unknown } | undefined;
  const prefix = state ? (STATE_EVENT_PREFIX[state.type] ?? state.type) : '';
  const topLevel = state !== undefined && event.index === undefined && topLevelStates.has(state.name);
  switch (event.type) {
    case 'ExecutionStarted':
      pushEvent(exec, 'ExecutionStarted', timestamp, {
        executionStartedEventDetails: { input: exec.input, inputDetails: { truncated: false }, roleArn: 'local' },
      });
      return;
    case 'StateEntered':
      if (topLevel) {
        exec.seen.set(state!.name, (exec.seen.get(state!.name) ?? 0) + 1);
        exec.current = { name: state!.name, type: state!.type };
      }
      pushEvent(exec, `${prefix}StateEntered`, timestamp, {
        stateEnteredEventDetails: { name: state!.name, input: stringify(state!.input), inputDetails: { truncated: false } },
      });
      flushPending(exec);
      return;
    case 'StateExited':
      flushPending(exec);
      pushEvent(exec, `${prefix}StateExited`, timestamp, {
        stateExitedEventDetails: { name: state!.name, output: stringify(state!.output), outputDetails: { truncated: false } },
      });
      if (topLevel && exec.current?.name === state!.name) delete exec.current;
      return;
    case 'StateFailed':
    case 'StateRetried':
    case 'StateCaught':
      // No AWS event of their own: the task events (TaskFailed, TaskTimedOut) and the next
      // StateExited / ExecutionFailed tell the story.
      flushPending(exec);
      return;
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed': {
      const key = `mapIteration${event.type.slice('MapIteration'.length)}EventDetails`;
      pushEvent(exec, event.type, timestamp, { [key]: { name: event.parentState?.name, index: event.index } });
      return;
    }
    case 'ExecutionSucceeded':
      flushPending(exec, true);
      pushEvent(exec, 'ExecutionSucceeded', timestamp, {
        executionSucceededEventDetails: { output: stringify(event.output), outputDetails: { truncated: false } },
      });
      return { status: 'SUCCEEDED', output: stringify(event.output) };
    case 'ExecutionFailed': {
      flushPending(exec, true);
      const cause =
        typeof event.Cause === 'string' ? event.Cause : event.Cause instanceof Error ? event.Cause.message : stringify(event.Cause);
      pushEvent(exec, 'ExecutionFailed', timestamp, { executionFailedEventDetails: { error: event.Error, cause } });
      return { status: 'FAILED', error: event.Error, cause };
    }
    case 'ExecutionAborted':
      flushPending(exec, true);
      if (exec.current && ['Task', 'Wait', 'Map', 'Parallel'].includes(exec.current.type)) {
        pushEvent(exec, `${exec.current.type}StateAborted`, timestamp, {
          stateExitedEventDetails: { name: exec.current.name, output: 'null', outputDetails: { truncated: false } },
        });
      }
      pushEvent(exec, 'ExecutionAborted', timestamp, { executionAbortedEventDetails: { ...exec.stopInfo } });
      return;
    case 'ExecutionTimeout':
      flushPending(exec, true);
      pushEvent(exec, 'ExecutionTimedOut', timestamp, {
        executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'The execution timed out (TimeoutSeconds)' },
      });
      return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution timed out (TimeoutSeconds)' };
    default:
      // Parallel branch events and anything newer: not part of the AWS history.
      return;
  }
}
