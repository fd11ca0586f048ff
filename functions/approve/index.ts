/**
 * The approver's pages, on a personal link (`shared/domain/links.ts`):
 *
 *   GET  /approve/{link}          the request and two buttons; never changes state (mail
 *                                 scanners, link previewers and prefetchers fetch every link)
 *   POST /approve/{link}          the decision, with the page's CSRF token and a same-origin check
 *   GET  /approve/{link}/signin   `approverAuth: "sso"` only: off to the approver sign-in issuer
 *   GET  /approve/callback        back from it (authorization code + PKCE; see shared/web/sso.ts)
 *
 * A break-glass review link (`shared/domain/review.ts`) uses the same two routes: GET shows the
 * emergency grant, POST confirms or flags it.
 *
 * Every refusal (forged, expired, used, foreign links, requests no longer pending,
 * failed sign-ins) is a page with a 4xx status and changes nothing. The link is a
 * credential: it is never logged (only a hash of it), never sent to the IdP, and the
 * pages set `Referrer-Policy: no-referrer`.
 */
import { approverGroupsOf } from '../../shared/domain/approvals';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { escapeHtml } from '../../shared/domain/html';
import { decisionPage, messagePage, page, type PageMode, type PendingRequest } from '../../shared/web/approval-page';
import { InvalidLink, JitgateError, NotFound } from '../../shared/domain/errors';
import { header, linkBaseFrom, logger, rawBody } from '../../shared/web/http';
import { checkCsrf, csrfToken, linkPurpose, verifyLink, type LinkClaims } from '../../shared/domain/links';
import { isReviewOutcome, reviewerOf, reviewInputProblem, reviewRefusal } from '../../shared/domain/review';
import { reviewPage } from '../../shared/web/review-page';
import type { JitRequest, NotifiedApprover } from '../../shared/domain/request';
import { runtime, type Deps } from '../../shared/runtime';
import {
  authorizeUrl,
  callbackUrl,
  clearCookie,
  cookieScope,
  discover,
  exchangeCode,
  linkHash,
  newSignIn,
  openSession,
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
import { decide } from '../../shared/usecases/decisions';
import { reviewBreakGlass } from '../../shared/usecases/reviews';
import { load } from '../../shared/usecases/common';
import { correlate, instrumented } from '../../shared/observability';

/** The request id comes from the link once it is verified (`correlate`); the link itself is never logged. */
export const handler = instrumented(handle, () => undefined);

async function handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  let hashed: string | undefined;
  try {
    const deps = runtime();
    const base = deps.publicUrl ? `${deps.publicUrl.replace(/\/$/, '')}/approve/` : linkBaseFrom(event);
    if (event.resource === '/approve/callback') return await callback(deps, event, base);

    const link = event.pathParameters?.link ?? '';
    hashed = linkHash(link);
    const key = await deps.linkKey();
    const now = deps.now();
    if (linkPurpose(link) === 'review') {
      if (event.resource === '/approve/{link}/signin') return redirect(303, `${base}${link}`);
      return await review(deps, event, link, key, now, base);
    }
    const claims = verifyLink(link, key, now);
    correlate(claims.r);
    const request = await loadForLink(deps, claims);
    const approver = request.notified.find((n) => n.id === claims.a);
    if (!approver) return notYourLink();
    const stateProblem = notDecidable(request, claims);
    if (stateProblem) return messagePage(409, 'Already decided', stateProblem, { tone: 'info' });
    const pending = request as PendingRequest;
    const sso = request.requirements.approverAuth === 'sso';
    const scope = cookieScope(base);

    if (event.resource === '/approve/{link}/signin') {
      if (!sso) return redirect(303, `${base}${link}`);
      return await startSignIn(deps, link, approver, base, scope, now);
    }

    const session = sso ? openSession(event, key, now, link, claims.a) : undefined;
    const mode = (): PageMode => {
      if (!sso) return { kind: 'link', csrf: csrfToken(link, key) };
      if (session) return { kind: 'signed-in', csrf: csrfToken(link, key), as: session.name ?? approver.name ?? approver.sub };
      return { kind: 'signin', signInHref: `${link}/signin`, issuer: signInLabel(deps) };
    };

    const method = event.httpMethod.toUpperCase();
    // GET, HEAD and prefetches (Sec-Purpose / Purpose: prefetch) only read.
    if (method === 'GET' || method === 'HEAD') return decisionPage(pending, approver, mode(), now);
    if (method !== 'POST') {
      const res = messagePage(405, 'Method not allowed', 'Open the link from your email.');
      return { ...res, headers: { ...res.headers, allow: 'GET, POST' } };
    }

    if (!sameOrigin(event, base))
      return messagePage(403, 'Refused', 'This form was sent from another site; open the link from your email and decide there.');
    const form = new URLSearchParams(rawBody(event));
    checkCsrf(link, form.get('csrf') ?? undefined, key);
    const decision = form.get('decision');
    if (decision !== 'approve' && decision !== 'deny')
      return messagePage(
        400,
        'Choose Approve or Deny',
        'The form did not say which decision you took; go back and press one of the two buttons.',
      );
    if (sso && !session) {
      const again = decisionPage(pending, approver, mode(), now);
      return { ...again, statusCode: 401 };
    }
    const groups = session ? session.g.filter((g) => claims.g.includes(g)) : claims.g;
    const reason = form.get('reason')?.trim().slice(0, 2000) || undefined;
    const after = await decide(deps, { person: approver, groups, via: session ? 'sso' : 'link' }, claims.r, decision, reason);
    const requester = request.requester.name ?? request.requester.sub;
    const cookies = session ? [clearCookie(SESSION_COOKIE, scope)] : [];
    if (decision === 'deny') {
      return messagePage(200, 'Denied', `You denied ${request.action} for ${requester}.`, {
        tone: 'no',
        detail: `${requester} is told, with your reason. The request is closed.`,
        cookies,
      });
    }
    // The decision is answered before the state machine activates the grant (moments later).
    const status = after.waitingFor?.activation
      ? 'All approvals are in: the grant starts in a moment.'
      : `Status: ${after.status.replace(/_/g, ' ')}; other approvals are still needed.`;
    return messagePage(200, 'Approved', `You approved ${request.action} for ${requester}. ${status}`, {
      tone: 'ok',
      detail: 'Your decision is recorded in the audit trail.',
      cookies,
    });
  } catch (err) {
    return errorPage(err, hashed);
  }
}

