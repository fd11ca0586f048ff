/**
 * What the client throws: one class per failure a caller can act on, each carrying the
 * RFC 9457 problem document the API sent. Branch with `instanceof`; the problem's `code`
 * (the last segment of its `type`) tells the finer cases apart (`self-approval`, `mfa-locked`).
 * The API side of this mapping is shared/domain/errors.ts and shared/web/http.ts.
 */
import { problemCode } from '../shared/web/problem-type';
import type { Problem, Request } from '../shared/web/response-schemas';

export type { Problem };

/** Any answer from jitgate that is not a success. */
export class JitgateError extends Error {
  override readonly name: string = 'JitgateError';
  /** The slug of the problem `type`, e.g. `policy-denied`; `http-<status>` when the body was not a problem document. */
  readonly code: string;
  constructor(
    readonly status: number,
    readonly problem: Problem,
    readonly headers: Headers = new Headers(),
  ) {
    super(problem.detail || problem.title);
    this.code = problemCode(problem.type) ?? `http-${status}`;
  }
}

/** 400: the input is not valid (`errors` names each field), or an MFA code was wrong or already used. */
export class ValidationError extends JitgateError {
  override readonly name: string = 'ValidationError';
  get errors(): { path: string; message: string }[] {
    return this.problem.errors ?? [];
  }
  /** `mfa-failed`: wrong codes left before the request is denied. */
  get attemptsLeft(): number | undefined {
    return this.problem.attemptsLeft;
  }
}

/** 401 `invalid-token`: no token, or one that fails verification (RFC 6750). */
export class UnauthorizedError extends JitgateError {
  override readonly name: string = 'UnauthorizedError';
}

/**
 * 401 `insufficient-user-authentication` (RFC 9470): the token is valid but the sign-in is not
 * strong or recent enough for this policy. Sign in again at the IdP with `acr_values` and
 * `max_age` from here, then retry with the new token.
 */
export class StepUpRequiredError extends UnauthorizedError {
  override readonly name: string = 'StepUpRequiredError';
  /** The authentication context classes the policy accepts (may be empty when it asks for `amr` only). */
  readonly acrValues: string[];
  /** The sign-in must be at most this many seconds old. */
  readonly maxAge: number | undefined;
  constructor(status: number, problem: Problem, headers: Headers) {
    super(status, problem, headers);
    const params = authParams(headers.get('www-authenticate') ?? '');
    this.acrValues = params.acr_values ? params.acr_values.split(' ').filter(Boolean) : [];
    this.maxAge = params.max_age !== undefined && /^\d+$/.test(params.max_age) ? Number(params.max_age) : undefined;
  }
}

/** 403: not allowed (`not-an-approver`, `self-approval`, `forbidden`). */
export class ForbiddenError extends JitgateError {
  override readonly name: string = 'ForbiddenError';
}

/** 403 `policy-denied`: a policy's deny rule matched, or no policy names the action (fail closed). */
export class PolicyDeniedError extends ForbiddenError {
  override readonly name: string = 'PolicyDeniedError';
  /** The policy that denied. */
  get rule(): string | undefined {
    return this.problem.rule;
  }
}

/** 404: no such request, or one the caller may not see. */
export class NotFoundError extends JitgateError {
  override readonly name: string = 'NotFoundError';
}

/**
 * 409 (`already-decided`, `window-closed`, `conflict`, `mfa-not-enrolled`) and 422
 * (`idempotency-key-reused`): the request is not in a state where this makes sense.
 */
export class ConflictError extends JitgateError {
  override readonly name: string = 'ConflictError';
  /** `already-decided`: the status the request is in now. */
  get currentStatus(): string | undefined {
    return this.problem.currentStatus;
  }
}

