/**
 * The web console (docs/console.md), at the API's root:
 *
 *   GET  /                                  my requests, and the form to ask for an action
 *   GET  /console/inbox                     the requests waiting for my decision
 *   GET  /console/requests/{id}             one request and its timeline
 *   GET  /console/audit, /console/policies  the audit trail (auditors), what each action takes
 *   POST /console/requests[/{id}/{verb}]    ask; approve, deny, mfa, cancel, revoke
 *   GET  /console/signin, /console/callback, POST /console/signout
 *
 * Every page but sign-in needs the session cookie (session.ts); every post also needs the
 * same origin and the session's CSRF token. A refusal is an HTML page with a 4xx status that
 * says what is wrong and what to do; nothing is changed by a GET.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { escapeHtml } from '../../shared/domain/html';
import { JitgateError } from '../../shared/domain/errors';
import { isAuditor } from '../../shared/usecases/common';
import { instrumented } from '../../shared/observability';
import { runtime } from '../../shared/runtime';
import { header, logger, rawBody } from '../../shared/web/http';
import { sameOrigin } from '../../shared/web/same-origin';
import { consolePage, FRAGMENT_HEADER, publicPage, type Viewer } from '../../shared/web/console/layout';
import { csrfFor, csrfMatches, openConsoleSession, sessionCookie, slid } from '../../shared/web/console/session';
import { ACTIONS } from './actions';
import { PAGES, type PageContext } from './pages';
import { placeOf, type Place } from './place';
import { finishSignIn, signInPage, signOut, startSignIn } from './signin';

export const handler = instrumented(handle, (event: APIGatewayProxyEvent) => event.pathParameters?.id);

/** The banner after a post's redirect: fixed texts, so nothing from the URL is shown. */
const DONE: Record<string, string> = {
  created: 'Request sent.',
  approved: 'You approved it; your decision is in the audit trail.',
  denied: 'You denied it; the requester is told, with your reason.',
  mfa: 'Code accepted.',
  cancelled: 'Request cancelled.',
  revoked: 'Grant revoked.',
};

async function handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  let place: Place | undefined;
  try {
    const deps = runtime();
    place = await placeOf(deps, event);
    return await route(deps, place);
  } catch (err) {
    return errorPage(err, place);
  }
}

async function route(deps: ReturnType<typeof runtime>, place: Place): Promise<APIGatewayProxyResult> {
  const { event } = place;
  const method = event.httpMethod.toUpperCase() === 'HEAD' ? 'GET' : event.httpMethod.toUpperCase();
  const q = event.queryStringParameters ?? {};
  if (method === 'GET' && event.resource === '/console/signin') return await startSignIn(deps, place, q.next);
  if (method === 'GET' && event.resource === '/console/callback') return await finishSignIn(deps, place, q);

  const fragment = header(event, FRAGMENT_HEADER) === '1';
  const session = openConsoleSession(event, place.key, place.now);
  if (!session) {
    if (fragment) return publicPage(401, 'Signed out', '<p>Your session ended.</p>');
    if (method === 'GET' && event.resource === '/')
      return signInPage(place, 200, '', q.done === 'signed-out' ? 'You are signed out.' : undefined);
    const next = method === 'GET' ? event.path.replace(/^.*?(console\/)/, '$1') : '';
    return signInPage(place, 401, next, 'Your session has ended, or you have not signed in yet.');
  }
  const principal = session.p;
  const viewer: Viewer = {
    id: principal.id,
    name: principal.name ?? principal.email ?? principal.sub,
    auditor: isAuditor(deps, principal),
    csrf: csrfFor(session, place.key),
  };

  if (method === 'POST') {
    if (!sameOrigin(event, place.root))
      return refusal(403, 'Refused', 'This form was sent from another site. Open the console and do it there.', place);
    const form = new URLSearchParams(rawBody(event));
    if (!csrfMatches(session, form.get('csrf'), place.key))
      return refusal(403, 'This form has expired', 'The page was older than your sign-in. Reload the page and try again.', place);
    if (event.resource === '/console/signout') return signOut(place);
    // One API Gateway resource, /console/requests/{id}/{verb}, for the verbs on a request.
    const action = ACTIONS[`POST ${event.resource.replace('{verb}', event.pathParameters?.verb ?? '')}`];
    if (!action) return refusal(404, 'No such action', 'The console has no such form. Go back and use the buttons on the page.', place);
    const res = await action({ deps, place, principal, form });
    const cookies = [sessionCookie(slid(session, place.now), place.key, place.scope, place.now)];
    return { ...res, multiValueHeaders: { 'Set-Cookie': cookies } };
  }
  const page = method === 'GET' ? PAGES[event.resource] : undefined;
  if (!page) return refusal(405, 'Method not allowed', 'Open the console page with your browser.', place);
  const context: PageContext = { deps, place, principal, viewer };
  const result = await page(context);
  if ('download' in result) return result.download;
  const { view, status } = result;
  const banner = !fragment && q.done && DONE[q.done] ? { banner: { tone: 'info' as const, text: DONE[q.done]! } } : {};
  return consolePage(
    place.paths,
    viewer,
    { ...view, ...banner },
    {
      fragment,
      ...(status ? { status } : {}),
      // Each page load keeps the session going; the live script's refreshes do not.
      ...(fragment ? {} : { cookies: [sessionCookie(slid(session, place.now), place.key, place.scope, place.now)] }),
    },
  );
}

function refusal(status: number, title: string, text: string, place: Place | undefined): APIGatewayProxyResult {
  const home = place ? `<p><a href="${escapeHtml(place.paths.home())}">Back to the console</a></p>` : '';
  return publicPage(status, title, `<p role="alert">${escapeHtml(text)}</p>${home}`);
}

/** jitgate's own errors are a page with their status and message; anything else is logged and a bare 500 page. */
function errorPage(err: unknown, place: Place | undefined): APIGatewayProxyResult {
  if (err instanceof JitgateError) {
    const res = refusal(err.status, err.title, sentence(err.message), place);
    return err.status === 503 || err.status === 429 ? { ...res, headers: { ...res.headers, 'retry-after': '5' } } : res;
  }
  logger.error('console failed', { error: err as Error });
  return publicPage(500, 'Something went wrong', '<p>jitgate could not handle this; it has been logged. Try again shortly.</p>');
}

function sentence(text: string): string {
  const s = text.trim().charAt(0).toUpperCase() + text.trim().slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
