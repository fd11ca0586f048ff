/**
 * `jitgate/client`: a typed client for the jitgate HTTP API (DESIGN "HTTP API v1").
 *
 *   const jitgate = new JitgateClient({ baseUrl: 'https://jit.example.com', token: () => session.idToken() });
 *   const { allowed } = await jitgate.authorize({ action: 'projects:delete', resource: 'projects/42', consume: true });
 *
 * No run-time dependency but the global `fetch`: the types come from the zod schemas the
 * API parses and answers with (shared/web), imported as types only, so zod and the AWS SDK
 * never reach an app's bundle (test/integration/client.test.ts bundles this file to check).
 */
import type { z } from 'zod';
import type { auditQuery, authorizeBody, createRequestBody, extendBody, listQuery } from '../shared/web/api-schemas';
import type {
  AuditEvent,
  AuditPage,
  AuthorizeResult,
  Policy,
  PolicyList,
  Request,
  RequestPage,
  RequestStatus,
  TotpEnrolment,
  VerifyReport,
} from '../shared/web/response-schemas';
import { TERMINAL } from '../shared/domain/request';
import { errorFor, UnexpectedStatusError, WaitTimeoutError } from './errors';

export * from './errors';
export type {
  AuditEvent,
  AuditPage,
  AuthorizeResult,
  Policy,
  PolicyList,
  Request,
  RequestPage,
  RequestStatus,
  TotpEnrolment,
  VerifyReport,
};

export type AuthorizeInput = z.input<typeof authorizeBody>;
export type CreateRequestInput = z.input<typeof createRequestBody>;
/** More time on an active window grant: `durationSeconds` more, within the policy's maximum from the original activation. */
export type ExtendInput = z.input<typeof extendBody>;
/** `role` (requester: own requests; approver: the inbox), `status`, page size; `cursor` to start from a page given before. */
export type ListRequestsQuery = Partial<z.input<typeof listQuery>>;
export type AuditQuery = Partial<Omit<z.input<typeof auditQuery>, 'format'>>;

export interface JitgateClientOptions {
  /** Where the API answers, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod` or `http://127.0.0.1:4000`. */
  baseUrl: string;
  /** The caller's token from their IdP, or a function giving a current one (called before every call, so it may refresh). */
  token: string | (() => string | Promise<string>);
  /** Another `fetch` (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
}

export interface WaitOptions {
  /** Stops waiting: the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Gives up with `WaitTimeoutError` (default 60 s). */
  timeoutMs?: number;
  /** The first pause between polls (default 250 ms); it grows by half each poll up to `maxIntervalMs` (default 5 s). */
  intervalMs?: number;
  maxIntervalMs?: number;
}

type Signal = { signal?: AbortSignal };
/** `accept`: the media type asked for (JSON unless said). */
type CallOptions = Signal & { body?: unknown; headers?: Record<string, string>; accept?: string };

export class JitgateClient {
  private readonly baseUrl: string;
  private readonly token: () => string | Promise<string>;
  private readonly fetchFn: typeof fetch;

