/**
 * GET /approve/{link}: the confirmation page, which never changes state (mail
 * scanners and link previewers fetch every link). POST /approve/{link}: the decision,
 * with the page's CSRF token.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { decisionPage, messagePage } from '../../shared/approval-page';
import { JitgateError } from '../../shared/errors';
import { header, logger, rawBody } from '../../shared/http';
import { checkCsrf, csrfToken, verifyLink, type LinkClaims } from '../../shared/links';
import { runtime } from '../../shared/runtime';
import { decide } from '../../shared/usecases/decisions';
import { load } from '../../shared/usecases/common';

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const deps = runtime();
    const link = event.pathParameters?.link ?? '';
    const key = await deps.linkKey();
    const claims = verifyLink(link, key, deps.now());
    const { request } = await load(deps, claims.r);
    const approver = request.notified.find((n) => n.id === claims.a);
    if (!approver) return messagePage(403, 'Not your link', 'This link was not issued to an approver of this request.');
    const stateProblem = notDecidable(request, claims);
    if (stateProblem) return messagePage(409, 'Already decided', stateProblem);

    if (event.httpMethod === 'GET') return decisionPage(request as Parameters<typeof decisionPage>[0], approver.name ?? approver.sub, csrfToken(link, key));

    const origin = header(event, 'origin');
    const host = event.requestContext?.domainName ?? header(event, 'host');
    if (origin && origin !== 'null' && host && new URL(origin).host !== host) return messagePage(403, 'Refused', 'This form was sent from another site.');
    const form = new URLSearchParams(rawBody(event));
    checkCsrf(link, form.get('csrf') ?? undefined, key);
    const decision = form.get('decision');
    if (decision !== 'approve' && decision !== 'deny') return messagePage(400, 'Choose Approve or Deny', 'The form did not say which decision you took; go back and press one of the two buttons.');
    const reason = form.get('reason')?.trim().slice(0, 2000) || undefined;
    const after = await decide(deps, { person: approver, groups: claims.g, via: 'link' }, claims.r, decision, reason);
    return messagePage(200, decision === 'approve' ? 'Approved' : 'Denied', decision === 'approve'
      ? `You approved ${request.action} for ${request.requester.name ?? request.requester.sub}. Status: ${after.status}.`
      : `You denied ${request.action} for ${request.requester.name ?? request.requester.sub}.`);
  } catch (err) {
    if (err instanceof JitgateError) return messagePage(err.status, err.title, err.message);
    logger.error('approval page failed', { error: err as Error });
    return messagePage(500, 'Something went wrong', 'jitgate could not handle this link; it has been logged. Try again shortly.');
  }
}

function notDecidable(request: { status: string; approvals: { approver: { id: string } }[] }, claims: LinkClaims): string | undefined {
  if (request.approvals.some((a) => a.approver.id === claims.a)) return 'You have already decided this request; this link works once.';
  if (request.status !== 'pending_approval') return `This request is ${request.status.replace('_', ' ')}; it no longer needs a decision.`;
  return undefined;
}