/** 429 (`rate-limited`, `too-many-pending-requests`, `mfa-locked`): come back after `retryAfter` seconds. */
export class RateLimitedError extends JitgateError {
  override readonly name: string = 'RateLimitedError';
  /** Seconds until a retry can succeed (the Retry-After header, or the document's `retryAfter`). */
  get retryAfter(): number | undefined {
    return retryAfterOf(this);
  }
  /** Which limit was reached, e.g. `creates: 20 per 60 s`. */
  get limit(): string | undefined {
    return this.problem.limit;
  }
}

/** 503 `dependency-unavailable`: a service jitgate depends on is down; retry after `retryAfter` seconds. */
export class UnavailableError extends JitgateError {
  override readonly name: string = 'UnavailableError';
  get retryAfter(): number | undefined {
    return retryAfterOf(this);
  }
}

/** `waitFor` ran out of time; `request` is the last one seen. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(
    readonly request: Request | undefined,
    wanted: readonly string[],
    timeoutMs: number,
  ) {
    super(`request ${request?.id ?? '?'} is ${request?.status ?? 'unknown'}, not ${wanted.join(' or ')}, after ${timeoutMs} ms`);
  }
}

/** `waitFor`: the request ended in a status it cannot leave, none of those waited for (denied while waiting for active). */
export class UnexpectedStatusError extends Error {
  override readonly name = 'UnexpectedStatusError';
  constructor(
    readonly request: Request,
    wanted: readonly string[],
  ) {
    super(`request ${request.id} ended ${request.status}; it will never be ${wanted.join(' or ')}`);
  }
}

type ErrorClass = new (status: number, problem: Problem, headers: Headers) => JitgateError;

/** By problem code first (the API's own words), then by status for anything else (API Gateway's 404/405/429). */
const BY_CODE: Record<string, ErrorClass> = {
  'validation-failed': ValidationError,
  'mfa-failed': ValidationError,
  'mfa-code-reused': ValidationError,
  'invalid-token': UnauthorizedError,
  'insufficient-user-authentication': StepUpRequiredError,
  'policy-denied': PolicyDeniedError,
  'not-an-approver': ForbiddenError,
  'self-approval': ForbiddenError,
  forbidden: ForbiddenError,
  'not-found': NotFoundError,
  'already-decided': ConflictError,
  'window-closed': ConflictError,
  conflict: ConflictError,
  'mfa-not-enrolled': ConflictError,
  'idempotency-key-reused': ConflictError,
  'rate-limited': RateLimitedError,
  'too-many-pending-requests': RateLimitedError,
  'mfa-locked': RateLimitedError,
  'dependency-unavailable': UnavailableError,
};
const BY_STATUS: Record<number, ErrorClass> = {
  400: ValidationError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  422: ConflictError,
  429: RateLimitedError,
  503: UnavailableError,
};

/** The error for a response that is not a success; `body` is its parsed JSON, if it had any. */
export function errorFor(status: number, body: unknown, headers: Headers): JitgateError {
  const problem = asProblem(status, body);
  const code = problemCode(problem.type) ?? '';
  const Class = BY_CODE[code] ?? BY_STATUS[status] ?? JitgateError;
  return new Class(status, problem, headers);
}

function asProblem(status: number, body: unknown): Problem {
  const b = (body !== null && typeof body === 'object' ? body : {}) as Partial<Problem>;
  return {
    ...b,
    type: typeof b.type === 'string' ? b.type : 'about:blank',
    title: typeof b.title === 'string' ? b.title : `HTTP ${status}`,
    status: typeof b.status === 'number' ? b.status : status,
    detail: typeof b.detail === 'string' ? b.detail : `jitgate answered ${status}`,
  };
}

function retryAfterOf(err: JitgateError): number | undefined {
  const header = err.headers.get('retry-after');
  if (header && /^\d+$/.test(header)) return Number(header);
  return err.problem.retryAfter;
}

/** RFC 9110 section 11.2 auth-params of one challenge: `name=token` or `name="quoted string"`. */
function authParams(challenge: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of challenge.matchAll(/([A-Za-z0-9_-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g)) {
    out[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  }
  return out;
}
