/**
 * The audit page, as HTML (auditors only): filters (actor, action, request, time), the
 * events a page at a time, oldest first, a JSON-lines export of what the filters select,
 * and on demand the chain verification (GET /v1/audit/verify's use case).
 */
import { escapeHtml } from '../../domain/html';
import type { AuditEvent } from '../../domain/audit';
import type { VerifyReport } from '../../domain/audit-chain';
import type { ConsolePaths, ConsoleView } from './layout';
import { shown, when } from './requests';

/** The filters as the form holds them (datetime-local values, read as UTC). */
export interface AuditFilters {
  actor?: string;
  action?: string;
  requestId?: string;
  since?: string;
  until?: string;
}

const FIELDS: [keyof AuditFilters, string, string, string][] = [
  ['actor', 'Actor', 'text', 'a principal id, or issuer:sub such as dev:bob'],
  ['action', 'Action', 'text', 'e.g. prod:debug'],
  ['requestId', 'Request id', 'text', ''],
  ['since', 'From (UTC)', 'datetime-local', ''],
  ['until', 'Until (UTC)', 'datetime-local', ''],
];

export function auditQueryString(filters: AuditFilters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

function filterForm(filters: AuditFilters, paths: ConsolePaths): string {
  const inputs = FIELDS.map(([name, label, type, hint]) => {
    const hintId = hint ? ` aria-describedby="${name}-hint"` : '';
    return (
      `<div><label for="f-${name}">${label}</label>` +
      `<input type="${type}" id="f-${name}" name="${name}" value="${escapeHtml(filters[name] ?? '')}"${hintId}>` +
      `${hint ? `<p class="hint" id="${name}-hint">${escapeHtml(hint)}</p>` : ''}</div>`
    );
  }).join('');
  return `<form method="get" action="${escapeHtml(paths.page('audit'))}" class="card" aria-label="Filters">
<div class="grid2">${inputs}</div>
<div class="buttons"><button type="submit" id="filter">Filter</button>
<a class="button" id="export" href="${escapeHtml(`${paths.page('audit')}${auditQueryString(filters, { format: 'jsonl' })}`)}" download>
Export JSON lines</a>
<a class="button" id="verify" href="${escapeHtml(`${paths.page('audit')}${auditQueryString(filters, { verify: '1' })}`)}">
Verify the chains</a>
</div></form>`;
}

function verification(report: VerifyReport | undefined): string {
  if (!report) return '';
  const text = report.ok
    ? `The trail is intact: ${report.checked} events on ${report.chains} chains checked.`
    : `The trail is broken at ${report.firstBroken?.id} (${report.firstBroken?.reason}): ${report.firstBroken?.detail}`;
  return `<section class="card" aria-labelledby="verified"><h2 id="verified">Chain verification</h2>
<p role="status"><span class="status ${report.ok ? 'ok' : 'no'}">${report.ok ? 'intact' : 'broken'}</span> ${shown(text)}</p></section>`;
}

function eventsTable(events: AuditEvent[]): string {
  if (events.length === 0) return '<p>No events match these filters.</p>';
  const rows = events
    .map(
      (e) =>
        `<tr><td>${when(e.at)}</td><td>${shown(e.type)}</td><td class="mono">${shown(e.actor)}</td>` +
        `<td>${e.action ? `<code>${shown(e.action)}</code>` : ''}${e.resource ? ` on <code>${shown(e.resource)}</code>` : ''}</td>` +
        `<td class="mono small">${shown(e.requestId)}</td><td>${shown(e.reason ?? '')}</td></tr>`,
    )
    .join('');
  return (
    '<table><caption class="muted small">Oldest first, as recorded</caption>' +
    '<thead><tr><th scope="col">When</th><th scope="col">Event</th>' +
    '<th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Request</th><th scope="col">Reason</th></tr></thead>' +
    `<tbody>${rows}</tbody></table>`
  );
}

export function auditView(
  page: { events: AuditEvent[]; cursor?: string },
  filters: AuditFilters,
  first: boolean,
  report: VerifyReport | undefined,
  paths: ConsolePaths,
): ConsoleView {
  const older = page.cursor
    ? `<p class="pager">${first ? '' : `<a href="${escapeHtml(`${paths.page('audit')}${auditQueryString(filters)}`)}">Newest</a>`}` +
      `<a rel="next" href="${escapeHtml(`${paths.page('audit')}${auditQueryString(filters, { cursor: page.cursor })}`)}">Older</a></p>`
    : '';
  return {
    title: 'Audit trail',
    section: 'audit',
    before: filterForm(filters, paths) + verification(report),
    live: `<h2 id="events">Events</h2>${eventsTable(page.events)}${older}`,
    pollMs: 5000,
  };
}
