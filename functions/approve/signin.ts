/**
 * `approverAuth: "sso"`: off to the approver sign-in issuer (GET /approve/{link}/signin) and
 * back from it (GET /approve/callback; authorization code + PKCE, see shared/web/sso.ts).
 */
import { approverGroupsOf } from '../../shared/domain/approvals';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { messagePage } from '../../shared/web/approval-page';
import { verifyLink } from '../../shared/domain/links';
import type { NotifiedApprover } from '../../shared/domain/request';
import type { Deps } from '../../shared/runtime';
import {
  authorizeUrl,
  callbackUrl,
  clearCookie,
  cookieScope,
  discover,
  exchangeCode,
  linkHash,
  newSignIn,
  openSignIn,
  sealSession,
  sealSignIn,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  setCookie,
  SIGNIN_COOKIE,
  SIGNIN_TTL_SECONDS,
  signInIssuer,
  SignInFailed,
  stateMatches,
  verifyIdToken,
  type CookieScope,
  type SignInTransaction,
} from '../../shared/web/sso';
import { correlate } from '../../shared/observability';
import { errorPage, loadForLink, notYourLink, redirect } from './pages';

export function signInLabel(deps: Deps): string {
  const si = signInIssuer(deps.config);
  if (!si) return 'your identity provider';
  try {
    const u = new URL(si.config.issuer);
    return `${u.host}${u.pathname.replace(/\/$/, '')}`;
  } catch {
    return si.name;
  }
}

export async function startSignIn(
  deps: Deps,
  link: string,
  approver: NotifiedApprover,
  base: string,
  scope: CookieScope,
  now: Date,
): Promise<APIGatewayProxyResult> {
  const si = signInIssuer(deps.config);
  if (!si)
    return messagePage(
      503,
      'Sign-in is not configured',
      'This request needs approvers to sign in, but jitgate has no "approverSignIn" issuer configured. Tell your jitgate administrators.',
    );
  const discovery = await discover(si.config, now);
  const tx = newSignIn(link, now);
  const key = await deps.linkKey();
  // The development IdP's picker knows users by sub; real IdPs take an email as the hint.
  const hint = si.config.development ? approver.sub : approver.email;
  return redirect(302, authorizeUrl(discovery, si, tx, callbackUrl(base), hint), [
    setCookie(SIGNIN_COOKIE, sealSignIn(tx, key), scope, SIGNIN_TTL_SECONDS),
  ]);
}

export async function callback(deps: Deps, event: APIGatewayProxyEvent, base: string): Promise<APIGatewayProxyResult> {
  const method = event.httpMethod.toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return messagePage(405, 'Method not allowed', 'Start again from the link in your email.');
  const key = await deps.linkKey();
  const now = deps.now();
  const scope = cookieScope(base);
  const clear = [clearCookie(SIGNIN_COOKIE, scope)];
  const q = event.queryStringParameters ?? {};
  const tx = openSignIn(event, key, now);
  if (!tx)
    return messagePage(
      400,
      'Sign-in expired',
      'This sign-in is too old, or was started in another browser. Open the link from your email again.',
      { cookies: clear },
    );
  if (!stateMatches(tx, q.state))
    return messagePage(
      400,
      'Sign-in did not match',
      'The answer from the sign-in service is not for the sign-in this browser started. Open the link from your email again.',
      { cookies: clear },
    );
  if (q.error) {
    const why = q.error === 'access_denied' ? 'The sign-in was cancelled.' : `The sign-in service answered "${q.error.slice(0, 60)}".`;
    return messagePage(401, 'Not signed in', `${why} Nothing was decided; open the link from your email to try again.`, { cookies: clear });
  }
  if (!q.code || q.code.length > 2048)
    return messagePage(400, 'Sign-in failed', 'The sign-in service sent no authorization code. Open the link from your email again.', {
      cookies: clear,
    });
  try {
    const res = await finishSignIn(deps, tx, q.code, base, scope, now, clear);
    return res.multiValueHeaders ? res : { ...res, multiValueHeaders: { 'Set-Cookie': clear } };
  } catch (err) {
    // A failed sign-in ends this sign-in: its cookie goes too.
    const res = errorPage(err, linkHash(tx.l));
    return { ...res, multiValueHeaders: { 'Set-Cookie': clear } };
  }
}

async function finishSignIn(
  deps: Deps,
  tx: SignInTransaction,
  code: string,
  base: string,
  scope: CookieScope,
  now: Date,
  clear: string[],
): Promise<APIGatewayProxyResult> {
  const key = await deps.linkKey();
  const claims = verifyLink(tx.l, key, now);
  correlate(claims.r);
  const request = await loadForLink(deps, claims);
  const approver = request.notified.find((n) => n.id === claims.a);
  if (!approver) return notYourLink();
  const si = signInIssuer(deps.config);
  if (!si)
    return messagePage(
      503,
      'Sign-in is not configured',
      'jitgate has no "approverSignIn" issuer configured. Tell your jitgate administrators.',
    );
  const discovery = await discover(si.config, now);
  const idToken = await exchangeCode(discovery, si, code, tx.v, callbackUrl(base));
  const principal = await verifyIdToken(si, discovery, idToken, tx.n);

  if (principal.id !== claims.a) {
    const who = principal.email ?? principal.name ?? principal.sub;
    const addressee = `${approver.name ?? approver.sub}${approver.email ? ` <${approver.email}>` : ''}`;
    throw new SignInFailed(
      403,
      'Signed in as someone else',
      `You signed in as ${who}, but this link was sent to ${addressee}. Sign in as that person, or let them decide.`,
    );
  }
  const required = new Set(request.requirements.approvals.map((a) => a.group));
  const groups = approverGroupsOf(deps.config, principal).filter((g) => claims.g.includes(g) && required.has(g));
  if (groups.length === 0) {
    throw new SignInFailed(
      403,
      'Not an approver any more',
      `According to your sign-in just now, you are not in ${claims.g.join(' or ')}, which this request needs approvals from. ` +
        'jitgate cannot take your decision.',
    );
  }
  const session = sealSession(
    {
      h: linkHash(tx.l),
      a: principal.id,
      g: groups,
      name: principal.name ?? principal.email ?? principal.sub,
      e: Math.floor(now.getTime() / 1000) + SESSION_TTL_SECONDS,
    },
    key,
  );
  return redirect(303, `${base}${tx.l}`, [...clear, setCookie(SESSION_COOKIE, session, scope, SESSION_TTL_SECONDS)]);
}
