/**
 * The faults a test switches on in local mode (`local.faults.inject(...)`): never on by
 * default, each consumed by the calls it hits, so a test says exactly how many calls fail
 * ("throttle the next two TransactWriteItems") and the retries around them can be watched.
 * Pure bookkeeping: where a fault takes effect is local/faults/inject.ts.
 */

/** The AWS services local mode serves; `lambda` is a function's container itself. */
export type FaultService = 'dynamodb' | 'sfn' | 'sns' | 'lambda';

/**
 * - `throttle`: the service's throttling error (DynamoDB `ProvisionedThroughputExceededException`,
 *   Step Functions `ThrottlingException`, SNS `Throttled`), or `error` when given;
 * - `unavailable`: a 5xx (`InternalServerError` for DynamoDB, `ServiceUnavailable` for Step
 *   Functions, `InternalError` for SNS), or `error`;
 * - `conflict`: DynamoDB's `TransactionCanceledException` with a `TransactionConflict` reason;
 * - `timeout`: the call is never answered (the caller's SDK gives up: shared/runtime.ts);
 * - `crash`: the container of the function that makes the call dies while the call is in flight
 *   (with `service: 'lambda'`, `operation` names the function entry, e.g. `api`: its container dies
 *   as the invocation starts).
 */
export type FaultKind = 'throttle' | 'unavailable' | 'conflict' | 'timeout' | 'crash';

/** Who makes the call: a function (through `/dev/aws/*`) or a Task state of the state machine. */
export type FaultCaller = 'function' | 'stateMachine';

export interface FaultSpec {
  service: FaultService;
  /** The API operation (`TransactWriteItems`, `StartExecution`, `Publish`), or the function entry for `lambda`. */
  operation: string;
  kind: FaultKind;
  /** How many calls fail; default 1. */
  times?: number;
  /** Only calls from this caller; default both. */
  caller?: FaultCaller;
  /** The error name to answer instead of the kind's default (`ThrottlingException`...). */
  error?: string;
}

export interface ArmedFault extends Required<Omit<FaultSpec, 'caller' | 'error'>>, Pick<FaultSpec, 'caller' | 'error'> {
  /** Calls this fault has hit so far. */
  hits: number;
}

const KINDS: Record<FaultService, readonly FaultKind[]> = {
  dynamodb: ['throttle', 'unavailable', 'conflict', 'timeout', 'crash'],
  sfn: ['throttle', 'unavailable', 'timeout', 'crash'],
  sns: ['throttle', 'unavailable', 'timeout', 'crash'],
  lambda: ['crash'],
};

/** A call a fault hit, for tests to prove their fault took effect. */
export interface FaultHit {
  service: FaultService;
  operation: string;
  kind: FaultKind;
  caller: FaultCaller;
}

export class LocalFaults {
  private armed: ArmedFault[] = [];
  private readonly log: FaultHit[] = [];

  /** Arms a fault; the calls it hits fail in order, the first matching fault first. */
  inject(spec: FaultSpec): void {
    const kinds = KINDS[spec.service];
    if (!kinds) throw new Error(`no fault for service "${spec.service}"; services: ${Object.keys(KINDS).join(', ')}`);
    if (!kinds.includes(spec.kind)) throw new Error(`${spec.service} takes the faults ${kinds.join(', ')}, not "${spec.kind}"`);
    const times = spec.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error(`times must be a whole number of at least 1, got ${times}`);
    if (spec.service === 'lambda' && spec.caller)
      throw new Error('a lambda fault hits every invocation of its function; it takes no caller');
    // Only a function's call can hang until its SDK gives up or die with its container; the
    // state machine's Task timeouts are 30 s and more, and the interpreter has no container.
    const functionsOnly = spec.kind === 'timeout' || (spec.kind === 'crash' && spec.service !== 'lambda');
    if (functionsOnly && spec.caller === 'stateMachine') throw new Error(`a ${spec.kind} fault hits only the functions' calls`);
    this.armed.push({ ...spec, ...(functionsOnly ? { caller: 'function' as const } : {}), times, hits: 0 });
  }

  /** The fault this call hits, if any (and counts it). */
  take(service: FaultService, operation: string, caller: FaultCaller): ArmedFault | undefined {
    const fault = this.armed.find(
      (f) => f.service === service && f.operation === operation && (f.caller === undefined || f.caller === caller) && f.hits < f.times,
    );
    if (!fault) return undefined;
    fault.hits++;
    this.log.push({ service, operation, kind: fault.kind, caller });
    if (fault.hits >= fault.times) this.armed = this.armed.filter((f) => f !== fault);
    return fault;
  }

  /** Faults still armed, with the calls each has hit. */
  pending(): readonly ArmedFault[] {
    return this.armed.map((f) => ({ ...f }));
  }

  /** Every call a fault hit so far, oldest first. */
  hits(): readonly FaultHit[] {
    return [...this.log];
  }

  /** Disarms every fault and forgets the hits. */
  clear(): void {
    this.armed = [];
    this.log.length = 0;
  }
}