/**
 * A break-glass review link (purpose `review`): the page, then Confirm or Flag, with the
 * same guards as a decision (same origin, CSRF token, once per reviewer).
 */
async function review(
  deps: Deps,
  event: APIGatewayProxyEvent,
  link: string,
  key: Buffer,
  now: Date,
  base: string,
): Promise<APIGatewayProxyResult> {
  const claims = verifyLink(link, key, now, 'review');
  correlate(claims.r);
  const request = await loadForLink(deps, claims);
  const reviewer = reviewerOf(deps.config, request, claims.a);
  if (!reviewer)
    return messagePage(
      403,
      'Not your link',
      'This link was not issued to a reviewer of this break-glass grant. Links are personal; use the one in your own email.',
    );
  const refusal = reviewRefusal(request, reviewer.id);
  if (refusal)
    return messagePage(refusal.status, refusal.status === 409 ? 'Already reviewed' : 'Not yours to review', refusal.message, {
      tone: 'info',
    });
  const method = event.httpMethod.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return reviewPage(request, reviewer, csrfToken(link, key), now);
  if (method !== 'POST') {
    const res = messagePage(405, 'Method not allowed', 'Open the link from your email.');
    return { ...res, headers: { ...res.headers, allow: 'GET, POST' } };
  }
  if (!sameOrigin(event, base))
    return messagePage(403, 'Refused', 'This form was sent from another site; open the link from your email and review there.');
  const form = new URLSearchParams(rawBody(event));
  checkCsrf(link, form.get('csrf') ?? undefined, key);
  const outcome = form.get('outcome');
  const reason = form.get('reason')?.trim().slice(0, 2000) || undefined;
  const problem = reviewInputProblem(outcome, reason);
  if (problem || !isReviewOutcome(outcome))
    return messagePage(400, outcome === 'flagged' ? 'Give a reason' : 'Choose Confirm or Flag', problem ?? '');
  await reviewBreakGlass(deps, reviewer, claims.r, outcome, reason);
  const requester = request.requester.name ?? request.requester.sub;
  return outcome === 'confirmed'
    ? messagePage(200, 'Confirmed', `You confirmed ${requester}'s break-glass on ${request.action}.`, {
        tone: 'ok',
        detail: 'Your review is recorded in the audit trail.',
      })
    : messagePage(200, 'Flagged', `You flagged ${requester}'s break-glass on ${request.action}.`, {
        tone: 'no',
        detail: 'The security team is told, with your reason; your review is recorded in the audit trail.',
      });
}

