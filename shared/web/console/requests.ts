/**
 * The console's request pages, as HTML: "My requests" (the list, with MFA, cancel and
 * revoke in place, and the form to ask for an action) and a request's own page (its
 * timeline). Pure: the handler (functions/console/) calls the use cases and passes
 * their answers here. Everything a request carries is escaped, hidden characters shown.
 */
import { escapeHtml } from '../../domain/html';
import { showHidden } from '../../domain/visible';
import type { Requirements } from '../../domain/policy';
import { timeline, type ShownRequest } from '../../domain/timeline';
import { duration } from '../approval-page';
import type { ConsolePaths, ConsoleView, Viewer } from './layout';

/** What a request's text shows: escaped, with its hidden characters made visible. */
export const shown = (value: unknown) => escapeHtml(showHidden(String(value)));

/** A policy as GET /v1/policies answers it for this caller (shared/usecases/policies.ts). */
export interface PolicyForCaller {
  action: string;
  resource?: string;
  description?: string;
  decision: 'denied' | 'requestable' | 'auto';
  mayRequest: boolean;
  requirements: Requirements;
  needs?: string[];
  deniedBecause?: string;
  breakGlass?: { allowed: boolean };
}

export function statusChip(status: string): string {
  return `<span class="status ${escapeHtml(status)}">${escapeHtml(status.replace(/_/g, ' '))}</span>`;
}

