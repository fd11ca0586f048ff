/**
 * The console's session, with nothing stored server-side: the principal the sign-in's ID
 * token mapped to (toPrincipal, as for an API token), sealed with the link-signing key
 * under the purpose `console-session` (sso.ts's `seal`), in an HttpOnly, SameSite=Lax
 * cookie on the API's root path (`/`, or `/prod` on an execute-api URL), Secure on https.
 *
 * It slides: each page load re-seals it for another 30 minutes, up to 12 hours after the
 * sign-in; the live script's refreshes do not extend it. Sign-out clears it. The sign-in in
 * flight (state, nonce, PKCE verifier, where to go back to) is sso.ts's sign-in
 * transaction under its own purpose, `console-signin`.
 *
 * Forms carry a CSRF token: an HMAC of the session's random id under the purpose
 * `console-csrf`, so it is worthless without the cookie and changes with every sign-in.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Principal } from '../../domain/identity';
import { equalText, readCookie, seal, setCookie, unseal, type CookieScope, type SignInTransaction } from '../sso';

export const CONSOLE_SESSION_COOKIE = 'jitgate_console';
export const CONSOLE_SIGNIN_COOKIE = 'jitgate_console_signin';
/** Idle time before the session ends. */
export const CONSOLE_IDLE_SECONDS = 30 * 60;
/** The longest a sign-in lasts, however active. */
export const CONSOLE_MAX_SECONDS = 12 * 3600;

export interface ConsoleSession {
  /** The signed-in principal, mapped from the ID token's claims by the issuer's claims mapping. */
  p: Principal;
  /** Random session id: what the CSRF token is made from. */
  s: string;
  /** Signed in at (epoch seconds). */
  i: number;
  /** Ends at (epoch seconds). */
  e: number;
}

const epoch = (now: Date) => Math.floor(now.getTime() / 1000);

export function newConsoleSession(principal: Principal, now: Date): ConsoleSession {
  const i = epoch(now);
  return { p: principal, s: randomBytes(16).toString('base64url'), i, e: i + CONSOLE_IDLE_SECONDS };
}

/** The same session, good for another idle period (never past the maximum). */
export function slid(session: ConsoleSession, now: Date): ConsoleSession {
  return { ...session, e: Math.min(epoch(now) + CONSOLE_IDLE_SECONDS, session.i + CONSOLE_MAX_SECONDS) };
}

export function sessionCookie(session: ConsoleSession, key: Buffer, scope: CookieScope, now: Date): string {
  return setCookie(CONSOLE_SESSION_COOKIE, seal('console-session', session, key), scope, Math.max(0, session.e - epoch(now)));
}

export function openConsoleSession(event: APIGatewayProxyEvent, key: Buffer, now: Date): ConsoleSession | undefined {
  const s = unseal<ConsoleSession>('console-session', readCookie(event, CONSOLE_SESSION_COOKIE), key, now);
  if (!s || typeof s.s !== 'string' || typeof s.i !== 'number' || typeof s.p?.id !== 'string') return undefined;
  if (s.i + CONSOLE_MAX_SECONDS < epoch(now)) return undefined;
  return s;
}

export const sealConsoleSignIn = (tx: SignInTransaction, key: Buffer) =>
  seal('console-signin', { l: tx.l, s: tx.s, n: tx.n, v: tx.v, e: tx.e }, key);
export const openConsoleSignIn = (event: APIGatewayProxyEvent, key: Buffer, now: Date) =>
  unseal<SignInTransaction>('console-signin', readCookie(event, CONSOLE_SIGNIN_COOKIE), key, now);

export function csrfFor(session: ConsoleSession, key: Buffer): string {
  return createHmac('sha256', key).update(`console-csrf.${session.s}`).digest('base64url');
}

export function csrfMatches(session: ConsoleSession, given: string | null | undefined, key: Buffer): boolean {
  return typeof given === 'string' && equalText(given, csrfFor(session, key));
}

/**
 * Where the console may send someone back after sign-in: one of its own pages, relative to the
 * root (`''` or `console/...`), never another site.
 */
export function safeNext(next: string | undefined): string {
  return next && /^console\/[A-Za-z0-9/_-]{1,200}$/.test(next) ? next : '';
}