async function loadForLink(deps: Deps, claims: LinkClaims): Promise<JitRequest> {
  try {
    return (await load(deps, claims.r)).request;
  } catch (err) {
    if (err instanceof NotFound) throw new InvalidLink('this link names a request jitgate does not know');
    throw err;
  }
}

function notDecidable(request: JitRequest, claims: LinkClaims): string | undefined {
  if (request.approvals.some((a) => a.approver.id === claims.a)) return 'You have already decided this request; this link works once.';
  if (request.status !== 'pending_approval') return `This request is ${request.status.replace(/_/g, ' ')}; it no longer needs a decision.`;
  return undefined;
}

function notYourLink(): APIGatewayProxyResult {
  return messagePage(
    403,
    'Not your link',
    'This link was not issued to an approver of this request. Links are personal; use the one in your own email.',
  );
}

function redirect(status: 302 | 303, location: string, cookies: string[] = []): APIGatewayProxyResult {
  const res = page(status, 'Redirecting', `<p><a href="${escapeHtml(location)}">Continue</a></p>`, { cookies });
  return { ...res, headers: { ...res.headers, location } };
}

/**
 * Same origin for form posts: Sec-Fetch-Site when the browser sends it (only
 * `same-origin` passes), else Origin against the host the request came to (API
 * Gateway's domain, the Host header, or PUBLIC_URL). A post with neither, or with
 * `Origin: null` (sandboxed frames, data: URLs, redirects across origins) proves
 * nothing and is refused (OWASP CSRF cheat sheet, "Verifying origin with standard
 * headers"). The page's own form passes: browsers send Sec-Fetch-Site, or Origin,
 * with every form post.
 */
function sameOrigin(event: APIGatewayProxyEvent, base: string): boolean {
  const site = header(event, 'sec-fetch-site');
  if (site) return site === 'same-origin';
  const origin = header(event, 'origin');
  if (!origin || origin === 'null') return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const hosts = [event.requestContext?.domainName, header(event, 'host'), new URL(base).host].filter(Boolean);
  return hosts.includes(host);
}

function signInLabel(deps: Deps): string {
  const si = signInIssuer(deps.config);
  if (!si) return 'your identity provider';
  try {
    const u = new URL(si.config.issuer);
    return `${u.host}${u.pathname.replace(/\/$/, '')}`;
  } catch {
    return si.name;
  }
}

async function startSignIn(
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

async function callback(deps: Deps, event: APIGatewayProxyEvent, base: string): Promise<APIGatewayProxyResult> {
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

const FRIENDLY_TITLES: [RegExp, string][] = [
  [/expired/, 'This link has expired'],
  [/not issued by jitgate|malformed/, 'This link is not valid'],
  [/stale|not sent from the approval page/, 'This form has expired'],
];

function errorPage(err: unknown, hashed: string | undefined): APIGatewayProxyResult {
  if (err instanceof JitgateError) {
    const title = (err instanceof InvalidLink && FRIENDLY_TITLES.find(([re]) => re.test(err.message))?.[1]) || err.title;
    const message = sentence(err.message);
    const detail =
      err instanceof InvalidLink
        ? 'Nothing was changed. If you still need to decide, open the latest link from your email, ' +
          'or ask the requester to send a new request.'
        : undefined;
    const res = messagePage(err.status, title, message, { ...(detail ? { detail } : {}) });
    return err.status === 503 ? { ...res, headers: { ...res.headers, 'retry-after': '5' } } : res;
  }
  // The link is a credential: log its hash, never the link, the path or the event.
  logger.error('approval page failed', { error: err as Error, link: hashed });
  return messagePage(500, 'Something went wrong', 'jitgate could not handle this link; it has been logged. Try again shortly.');
}

function sentence(text: string): string {
  const t = text.trim();
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
