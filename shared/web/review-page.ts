/**
 * The break-glass review page: what was taken without approval, and two buttons,
 * Confirm and Flag. Same frame and guarantees as the approval page (approval-page.ts):
 * no script, a strict CSP, every request value escaped, GET changes nothing.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { deadline, duration, page, type PageExtras } from './approval-page';
import { escapeHtml } from '../domain/html';
import type { JitRequest, PersonRef } from '../domain/request';

export function reviewPage(
  request: JitRequest,
  reviewer: PersonRef,
  csrf: string,
  now: Date = new Date(),
  extras: PageExtras = {},
): APIGatewayProxyResult {
  const requester = request.requester.name ?? request.requester.sub;
  const grant =
    request.requirements.grant.mode === 'once'
      ? `One use, within ${duration(request.durationSeconds)}`
      : `${duration(request.durationSeconds)}, without approval`;
  const rows: [string, string][] = [
    ['Access', grant],
    ...(request.ticket ? [['Ticket', request.ticket] as [string, string]] : []),
    ['Status', request.status.replace(/_/g, ' ')],
    ...('expiresAt' in request && typeof request.expiresAt === 'string'
      ? [['Ends', deadline(request.expiresAt, now)] as [string, string]]
      : []),
    ['Broken', deadline(request.createdAt, now)],
    ['Reviews so far', (request.reviews ?? []).map((r) => `${r.reviewer.name ?? r.reviewer.sub}: ${r.outcome}`).join(', ') || 'none'],
    ['Request', request.id],
  ];
  const name = reviewer.name ?? reviewer.sub;
  const body = `
<section class="card" aria-labelledby="what">
<p class="eyebrow">${escapeHtml(name)}, please review this emergency grant</p>
<h1 id="what">Break-glass: <code>${escapeHtml(request.action)}</code></h1>
<p class="on">on <code>${escapeHtml(request.resource)}</code>, taken by ${escapeHtml(requester)} without approval</p>
<div class="who"><div><p class="name">${escapeHtml(requester)}</p>
<p class="sub">${escapeHtml(request.requester.email ?? request.requester.sub)}</p></div></div>
<h2>Justification</h2>
<blockquote>${escapeHtml(request.justification ?? '(none given)')}</blockquote>
<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
<form method="post">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="reason">Reason (needed to flag)</label>
<textarea id="reason" name="reason" maxlength="2000" aria-describedby="reason-hint"></textarea>
<p class="hint" id="reason-hint">A flag goes to the security team with your reason; both are kept in the audit trail.</p>
<div class="buttons">
<button class="approve" type="submit" name="outcome" value="confirmed">Confirm</button>
<button class="deny" type="submit" name="outcome" value="flagged">Flag</button>
</div>
</form>
</section>
<p class="note">Opening this page changed nothing. This link is personal to ${escapeHtml(name)} and works once;
your review is recorded with your name in the audit trail.</p>`;
  return page(200, `Review break-glass ${request.action}`, body, extras);
}