/** `at` in UTC, readable and sortable: `2026-11-26 12:30:05 UTC`. */
export function when(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? escapeHtml(iso) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function timelineHtml(r: ShownRequest): string {
  const items = timeline(r).map(
    (s) =>
      `<li class="${s.tone}">${shown(s.text)}` +
      `${s.at ? ` <span class="muted small">${s.tone === 'next' ? 'by ' : ''}${when(s.at)}</span>` : ''}` +
      `${s.detail ? `<br><span class="muted small">${shown(s.detail)}</span>` : ''}</li>`,
  );
  return `<ol class="timeline" aria-label="Timeline">${items.join('')}</ol>`;
}

/** The requester's own controls: the MFA code while it is asked for, cancel while pending, revoke while active. */
function ownerActions(r: ShownRequest, paths: ConsolePaths, viewer: Viewer): string {
  const csrf = `<input type="hidden" name="csrf" value="${escapeHtml(viewer.csrf)}">`;
  const id = escapeHtml(r.id);
  const parts: string[] = [];
  if (r.status === 'pending_mfa' && r.waitingFor?.mfa?.method === 'totp') {
    parts.push(
      `<form method="post" action="${escapeHtml(paths.action(r.id, 'mfa'))}">${csrf}` +
        `<label for="code-${id}">Authenticator code</label>` +
        `<input type="text" id="code-${id}" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" ` +
        'maxlength="6" required aria-describedby="code-hint-' +
        `${id}"><p class="hint" id="code-hint-${id}">The 6 digits your authenticator app shows for jitgate.</p>` +
        `<div class="buttons"><button type="submit" id="mfa-${id}">Send code</button></div></form>`,
    );
  }
  if (r.status === 'pending_mfa' || r.status === 'pending_approval') {
    parts.push(
      `<form method="post" action="${escapeHtml(paths.action(r.id, 'cancel'))}">${csrf}` +
        `<div class="buttons"><button class="secondary" type="submit" id="cancel-${id}">Cancel request</button></div></form>`,
    );
  }
  if (r.status === 'active') {
    parts.push(
      `<form method="post" action="${escapeHtml(paths.action(r.id, 'revoke'))}">${csrf}` +
        `<label for="revoke-reason-${id}">Reason to end it early (optional)</label>` +
        `<input type="text" id="revoke-reason-${id}" name="reason" maxlength="500">` +
        `<div class="buttons"><button class="deny" type="submit" id="revoke-${id}">Revoke grant</button></div></form>`,
    );
  }
  return parts.join('');
}

/** Approve / Deny with a reason, for someone who may still decide: one form, each button posting to its own URL. */
export function decisionForm(r: ShownRequest, paths: ConsolePaths, viewer: Viewer): string {
  const id = escapeHtml(r.id);
  return `<form method="post" action="${escapeHtml(paths.action(r.id, 'approve'))}">
<input type="hidden" name="csrf" value="${escapeHtml(viewer.csrf)}">
<label for="reason-${id}">Reason (optional)</label>
<input type="text" id="reason-${id}" name="reason" maxlength="2000" aria-describedby="reason-hint-${id}">
<p class="hint" id="reason-hint-${id}">Shown to the requester and kept in the audit trail.</p>
<div class="buttons"><button class="approve" type="submit" id="approve-${id}">Approve</button>
<button class="deny" type="submit" id="deny-${id}" formaction="${escapeHtml(paths.action(r.id, 'deny'))}">Deny</button></div>
</form>`;
}

/** Whether the viewer is among those who may still approve a pending request. */
export function mayDecide(r: ShownRequest, viewerId: string): boolean {
  return r.status === 'pending_approval' && (r.waitingFor?.approvals ?? []).some((g) => g.mayStillApprove.some((p) => p.id === viewerId));
}

function summary(r: ShownRequest, paths: ConsolePaths): string {
  return (
    `<h3><a href="${escapeHtml(paths.request(r.id))}"><code>${shown(r.action)}</code></a> on <code>${shown(r.resource)}</code></h3>` +
    `<p>${statusChip(r.status)} <span class="muted small">created ${when(r.createdAt)}</span></p>`
  );
}

export function requestCard(r: ShownRequest, paths: ConsolePaths, viewer: Viewer): string {
  const mine = r.requester.id === viewer.id;
  return `<article class="card" aria-label="${escapeHtml(`${r.action} on ${r.resource}`)}">${summary(r, paths)}${timelineHtml(r)}${
    mine ? ownerActions(r, paths, viewer) : ''
  }</article>`;
}

export function pager(next: string | undefined, first: boolean, hrefFor: (cursor?: string) => string): string {
  if (!next && first) return '';
  return (
    '<p class="pager">' +
    (first ? '' : `<a href="${escapeHtml(hrefFor())}">Newest</a>`) +
    (next ? `<a href="${escapeHtml(hrefFor(next))}" rel="next">Older</a>` : '') +
    '</p>'
  );
}

function grantText(q: Requirements): string {
  return q.grant.mode === 'once'
    ? `one use within ${duration(q.grant.useWithinSeconds)}`
    : `a window of up to ${duration(q.grant.maxDurationSeconds)}`;
}

/** What a policy takes, in words, shown next to its choice before anything is sent (and on the policies page). */
export function requirementsText(decision: PolicyForCaller['decision'], q: Requirements): string {
  const parts = [
    decision === 'auto' || q.approvals.length === 0
      ? 'no approval'
      : q.approvals.map((a) => `${a.required} approval from ${a.group}`).join(' and '),
    q.mfa === 'none' ? '' : q.mfa === 'totp' ? 'an authenticator code' : 'a fresh sign-in with MFA',
    q.justification.required ? `a justification${q.justification.minLength ? ` of ${q.justification.minLength}+ characters` : ''}` : '',
    q.ticket?.required ? `a ticket${q.ticket.pattern ? ` matching ${q.ticket.pattern}` : ''}` : '',
    grantText(q),
  ].filter(Boolean);
  return parts.join('; ');
}

function requestForm(policies: PolicyForCaller[], paths: ConsolePaths, viewer: Viewer): string {
  const mine = policies.map((p, index) => ({ p, index })).filter(({ p }) => p.mayRequest);
  if (mine.length === 0)
    return (
      '<section class="card" aria-labelledby="ask"><h2 id="ask">Ask for an action</h2>' +
      '<p>No policy lets you ask for anything.</p></section>'
    );
  const choices = mine
    .map(({ p, index }, i) => {
      const id = `policy-${index}`;
      const label = `<code>${shown(p.action)}</code>${p.resource ? ` on <code>${shown(p.resource)}</code>` : ''}`;
      return (
        `<div class="choice"><input type="radio" name="policy" id="${id}" value="${index}"${i === 0 ? ' checked' : ''} ` +
        `aria-describedby="${id}-needs"><label for="${id}">${label}` +
        `${p.description ? ` <span class="muted">${shown(p.description)}</span>` : ''}` +
        `<br><span class="small" id="${id}-needs">Takes ${shown(requirementsText(p.decision, p.requirements))}.</span></label></div>`
      );
    })
    .join('');
  return `<section class="card" aria-labelledby="ask"><h2 id="ask">Ask for an action</h2>
<form method="post" action="${escapeHtml(paths.create())}"><input type="hidden" name="csrf" value="${escapeHtml(viewer.csrf)}">
<fieldset><legend>Action</legend>${choices}</fieldset>
<div class="grid2"><div><label for="action">Exact action (for patterns such as prod:*)</label>
<input type="text" id="action" name="action" maxlength="128" autocomplete="off"></div>
<div><label for="resource">Resource</label>
<input type="text" id="resource" name="resource" maxlength="512" autocomplete="off" aria-describedby="resource-hint">
<p class="hint" id="resource-hint">Leave empty for any resource (*).</p></div></div>
<label for="justification">Justification</label>
<textarea id="justification" name="justification" maxlength="2000"></textarea>
<div class="grid2"><div><label for="ticket">Ticket</label><input type="text" id="ticket" name="ticket" maxlength="200"></div>
<div><label for="minutes">Duration in minutes (window grants)</label>
<input type="number" id="minutes" name="minutes" min="1" max="44640" inputmode="numeric"></div></div>
<div class="buttons"><button type="submit" id="submit-request">Ask</button></div></form></section>`;
}

export function myRequestsView(
  list: { requests: ShownRequest[]; cursor?: string },
  first: boolean,
  policies: PolicyForCaller[],
  paths: ConsolePaths,
  viewer: Viewer,
): ConsoleView {
  const cards = list.requests.map((r) => requestCard(r, paths, viewer)).join('');
  const hrefFor = (cursor?: string) => (cursor ? `${paths.home()}?cursor=${encodeURIComponent(cursor)}` : paths.home());
  return {
    title: 'My requests',
    section: 'requests',
    // The form is long on a phone: its button stays within reach above the list.
    before: '<p><a class="button" href="#ask" id="to-ask">Ask for an action</a></p>',
    live: `<h2 id="mine">Your requests</h2>${cards || '<p>You have not asked for anything yet.</p>'}` + pager(list.cursor, first, hrefFor),
    after: requestForm(policies, paths, viewer),
  };
}

export function detailView(r: ShownRequest, paths: ConsolePaths, viewer: Viewer): ConsoleView {
  const rows: [string, string][] = [
    ['Requester', shown(r.requester.name ? `${r.requester.name} <${r.requester.email ?? r.requester.sub}>` : r.requester.sub)],
    ['Justification', shown(r.justification ?? '(none)')],
    ...(r.ticket ? [['Ticket', shown(r.ticket)] as [string, string]] : []),
    [
      'Grant',
      escapeHtml(
        r.requirements.grant.mode === 'once'
          ? `one use, within ${duration(r.durationSeconds)} of activation`
          : `${duration(r.durationSeconds)} from activation`,
      ),
    ],
    ['Request id', `<span class="mono">${escapeHtml(r.id)}</span>`],
  ];
  return {
    title: `${r.action} on ${r.resource}`,
    live:
      `<p>${statusChip(r.status)}</p><dl>${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>` +
      `<h2>Timeline</h2>${timelineHtml(r)}${r.requester.id === viewer.id ? ownerActions(r, paths, viewer) : ''}` +
      `${mayDecide(r, viewer.id) ? `<h2>Your decision</h2>${decisionForm(r, paths, viewer)}` : ''}`,
  };
}
