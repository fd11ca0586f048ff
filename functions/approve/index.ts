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
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { decisionPage, messagePage, type PageMode, type PendingRequest } from '../../shared/web/approval-page';
import { rawBody } from '../../shared/web/http';
import { checkCsrf, csrfToken, linkPurpose, verifyLink } from '../../shared/domain/links';
import { isReviewOutcome, reviewerOf, reviewInputProblem, reviewRefusal } from '../../shared/domain/review';
import { reviewPage } from '../../shared/web/review-page';
import { runtime, type Deps } from '../../shared/runtime';
import { approveBase, clearCookie, cookieScope, linkHash, openSession, SESSION_COOKIE } from '../../shared/web/sso';
import { decide } from '../../shared/usecases/decisions';
import { reviewBreakGlass } from '../../shared/usecases/reviews';
import { correlate, instrumented } from '../../shared/observability';
import { errorPage, extendedGrant, loadForLink, notDecidable, notYourLink, redirect } from './pages';
import { sameOrigin } from '../../shared/web/same-origin';
import { callback, signInLabel, startSignIn } from './signin';

/** The request id comes from the link once it is verified (`correlate`); the link itself is never logged. */
export const handler = instrumented(handle, () => undefined);

async function handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  let hashed: string | undefined;
  try {
    const deps = runtime();
    const base = approveBase(event, deps.publicUrl);
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
    if (method === 'GET' || method === 'HEAD')
      return decisionPage(pending, approver, mode(), now, { extending: await extendedGrant(deps, request) });
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
      const again = decisionPage(pending, approver, mode(), now, { extending: await extendedGrant(deps, request) });
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
