/** The errors of local Step Functions: the API's own, and the ones raised into Task states. */

/** Errors of the Step Functions API; `name` is the AWS exception name (`TaskDoesNotExist`, ...). */
export class StepFunctionsError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** Thrown into in-flight tasks when their execution stops: neither retried nor caught by the interpreter. */
export class ExecutionClosedError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor() {
    super('the execution is closed');
    this.name = 'States.ExecutionClosed';
  }
}

export function taskError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