  constructor(options: JitgateClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const { token } = options;
    this.token = typeof token === 'function' ? token : () => token;
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** The apps' hot path: may the caller do this now? `consume: true` uses a one-time grant atomically. */
  authorize(input: AuthorizeInput, options: Signal = {}): Promise<AuthorizeResult> {
    return this.call('POST', '/v1/authorize', { body: input, ...options });
  }

  /**
   * Asks for a sensitive action. Auto-approved actions come back waiting only for activation
   * (`waitingFor: { activation: true }`; `waitFor(id, 'active')`); an action the caller holds a
   * live window grant for gives that grant's request. `idempotencyKey` makes a retry safe.
   */
  createRequest(input: CreateRequestInput, options: { idempotencyKey?: string; signal?: AbortSignal } = {}): Promise<Request> {
    const headers: Record<string, string> = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {};
    return this.call('POST', '/v1/requests', { body: input, headers, signal: options.signal });
  }

  getRequest(id: string, options: Signal = {}): Promise<Request> {
    return this.call('GET', `/v1/requests/${encodeURIComponent(id)}`, options);
  }

  /** Own requests (or, with `role: 'approver'`, the inbox), newest first: one page per iteration, following the API's cursor. */
  async *listRequests(query: ListRequestsQuery = {}, options: Signal = {}): AsyncGenerator<RequestPage, void, undefined> {
    yield* this.pages<RequestPage>('/v1/requests', query, options.signal);
  }

  decide(id: string, decision: 'approve' | 'deny', reason?: string, options: Signal = {}): Promise<Request> {
    const body = { decision, ...(reason !== undefined ? { reason } : {}) };
    return this.call('POST', `${this.path(id)}/decisions`, { body, ...options });
  }

  cancel(id: string, options: Signal = {}): Promise<Request> {
    return this.call('POST', `${this.path(id)}/cancel`, options);
  }

  /** Ends an active grant now (the requester, or an admin). */
  revoke(id: string, reason?: string, options: Signal = {}): Promise<Request> {
    return this.call('POST', `${this.path(id)}/revoke`, { body: reason !== undefined ? { reason } : {}, ...options });
  }

  /**
   * Asks for more time on your active window grant: an extension request (`extends: id`) through
   * the same policy, returned pending; once approved it ends `applied` and the grant's `expiresAt`
   * has moved. Past the policy's maximum (counted from the grant's activation): `ValidationError` naming what is left.
   */
  extend(id: string, input: ExtendInput, options: Signal = {}): Promise<Request> {
    return this.call('POST', `${this.path(id)}/extend`, { body: input, ...options });
  }

  /** Answers the request's TOTP challenge; wrong codes throw `ValidationError` with `attemptsLeft`. */
  answerMfa(id: string, code: string, options: Signal = {}): Promise<Request> {
    return this.call('POST', `${this.path(id)}/mfa`, { body: { code }, ...options });
  }

  /** Enrols a TOTP authenticator (replacing a confirmed one needs its current `code`); confirm it with `confirmTotp`. */
  enrolTotp(code?: string, options: Signal = {}): Promise<TotpEnrolment> {
    return this.call('POST', '/v1/mfa/totp', { body: code !== undefined ? { code } : {}, ...options });
  }

  confirmTotp(code: string, options: Signal = {}): Promise<{ confirmed: true }> {
    return this.call('POST', '/v1/mfa/totp/verify', { body: { code }, ...options });
  }

  /** Which actions are sensitive and what each takes, for the caller. */
  policies(options: Signal = {}): Promise<PolicyList> {
    return this.call('GET', '/v1/policies', options);
  }

  /** The audit trail (auditors), one page per iteration, following the API's cursor. */
  async *audit(query: AuditQuery = {}, options: Signal = {}): AsyncGenerator<AuditPage, void, undefined> {
    yield* this.pages<AuditPage>('/v1/audit', query, options.signal);
  }

  /** Walks the audit chains (auditors) and names the first broken link. */
  verifyAudit(query: { since?: string } = {}, options: Signal = {}): Promise<VerifyReport> {
    return this.call('GET', `/v1/audit/verify${queryString(query)}`, options);
  }

  /**
   * The audit chains as JSON lines (auditors): each head, then its events with their hashes, as the
   * text to keep; `jitgate audit verify --file` checks it offline later.
   */
  exportAudit(query: { since?: string } = {}, options: Signal = {}): Promise<string> {
    return this.send('GET', `/v1/audit/export${queryString(query)}`, { ...options, accept: 'application/x-ndjson' });
  }

  /**
   * Polls the request until its status is one of `statuses`, with backoff. Activation follows
   * a decision asynchronously (the state machine does it), so after `decide` or `answerMfa`
   * the request may still say `pending_*` for a moment: this is how to wait for `active`.
   * Rejects with `UnexpectedStatusError` once the request ends in another status it cannot leave.
   */
  async waitFor(id: string, statuses: RequestStatus | readonly RequestStatus[], options: WaitOptions = {}): Promise<Request> {
    const wanted: readonly RequestStatus[] = typeof statuses === 'string' ? [statuses] : statuses;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let interval = options.intervalMs ?? 250;
    let last: Request | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      last = await this.getRequest(id, { signal: options.signal });
      if (wanted.includes(last.status)) return last;
      if (TERMINAL.includes(last.status)) throw new UnexpectedStatusError(last, wanted);
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeoutError(last, wanted, timeoutMs);
      await sleep(Math.min(interval, left), options.signal);
      interval = Math.min(interval * 1.5, options.maxIntervalMs ?? 5_000);
    }
  }

  private path(id: string): string {
    return `/v1/requests/${encodeURIComponent(id)}`;
  }

  private async *pages<P extends { cursor?: string }>(path: string, query: Record<string, unknown>, signal?: AbortSignal) {
    let cursor = query.cursor as string | undefined;
    do {
      const page: P = await this.call('GET', `${path}${queryString({ ...query, cursor })}`, { signal });
      yield page;
      cursor = page.cursor;
    } while (cursor);
  }

  private async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const text = await this.send(method, path, options);
    try {
      return (text ? JSON.parse(text) : undefined) as T;
    } catch {
      return undefined as T;
    }
  }

  /** The response's text; a refusal throws the error class its status and problem document call for. */
  private async send(method: string, path: string, options: CallOptions = {}): Promise<string> {
    const token = await this.token();
    const accept = options.accept ?? 'application/json';
    const headers: Record<string, string> = { accept, authorization: `Bearer ${token}`, ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchFn(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await res.text();
    if (res.ok) return text;
    let problem: unknown;
    try {
      problem = text ? JSON.parse(text) : undefined;
    } catch {
      problem = undefined;
    }
    throw errorFor(res.status, problem, res.headers);
  }
}

function queryString(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
