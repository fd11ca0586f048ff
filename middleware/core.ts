/**
 * The decision both adapters share (`jitgate/express`, `jitgate/middy`): given the caller's
 * Authorization header and the resource, ask jitgate and say either "go on" or which
 * response to send. Framework-neutral on purpose, so the two adapters cannot drift apart:
 * each only reads its request shape and writes its response shape.
 *
 * Fail closed: only an answer from jitgate saying `allowed: true` lets the request through.
 * A missing token, a refusal, an unreachable jitgate, a timeout, a 5xx or an answer that is
 * not an AuthorizeResult all end in a response, never in the protected handler.
 */
import { problemCode, problemType } from '../shared/web/problem-type';
import {
  JitgateClient,
  JitgateError,
  PolicyDeniedError,
  RateLimitedError,
  StepUpRequiredError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
  type AuthorizeResult,
  type Request,
} from '../client/index';

export type { AuthorizeResult };

/** Seconds to tell the app's caller to wait when jitgate did not say (503 without Retry-After, a network failure). */
const DEFAULT_RETRY_AFTER = 5;

export interface AutoRequestOptions<Req> {
  /** The justification to send (a policy may require one); undefined when the caller gave none. */
  justification?: (req: Req) => string | undefined;
  /** The ticket reference to send, for policies that require one. */
  ticket?: (req: Req) => string | undefined;
}

export interface RequireApprovalOptions<Req> {
  /** Where jitgate's API answers; `process.env.JITGATE_URL` when not given (read once, when the middleware is made). */
  url?: string;
  /** The sensitive action, as the policies name it, e.g. `payments:approve`. */
  action: string;
  /** The resource this request acts on, e.g. `req => 'payments/' + req.params.id`. */
  resource?: (req: Req) => string;
  /** Use a one-time grant now (atomically): a second call needs a new approval. */
  consume?: boolean;
  /**
   * When the caller has no request pending for this action and resource, create one and answer 202
   * with its id and a `Location` header, instead of 403. `true`, or where to find the justification and ticket.
   */
  autoRequest?: boolean | AutoRequestOptions<Req>;
  /** Gives up on jitgate after this many milliseconds and answers 503 (default 5000). */
  timeoutMs?: number;
  /** Another `fetch` (tests, proxies). */
  fetch?: typeof fetch;
}

