/**
 * The approver's inbox, as HTML: the requests waiting for this person's decision (GET
 * /v1/requests?role=approver's use case, newest first, a page at a time), each with what it
 * still needs and Approve / Deny with a reason, in place.
 */
import { escapeHtml } from '../../domain/html';
import type { ShownRequest } from '../../domain/timeline';
import type { ConsolePaths, ConsoleView, Viewer } from './layout';
import { decisionForm, pager, shown, statusChip, when } from './requests';

function stillNeeded(r: ShownRequest): string {
  const groups = (r.waitingFor?.approvals ?? []).filter((g) => g.remaining > 0);
  const text = groups.map((g) => `${g.remaining} approval${g.remaining === 1 ? '' : 's'} from ${g.group}`).join(', ');
  return text || 'nothing more: the grant starts in a moment';
}

function item(r: ShownRequest, paths: ConsolePaths, viewer: Viewer): string {
  const id = escapeHtml(r.id);
  const requester = r.requester.name ? `${r.requester.name} <${r.requester.email ?? r.requester.sub}>` : r.requester.sub;
  const rows: [string, string][] = [
    ['From', shown(requester)],
    ['Justification', shown(r.justification ?? '(none given)')],
    ...(r.ticket ? [['Ticket', shown(r.ticket)] as [string, string]] : []),
    ['Still needed', escapeHtml(stillNeeded(r))],
    ['Decide by', r.status === 'pending_approval' ? when(r.approvalDeadline) : ''],
  ];
  return `<article class="card" aria-labelledby="title-${id}">
<h2 id="title-${id}"><a href="${escapeHtml(paths.request(r.id))}"><code>${shown(r.action)}</code></a>
on <code>${shown(r.resource)}</code></h2>
<p>${statusChip(r.status)} <span class="muted small">asked ${when(r.createdAt)}</span></p>
<dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>
${decisionForm(r, paths, viewer)}</article>`;
}

export function inboxView(
  list: { requests: ShownRequest[]; cursor?: string },
  first: boolean,
  paths: ConsolePaths,
  viewer: Viewer,
): ConsoleView {
  const hrefFor = (cursor?: string) => (cursor ? `${paths.page('inbox')}?cursor=${encodeURIComponent(cursor)}` : paths.page('inbox'));
  const items = list.requests.map((r) => item(r, paths, viewer)).join('');
  return {
    title: 'Inbox',
    section: 'inbox',
    live: (items || '<p>Nothing is waiting for your decision.</p>') + pager(list.cursor, first, hrefFor),
  };
}
