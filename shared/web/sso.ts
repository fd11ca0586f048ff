/**
 * Single sign-on for approvers (`approverAuth: "sso"`): the approval page signs the
 * approver in through the issuer named in `approverSignIn`, with the authorization
 * code flow and PKCE (S256), and only a fresh ID token that names the link's approver
 * and an approver group of the request lets the decision through.
 *
 *   GET  /approve/{link}          the request, and "Sign in to decide" (a plain link: changes nothing)
 *   GET  /approve/{link}/signin   sets the sign-in cookie (state, nonce, PKCE verifier, the link), 302 to the IdP
 *   GET  /approve/callback        checks state, exchanges the code (token endpoint from discovery),
 *                                 verifies the ID token (aws-jwt-verify: issuer, audience = clientId,
 *                                 signature, expiry; then nonce), checks approver and groups, sets the
 *                                 approver session cookie, 303 back to /approve/{link}
 *   POST /approve/{link}          decides only with a session cookie for this link and approver
 *
 * Nothing here is stored server-side: both cookies are sealed (HMAC-SHA256) with the
 * link-signing key under their own purpose, HttpOnly, SameSite=Lax, Path=/approve
 * (with the stage on execute-api URLs), Secure on https, and short-lived. The link
 * never goes to the IdP (state is random; the link rides in the sealed cookie).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { Config, IssuerConfig } from '../config/config';
import { DependencyUnavailable, JitgateError } from '../domain/errors';
import { header, linkBaseFrom } from './http';
import { toPrincipal, type Principal } from '../domain/identity';
import { decodeStrict, FetchJwksFetcher } from '../adapters/tokens';

/** How long the approver has at the IdP. */
export const SIGNIN_TTL_SECONDS = 600;
/** How long a verified sign-in lets the approver decide this one link. */
export const SESSION_TTL_SECONDS = 600;
export const SIGNIN_COOKIE = 'jitgate_signin';
export const SESSION_COOKIE = 'jitgate_approver';
// Discovery, token and JWKS calls in sequence stay within the function's 10 s timeout.
const HTTP_TIMEOUT_MS = 3000;