/** What to answer instead of running the handler: a framework-neutral HTTP response. */
export interface Refusal {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export type Decision = { allowed: true; result: AuthorizeResult } | { allowed: false; response: Refusal };

/** The checked options with the URL resolved: made once per `requireApproval` call. */
export interface Gate<Req> {
  options: RequireApprovalOptions<Req>;
  baseUrl: string;
}

export function gate<Req>(options: RequireApprovalOptions<Req>): Gate<Req> {
  const baseUrl = options.url ?? process.env.JITGATE_URL;
  // A configuration mistake shows when the app starts, not as a 503 on the first sensitive call.
  if (!baseUrl) throw new Error('requireApproval: no jitgate URL; pass `url` or set JITGATE_URL');
  if (!/^https?:\/\//.test(baseUrl)) throw new Error(`requireApproval: url "${baseUrl}" is not an http(s) URL`);
  if (!options.action) throw new Error('requireApproval: `action` is required');
  return { options, baseUrl: baseUrl.replace(/\/+$/, '') };
}

/**
 * May the caller behind `authorization` (the incoming request's Authorization header) do the
 * gate's action on the resource of `req`? Never throws: every failure is a response.
 */
export async function decide<Req>(g: Gate<Req>, req: Req, authorization: string | undefined): Promise<Decision> {
  const token = bearer(authorization);
  if (!token) {
    const detail = 'send the token from your identity provider as "Authorization: Bearer <token>"';
    return refuse(401, 'invalid-token', 'A bearer token is required', detail, { 'www-authenticate': 'Bearer' });
  }
  const { options } = g;
  const client = new JitgateClient({ baseUrl: g.baseUrl, token, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const signal = AbortSignal.timeout(options.timeoutMs ?? 5_000);
  let resource: string | undefined;
  try {
    resource = options.resource?.(req);
  } catch (err) {
    return refuse(400, 'invalid-resource', 'The resource could not be named', `this request names no resource: ${(err as Error).message}`);
  }
  const input = { action: options.action, ...(resource !== undefined ? { resource } : {}) };
  try {
    const result = await client.authorize({ ...input, ...(options.consume ? { consume: true } : {}) }, { signal });
    if (!isAuthorizeResult(result)) return unavailable('jitgate answered with something that is not an authorization result');
    if (result.allowed) return { allowed: true, result };
    if (!result.missing) return refuse(403, 'policy-denied', 'A policy denies this action', result.reason, {}, { rule: result.rule });
    if (result.pendingRequestId || !options.autoRequest) return approvalRequired(g, result);
    return await autoRequest(g, client, req, input, result, signal);
  } catch (err) {
    return fromError(err);
  }
}

/** Creates the request the caller lacks: 202 with where to follow it; a missing justification or ticket keeps the 403. */
async function autoRequest<Req>(
  g: Gate<Req>,
  client: JitgateClient,
  req: Req,
  input: { action: string; resource?: string },
  result: AuthorizeResult,
  signal: AbortSignal,
): Promise<Decision> {
  const how = typeof g.options.autoRequest === 'object' ? g.options.autoRequest : {};
  const justification = how.justification?.(req);
  const ticket = how.ticket?.(req);
  const missing = result.missing ?? [];
  // The policy says what a request needs: without it, creating one would only fail (and count against the rate limit).
  if ((missing.some((m) => m.startsWith('justification')) && !justification) || (missing.some((m) => m.startsWith('ticket')) && !ticket)) {
    return approvalRequired(g, result);
  }
  let request: Request;
  try {
    const body = { ...input, ...(justification ? { justification } : {}), ...(ticket ? { ticket } : {}) };
    request = await client.createRequest(body, { signal });
  } catch (err) {
    // A justification too short, a ticket not matching: still "not yet", with jitgate's words for why.
    if (err instanceof ValidationError) return approvalRequired(g, result, err.problem.detail);
    throw err;
  }
  if (request.status === 'active') {
    // Auto-approved, or a live window grant: ask again, so consumption and expiry are jitgate's to decide.
    const again = await client.authorize({ ...input, ...(g.options.consume ? { consume: true } : {}) }, { signal });
    if (isAuthorizeResult(again) && again.allowed) return { allowed: true, result: again };
  }
  const location = `${g.baseUrl}/v1/requests/${encodeURIComponent(request.id)}`;
  return {
    allowed: false,
    response: {
      status: 202,
      headers: { 'content-type': 'application/json', location, 'cache-control': 'no-store' },
      body: { requestId: request.id, status: request.status, waitingFor: request.waitingFor, location },
    },
  };
}

function approvalRequired<Req>(g: Gate<Req>, result: AuthorizeResult, why?: string): Decision {
  const missing = result.missing ?? [];
  const pending = result.pendingRequestId;
  const needed = `still needed: ${missing.join(', ')}`;
  const detail = why ?? (pending ? `request ${pending} is pending; ${needed}` : needed);
  const extra: Record<string, unknown> = { action: g.options.action, missing, rule: result.rule };
  const headers: Record<string, string> = {};
  if (pending) {
    extra.requestId = pending;
    headers.location = `${g.baseUrl}/v1/requests/${encodeURIComponent(pending)}`;
  }
  return refuse(403, 'approval-required', 'This action needs an approved request', detail, headers, extra);
}

/** jitgate's refusals pass through with their status, document and challenge; anything else fails closed as 503. */
function fromError(err: unknown): Decision {
  if (err instanceof StepUpRequiredError || err instanceof UnauthorizedError) {
    // RFC 9470: the challenge (acr_values, max_age) is what the caller's app needs to sign in again.
    const challenge = err.headers.get('www-authenticate') ?? 'Bearer error="invalid_token"';
    return passThrough(err, { 'www-authenticate': challenge });
  }
  if (err instanceof PolicyDeniedError || err instanceof ValidationError) return passThrough(err, {});
  if (err instanceof RateLimitedError) return passThrough(err, { 'retry-after': String(err.retryAfter ?? DEFAULT_RETRY_AFTER) });
  if (err instanceof UnavailableError) return unavailable(err.problem.detail, err.retryAfter);
  // Another refusal in jitgate's own words (a 409 conflict) is the caller's to act on. A 4xx that is not
  // jitgate's problem document is API Gateway's (403 "Missing Authentication Token" for a wrong stage or
  // path): jitgate is not where `url` says, which the caller cannot fix.
  if (err instanceof JitgateError && err.status < 500 && problemCode(err.problem.type) !== undefined) return passThrough(err, {});
  if (err instanceof JitgateError) return unavailable(`jitgate answered ${err.status}`);
  const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
  return unavailable(timedOut ? 'jitgate did not answer in time' : 'jitgate could not be reached');
}

function passThrough(err: JitgateError, headers: Record<string, string>): Decision {
  return { allowed: false, response: { status: err.status, headers: { ...problemHeaders(), ...headers }, body: { ...err.problem } } };
}

function unavailable(detail: string, retryAfter = DEFAULT_RETRY_AFTER): Decision {
  return refuse(
    503,
    'dependency-unavailable',
    'jitgate is unavailable',
    `${detail}; the action was not allowed`,
    {
      'retry-after': String(retryAfter),
    },
    { retryAfter },
  );
}

function refuse(status: number, code: string, title: string, detail: string, headers: Record<string, string> = {}, extra = {}): Decision {
  const body = { type: problemType(code), title, status, detail, ...extra };
  return { allowed: false, response: { status, headers: { ...problemHeaders(), ...headers }, body } };
}

function problemHeaders(): Record<string, string> {
  return { 'content-type': 'application/problem+json', 'cache-control': 'no-store' };
}

/** RFC 6750 section 2.1: `Bearer <token>`, the scheme case-insensitive. */
function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(header ?? '');
  return m?.[1];
}

function isAuthorizeResult(value: unknown): value is AuthorizeResult {
  return typeof value === 'object' && value !== null && typeof (value as AuthorizeResult).allowed === 'boolean';
}
