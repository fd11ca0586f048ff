/**
 * Signing in to the console through `consoleSignIn`'s issuer, with the approval page's
 * pieces (shared/web/sso.ts: discovery, authorization code + PKCE, the ID token check and
 * the claims mapping):
 *
 *   GET /console/signin?next=console/inbox   sets the sign-in cookie, 302 to the IdP
 *   GET /console/callback                    checks state, exchanges the code, verifies the ID token
 *                                            (and nonce), sets the session cookie, 303 back to `next`
 *   POST /console/signout                    clears the session cookie
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { escapeHtml } from '../../shared/domain/html';
import { JitgateError } from '../../shared/domain/errors';
import type { Deps } from '../../shared/runtime';
import {
  authorizeUrl,
  clearCookie,
  discover,
  exchangeCode,
  newSignIn,
  signInIssuer,
  stateMatches,
  verifyIdToken,
} from '../../shared/web/sso';
import { publicPage, seeOther } from '../../shared/web/console/layout';
import {
  CONSOLE_SESSION_COOKIE,
  CONSOLE_SIGNIN_COOKIE,
  newConsoleSession,
  openConsoleSignIn,
  safeNext,
  sealConsoleSignIn,
  sessionCookie,
} from '../../shared/web/console/session';
import { setCookie } from '../../shared/web/sso';
import type { Place } from './place';

/** The page someone not signed in sees: what the console is, and the one button. */
export function signInPage(place: Place, status: 200 | 401, next = '', note?: string): APIGatewayProxyResult {
  const why = note ?? 'See the requests you made, decide the ones waiting for you, and read the audit trail.';
  return publicPage(
    status,
    status === 401 ? 'Sign in to continue' : 'jitgate console',
    `<p>${escapeHtml(why)}</p><p><a class="button" href="${escapeHtml(place.paths.signIn(safeNext(next)))}">Sign in</a></p>`,
  );
}

function notConfigured(): APIGatewayProxyResult {
  return publicPage(
    503,
    'Sign-in is not configured',
    '<p>The console signs people in through the issuer named in <code>consoleSignIn</code>, and this jitgate has none. ' +
      'Tell your jitgate administrators.</p>',
    { headers: { 'retry-after': '3600' } },
  );
}

export async function startSignIn(deps: Deps, place: Place, next: string | undefined): Promise<APIGatewayProxyResult> {
  const si = signInIssuer(deps.config, 'consoleSignIn');
  if (!si) return notConfigured();
  const discovery = await discover(si.config, place.now);
  const tx = newSignIn(safeNext(next), place.now);
  // The development IdP's picker: always ask who, so signing out and in again can change user.
  const prompt = si.config.development ? 'login' : undefined;
  const url = authorizeUrl(discovery, si, tx, place.callbackUrl, undefined, prompt);
  return seeOther(url, [setCookie(CONSOLE_SIGNIN_COOKIE, sealConsoleSignIn(tx, place.key), place.scope, 600)], 302);
}

export async function finishSignIn(deps: Deps, place: Place, q: Record<string, string | undefined>): Promise<APIGatewayProxyResult> {
  const clear = [clearCookie(CONSOLE_SIGNIN_COOKIE, place.scope)];
  const again = (status: 400 | 401, title: string, text: string) =>
    publicPage(
      status,
      title,
      `<p>${escapeHtml(text)}</p><p><a class="button" href="${escapeHtml(place.paths.signIn())}">Sign in again</a></p>`,
      {
        cookies: clear,
      },
    );
  const tx = openConsoleSignIn(place.event, place.key, place.now);
  if (!tx) return again(400, 'Sign-in expired', 'This sign-in is too old, or was started in another browser.');
  if (!stateMatches(tx, q.state)) return again(400, 'Sign-in did not match', 'The answer is not for the sign-in this browser started.');
  if (q.error)
    return again(
      401,
      'Not signed in',
      q.error === 'access_denied' ? 'The sign-in was cancelled.' : `The sign-in service said "${q.error.slice(0, 60)}".`,
    );
  if (!q.code || q.code.length > 2048) return again(400, 'Sign-in failed', 'The sign-in service sent no authorization code.');
  const si = signInIssuer(deps.config, 'consoleSignIn');
  if (!si) return notConfigured();
  try {
    const discovery = await discover(si.config, place.now);
    const idToken = await exchangeCode(discovery, si, q.code, tx.v, place.callbackUrl);
    const principal = await verifyIdToken(si, discovery, idToken, tx.n);
    const session = newConsoleSession(principal, place.now);
    return seeOther(`${place.paths.home()}${safeNext(tx.l)}`, [...clear, sessionCookie(session, place.key, place.scope, place.now)]);
  } catch (err) {
    if (!(err instanceof JitgateError) || err.status >= 500) throw err;
    // sso.ts words its refusals for the approval page's email links; here the button below starts again.
    const message = err.message.replace(/; start again from the link in your email$/, '.');
    return again(err.status === 401 ? 401 : 400, err.title, message);
  }
}

export function signOut(place: Place): APIGatewayProxyResult {
  return seeOther(`${place.paths.home()}?done=signed-out`, [clearCookie(CONSOLE_SESSION_COOKIE, place.scope)]);
}