/** A sign-in that failed for a reason the approver can act on (4xx page). */
export class SignInFailed extends JitgateError {
  override readonly name = 'SignInFailed';
  readonly code = 'sign-in-failed';
  constructor(
    readonly status: 400 | 401 | 403,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------
// Sealed values: `<base64url JSON>.<base64url HMAC>`, each purpose with its own MAC domain.

function mac(key: Buffer, purpose: string, data: string): Buffer {
  return createHmac('sha256', key).update(`${purpose}.${data}`).digest();
}

export function seal(purpose: string, value: object, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${payload}.${mac(key, purpose, payload).toString('base64url')}`;
}

/** The sealed value, or undefined when it is missing, forged, malformed or past its `e` (epoch seconds). */
export function unseal<T extends { e: number }>(purpose: string, sealed: string | undefined, key: Buffer, now: Date): T | undefined {
  if (!sealed || sealed.length > 4096 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(sealed)) return undefined;
  const [payload, signature] = sealed.split('.') as [string, string];
  const expected = mac(key, purpose, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as T;
    if (typeof value?.e !== 'number' || value.e * 1000 <= now.getTime()) return undefined;
    return value;
  } catch {
    return undefined;
  }
}

/** A short, non-reversible name for a link: what cookies and logs carry instead of the link. */
export function linkHash(link: string): string {
  return createHash('sha256').update(link).digest('base64url').slice(0, 22);
}

/** Compares secrets in constant time. */
export function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---------------------------------------------------------------------------
// Cookies

export function readCookie(event: APIGatewayProxyEvent, name: string): string | undefined {
  const values = [header(event, 'cookie') ?? ''];
  for (const [k, v] of Object.entries(event.multiValueHeaders ?? {})) if (k.toLowerCase() === 'cookie' && v) values.push(...v);
  for (const line of values) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

export interface CookieScope {
  /** `/approve`, or `/prod/approve` on an execute-api URL. */
  path: string;
  secure: boolean;
}

/** Where the approval pages live, from their base URL (`https://host[/stage]/approve/`). */
export function cookieScope(base: string): CookieScope {
  const url = new URL(base);
  return { path: url.pathname.replace(/\/$/, '') || '/', secure: url.protocol === 'https:' };
}

export function setCookie(name: string, value: string, scope: CookieScope, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=${scope.path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${scope.secure ? '; Secure' : ''}`;
}

export function clearCookie(name: string, scope: CookieScope): string {
  return setCookie(name, '', scope, 0);
}

// ---------------------------------------------------------------------------
// The two sealed cookies

/** The sign-in in flight: state, nonce, PKCE verifier, and which link it is for. */
export interface SignInTransaction {
  /** the link (never sent to the IdP) */
  l: string;
  s: string;
  n: string;
  v: string;
  e: number;
}

/** A verified approver, for one link. */
export interface ApproverSession {
  /** linkHash of the link */
  h: string;
  /** principal id `<iss>#<sub>` */
  a: string;
  /** approver groups the fresh ID token carries (∩ the link's groups) */
  g: string[];
  name?: string;
  e: number;
}

export function newSignIn(link: string, now: Date): SignInTransaction & { challenge: string } {
  const v = randomBytes(32).toString('base64url');
  return {
    l: link,
    s: randomBytes(16).toString('base64url'),
    n: randomBytes(16).toString('base64url'),
    v,
    e: Math.floor(now.getTime() / 1000) + SIGNIN_TTL_SECONDS,
    challenge: createHash('sha256').update(v).digest('base64url'),
  };
}

export const sealSignIn = (tx: SignInTransaction, key: Buffer) => seal('sso-signin', { l: tx.l, s: tx.s, n: tx.n, v: tx.v, e: tx.e }, key);
export const openSignIn = (event: APIGatewayProxyEvent, key: Buffer, now: Date) =>
  unseal<SignInTransaction>('sso-signin', readCookie(event, SIGNIN_COOKIE), key, now);
export const sealSession = (s: ApproverSession, key: Buffer) => seal('sso-session', s, key);

/** The approver session for this link and approver, if the cookie holds a valid one. */
export function openSession(
  event: APIGatewayProxyEvent,
  key: Buffer,
  now: Date,
  link: string,
  approverId: string,
): ApproverSession | undefined {
  const s = unseal<ApproverSession>('sso-session', readCookie(event, SESSION_COOKIE), key, now);
  if (!s || !equalText(s.h, linkHash(link)) || s.a !== approverId || !Array.isArray(s.g)) return undefined;
  return s;
}

export function stateMatches(tx: SignInTransaction, state: string | undefined): boolean {
  return typeof state === 'string' && equalText(tx.s, state);
}

// ---------------------------------------------------------------------------
// The issuer: discovery, authorize URL, code exchange, ID token verification

export interface SignInIssuer {
  name: string;
  config: IssuerConfig;
  clientId: string;
  scope: string;
}

/** The issuer people sign in through: the approval page's (`approverSignIn`, the default) or the console's. */
export function signInIssuer(config: Config, which: 'approverSignIn' | 'consoleSignIn' = 'approverSignIn'): SignInIssuer | undefined {
  const s = config[which];
  const issuer = s && config.issuers[s.issuer];
  return s && issuer ? { name: s.issuer, config: issuer, clientId: s.clientId, scope: s.scope } : undefined;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri?: string;
  code_challenge_methods_supported?: string[];
}

const discoveries = new Map<string, { at: number; doc: Discovery }>();

async function fetchJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, {
      ...init,
      redirect: 'error',
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      headers: { accept: 'application/json', ...(init.headers as Record<string, string>) },
    });
  } catch (err) {
    throw new DependencyUnavailable(`the sign-in service did not answer (${(err as Error).name})`);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: undefined };
  }
}

export async function discover(issuer: IssuerConfig, now: Date): Promise<Discovery> {
  const cached = discoveries.get(issuer.issuer);
  if (cached && now.getTime() - cached.at < 3600_000) return cached.doc;
  const { status, body } = await fetchJson(`${issuer.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  const doc = body as Discovery | undefined;
  if (status !== 200 || !doc || typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') {
    throw new DependencyUnavailable(`the sign-in service's discovery document is unavailable (HTTP ${status})`);
  }
  if (doc.issuer !== issuer.issuer) throw new DependencyUnavailable('the sign-in service names another issuer in its discovery document');
  if (doc.code_challenge_methods_supported && !doc.code_challenge_methods_supported.includes('S256')) {
    throw new DependencyUnavailable('the sign-in service does not support PKCE with S256');
  }
  discoveries.set(issuer.issuer, { at: now.getTime(), doc });
  return doc;
}

