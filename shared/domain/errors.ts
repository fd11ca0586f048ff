/**
 * One error tree. Each failure a caller can act on is its own class, mapped once
 * (in `shared/web/http.ts`) to a status and an RFC 9457 problem document.
 */
export abstract class JitgateError extends Error {
  /**
   * The class name, spelled out: the deployed bundles are minified, so `new.target.name`
   * would be a mangled `le` there, and the state machine's Retry/Catch (which match the
   * Lambda `errorType`, i.e. `error.name`), logs and callers would never see `DependencyUnavailable`.
   * Abstract, so a new error class cannot forget it.
   */
  abstract override readonly name: string;
  abstract readonly status: number;
  /** Short, stable slug; the problem document's `type` is built from it. */
  abstract readonly code: string;
  abstract readonly title: string;
  constructor(message: string) {
    super(message);
  }
}

/** One thing wrong with an input: where (`action`, `body`, `policies.0.window`) and what. */
export interface FieldError {
  path: string;
  message: string;
}

export class ValidationFailed extends JitgateError {
  override readonly name = 'ValidationFailed';
  readonly status = 400;
  readonly code = 'validation-failed';
  readonly title = 'The request is not valid';
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}

/** RFC 6750: no token, or one that fails verification. */
export class InvalidToken extends JitgateError {
  override readonly name = 'InvalidToken';
  readonly status = 401;
  readonly code = 'invalid-token';
  readonly title = 'The bearer token is missing or not valid';
}

/** RFC 9470: a valid token whose authentication is not strong or fresh enough. */
export class InsufficientAuthentication extends JitgateError {
  override readonly name = 'InsufficientAuthentication';
  readonly status = 401;
  readonly code = 'insufficient-user-authentication';
  readonly title = 'A stronger or more recent sign-in is required';
  constructor(
    message: string,
    readonly acrValues: string[],
    readonly maxAge: number | undefined,
  ) {
    super(message);
  }
}

export class PolicyDenied extends JitgateError {
  override readonly name = 'PolicyDenied';
  readonly status = 403;
  readonly code = 'policy-denied';
  readonly title = 'A policy denies this action';
  constructor(
    message: string,
    readonly rule: string,
  ) {
    super(message);
  }
}

export class NotAnApprover extends JitgateError {
  override readonly name = 'NotAnApprover';
  readonly status = 403;
  readonly code = 'not-an-approver';
  readonly title = 'You may not decide this request';
}

export class SelfApproval extends JitgateError {
  override readonly name = 'SelfApproval';
  readonly status = 403;
  readonly code = 'self-approval';
  readonly title = 'Requesters cannot decide their own requests';
}

export class Forbidden extends JitgateError {
  override readonly name = 'Forbidden';
  readonly status = 403;
  readonly code = 'forbidden';
  readonly title = 'You may not do this';
}

export class NotFound extends JitgateError {
  override readonly name = 'NotFound';
  readonly status = 404;
  readonly code = 'not-found';
  readonly title = 'Not found';
}

/** The request is no longer in a state where this makes sense (already decided, cancelled, expired...). */
export class AlreadyDecided extends JitgateError {
  override readonly name = 'AlreadyDecided';
  readonly status = 409;
  readonly code = 'already-decided';
  readonly title = 'The request is no longer pending';
  constructor(
    message: string,
    readonly currentStatus: string,
  ) {
    super(message);
  }
}

export class WindowClosed extends JitgateError {
  override readonly name = 'WindowClosed';
  readonly status = 409;
  readonly code = 'window-closed';
  readonly title = 'The window for this step has closed';
}

export class Conflict extends JitgateError {
  override readonly name = 'Conflict';
  readonly status = 409;
  readonly code = 'conflict';
  readonly title = 'Conflict';
}

export class MfaFailed extends JitgateError {
  override readonly name = 'MfaFailed';
  readonly status = 400;
  readonly code = 'mfa-failed';
  readonly title = 'The code is not valid';
  constructor(
    message: string,
    readonly attemptsLeft: number,
  ) {
    super(message);
  }
}

export class MfaNotEnrolled extends JitgateError {
  override readonly name = 'MfaNotEnrolled';
  readonly status = 409;
  readonly code = 'mfa-not-enrolled';
  readonly title = 'No confirmed authenticator';
}

/** The wrong code was not wrong: it was right once and has been used (RFC 6238 section 5.2); not counted as a guess. */
export class MfaCodeReused extends JitgateError {
  override readonly name = 'MfaCodeReused';
  readonly status = 400;
  readonly code = 'mfa-code-reused';
  readonly title = 'This code has already been used';
}

/** An `Idempotency-Key` sent again with a body asking for something else (draft-ietf-httpapi-idempotency-key-header section 2.7). */
export class IdempotencyKeyReused extends JitgateError {
  override readonly name = 'IdempotencyKeyReused';
  readonly status = 422;
  readonly code = 'idempotency-key-reused';
  readonly title = 'This Idempotency-Key was used for a different request';
}

/** Too many calls of one kind from one user in the current period. */
export class RateLimited extends JitgateError {
  override readonly name = 'RateLimited';
  readonly status = 429;
  readonly code = 'rate-limited';
  readonly title = 'Too many calls; slow down';
  constructor(
    message: string,
    readonly limit: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The user already has as many requests waiting as the config allows. */
export class TooManyPending extends JitgateError {
  override readonly name = 'TooManyPending';
  readonly status = 429;
  readonly code = 'too-many-pending-requests';
  readonly title = 'Too many requests are waiting';
  constructor(
    message: string,
    readonly limit: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Too many wrong TOTP codes across the user's requests: MFA is locked, even for a right code. */
export class MfaLocked extends JitgateError {
  override readonly name = 'MfaLocked';
  readonly status = 429;
  readonly code = 'mfa-locked';
  readonly title = 'MFA is locked after too many wrong codes';
  constructor(
    message: string,
    readonly limit: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export class InvalidLink extends JitgateError {
  override readonly name = 'InvalidLink';
  readonly status = 400;
  readonly code = 'invalid-link';
  readonly title = 'This link is not valid';
}

export class PayloadTooLarge extends JitgateError {
  override readonly name = 'PayloadTooLarge';
  readonly status = 413;
  readonly code = 'payload-too-large';
  readonly title = 'The body is larger than 64 KiB';
}

export class UnsupportedMediaType extends JitgateError {
  override readonly name = 'UnsupportedMediaType';
  readonly status = 415;
  readonly code = 'unsupported-media-type';
  readonly title = 'Send the body as application/json';
}

export class DependencyUnavailable extends JitgateError {
  override readonly name = 'DependencyUnavailable';
  readonly status = 503;
  readonly code = 'dependency-unavailable';
  readonly title = 'A service jitgate depends on is unavailable';
  constructor(
    message: string,
    readonly retryAfterSeconds = 2,
  ) {
    super(message);
  }
}

/**
 * Another writer changed the request between our read and our write. The use cases
 * re-read and decide again a few times (shared/usecases/common.ts); when the race keeps
 * being lost, the caller is told to retry shortly rather than shown a failure. The state
 * machine retries the steps it runs on this name (infra/workflow.ts).
 */
export class ConcurrentModification extends JitgateError {
  override readonly name = 'ConcurrentModification';
  readonly status = 503;
  readonly code = 'concurrent-modification';
  readonly title = 'The request changed while jitgate was writing it';
  readonly retryAfterSeconds = 1;
  constructor(message = 'the item changed while we were writing it') {
    super(message);
  }
}

/** Raised at synth and at local start; never reaches HTTP. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly lines: string[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
