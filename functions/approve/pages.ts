/** The approval pages' shared answers: loading the linked request, refusals, redirects, same-origin checks and error pages. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { escapeHtml } from '../../shared/domain/html';
import { messagePage, page, type ExtendedGrant } from '../../shared/web/approval-page';
import { InvalidLink, JitgateError, NotFound } from '../../shared/domain/errors';
import { logger } from '../../shared/web/http';
import type { LinkClaims } from '../../shared/domain/links';
import type { JitRequest } from '../../shared/domain/request';
import type { Deps } from '../../shared/runtime';
import { load } from '../../shared/usecases/common';

export async function loadForLink(deps: Deps, claims: LinkClaims): Promise<JitRequest> {
  try {
    return (await load(deps, claims.r)).request;
  } catch (err) {
    if (err instanceof NotFound) throw new InvalidLink('this link names a request jitgate does not know');
    throw err;
  }
}

/** The grant an extension would lengthen, for the page to show its current end; unknown is shown as its id alone. */
export async function extendedGrant(deps: Deps, request: JitRequest): Promise<ExtendedGrant | undefined> {
  if (!request.extends) return undefined;
  try {
    const grant = (await load(deps, request.extends)).request;
    return { id: grant.id, status: grant.status, ...('expiresAt' in grant ? { expiresAt: grant.expiresAt } : {}) };
  } catch (err) {
    if (err instanceof NotFound) return undefined;
    throw err;
  }
}

export function notDecidable(request: JitRequest, claims: LinkClaims): string | undefined {
  if (request.approvals.some((a) => a.approver.id === claims.a)) return 'You have already decided this request; this link works once.';
  if (request.status !== 'pending_approval') return `This request is ${request.status.replace(/_/g, ' ')}; it no longer needs a decision.`;
  return undefined;
}

export function notYourLink(): APIGatewayProxyResult {
  return messagePage(
    403,
    'Not your link',
    'This link was not issued to an approver of this request. Links are personal; use the one in your own email.',
  );
}

export function redirect(status: 302 | 303, location: string, cookies: string[] = []): APIGatewayProxyResult {
  const res = page(status, 'Redirecting', `<p><a href="${escapeHtml(location)}">Continue</a></p>`, { cookies });
  return { ...res, headers: { ...res.headers, location } };
}

const FRIENDLY_TITLES: [RegExp, string][] = [
  [/expired/, 'This link has expired'],
  [/not issued by jitgate|malformed/, 'This link is not valid'],
  [/stale|not sent from the approval page/, 'This form has expired'],
];

export function errorPage(err: unknown, hashed: string | undefined): APIGatewayProxyResult {
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