export function authorizeUrl(
  discovery: Discovery,
  si: SignInIssuer,
  tx: SignInTransaction & { challenge: string },
  redirectUri: string,
  loginHint?: string,
  prompt?: 'login',
): string {
  const url = new URL(discovery.authorization_endpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: si.clientId,
    redirect_uri: redirectUri,
    scope: si.scope,
    state: tx.s,
    nonce: tx.n,
    code_challenge: tx.challenge,
    code_challenge_method: 'S256',
    ...(loginHint ? { login_hint: loginHint } : {}),
    ...(prompt ? { prompt } : {}),
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** Exchanges the code at the token endpoint (public client: PKCE verifier, no secret); returns the ID token. */
export async function exchangeCode(
  discovery: Discovery,
  si: SignInIssuer,
  code: string,
  verifier: string,
  redirectUri: string,
): Promise<string> {
  const { status, body } = await fetchJson(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: si.clientId,
      code_verifier: verifier,
    }).toString(),
  });
  const b = (body ?? {}) as { id_token?: unknown; error?: unknown };
  if (status >= 500) throw new DependencyUnavailable(`the sign-in service failed to issue tokens (HTTP ${status})`);
  if (status !== 200 || typeof b.id_token !== 'string') {
    throw new SignInFailed(
      401,
      'Sign-in failed',
      `the sign-in service refused the sign-in (${typeof b.error === 'string' ? b.error.slice(0, 60) : `HTTP ${status}`}); ` +
        'start again from the link in your email',
    );
  }
  return b.id_token;
}

const verifiers = new Map<string, { verify(token: string): Promise<JwtPayload> }>();

/** Verifies the ID token against the sign-in issuer (signature, iss, aud = client id, exp, alg) and the nonce; maps its claims. */
export async function verifyIdToken(si: SignInIssuer, discovery: Discovery, idToken: string, nonce: string): Promise<Principal> {
  const cacheKey = `${si.config.issuer}\u0000${si.clientId}`;
  let verifier = verifiers.get(cacheKey);
  if (!verifier) {
    const issuer = si.config;
    verifier = JwtVerifier.create(
      {
        issuer: issuer.issuer,
        audience: si.clientId,
        jwksUri: issuer.jwksUri ?? discovery.jwks_uri ?? `${issuer.issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
        graceSeconds: issuer.clockSkew,
        customJwtCheck: ({ header: h, payload }: { header: Record<string, unknown>; payload: JwtPayload }) => {
          if (!issuer.algorithms.includes(String(h.alg) as never))
            throw new Error(`algorithm ${String(h.alg)} is not allowed for this issuer`);
          if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new Error('the ID token has no sub');
          if (payload.token_use !== undefined && payload.token_use !== 'id') throw new Error('not an ID token');
        },
      } as never,
      { jwksCache: new SimpleJwksCache({ fetcher: new FetchJwksFetcher() }) },
    ) as unknown as { verify(token: string): Promise<JwtPayload> };
    verifiers.set(cacheKey, verifier);
  }
  if (idToken.length > 16 * 1024) throw new SignInFailed(401, 'Sign-in failed', 'the ID token is too large');
  let payload: JwtPayload;
  try {
    // The same refusals as for API tokens (token-chosen keys, crit, duplicate keys) before the signature check.
    decodeStrict(idToken);
    payload = await verifier.verify(idToken);
  } catch (err) {
    throw new SignInFailed(
      401,
      'Sign-in failed',
      `the ID token from the sign-in service is not valid (${(err as Error).message.slice(0, 120)})`,
    );
  }
  if (typeof payload.nonce !== 'string' || !equalText(payload.nonce, nonce))
    throw new SignInFailed(
      401,
      'Sign-in failed',
      'the ID token was not issued for this sign-in (nonce mismatch); start again from the link in your email',
    );
  return toPrincipal(si.name, si.config, payload as Record<string, unknown>);
}

/** Where the IdP sends the approver back: `<base>callback`, next to the links. */
export function callbackUrl(base: string): string {
  return `${base}callback`;
}

/** The base URL of the approval pages as the browser sees them (custom domain, execute-api stage, or local). */
export function approveBase(event: APIGatewayProxyEvent, publicUrl: string | undefined): string {
  return publicUrl ? `${publicUrl.replace(/\/$/, '')}/approve/` : linkBaseFrom(event);
}
