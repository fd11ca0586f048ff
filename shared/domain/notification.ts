/**
 * What an approver reads: enough to decide without opening anything else (who asks,
 * what, why, for how long, what the policy requires and how much is still missing,
 * when the window closes), as plain text and as HTML; and the lifecycle events the
 * requester is told of.
 *
 * Delivery (shared/adapters/notifier.ts): SNS email subscriptions show plain text,
 * so the text is what an approver's mailbox gets; the HTML rides along in a JSON
 * envelope for subscribers that can render it (an HTTPS, Lambda or SQS subscriber
 * forwarding to SES).
 *
 * Every value that comes from the requester or their token (name, email, action,
 * resource, justification, ticket) is made inert before it is shown:
 * - text: control characters (newlines included), Unicode line and paragraph
 *   separators, bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069,
 *   U+200E/U+200F, U+061C) and zero-width characters are neutralized, so nobody can
 *   forge a line (such as a second "Approve:" link) or make text read backwards; URL
 *   schemes and bare domains are defanged (`https[:]//`, `www[.]`, `evil[.]com`), so the only link in a message that
 *   a mail client turns clickable is jitgate's own;
 * - HTML: the same, then HTML-escaped; jitgate's own link is the only anchor.
 */
import { denials, quorum } from './approvals';
import { escapeHtml } from './html';
import type { JitRequest, NotifiedApprover } from './request';

export interface Message {
  subject: string;
  /** The body SNS email subscribers get. */
  text: string;
  /** The same content as a self-contained HTML document (inline styles, no external assets). */
  html: string;
}

type PendingApproval = Extract<JitRequest, { status: 'pending_approval' }>;

const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const INVISIBLE = /[\u00ad\u200b-\u200d\u2060\ufeff]/g;
const URL_SCHEME = /\b([a-z][a-z0-9+.-]*):\/\//gi;
const WWW = /\bwww\./gi;
/** A bare domain (`evil.example.com/login`): mail clients link these too, scheme or not. */
const BARE_DOMAIN = /\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+)([a-z][a-z0-9-]{1,62})\b/gi;

/** A value from the requester, made inert for a text body: one line, no direction tricks, no clickable URL; at most `max` characters. */
export function clean(value: string, max = 500): string {
  const flat = value
    .replace(LINE_BREAKING, ' ')
    .replace(BIDI_CONTROLS, '\ufffd')
    .replace(INVISIBLE, '')
    .replace(URL_SCHEME, '$1[:]//')
    .replace(WWW, 'www[.]')
    .replace(BARE_DOMAIN, (_, labels: string, tld: string) => `${labels.slice(0, -1)}[.]${tld}`);
  const chars = Array.from(flat);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : flat;
}

function duration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** `2026-03-01 14:05:09 UTC`: unambiguous, and readable on a phone. */
function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? clean(iso, 40) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function relative(iso: string, now: Date): string {
  const seconds = Math.round((Date.parse(iso) - now.getTime()) / 1000);
  if (seconds <= 0) return 'now';
  if (seconds < 120) return `in ${seconds} s`;
  if (seconds < 7200) return `in ${Math.round(seconds / 60)} min`;
  return `in ${Math.round(seconds / 360) / 10} h`;
}

function grantText(request: JitRequest): string {
  return request.requirements.grant.mode === 'once'
    ? `one use within ${duration(request.durationSeconds)} (one-time grant)`
    : `access for ${duration(request.durationSeconds)} (window grant, ends by itself)`;
}

function mfaText(request: JitRequest): string {
  const m = request.requirements.mfa;
  if (m === 'none') return 'none';
  if (m === 'totp')
    return `authenticator code (TOTP): ${request.mfa.passedAt ? `passed ${when(request.mfa.passedAt)}` : 'not answered yet'}`;
  const how = [
    m.stepUp.acr?.length ? `acr ${m.stepUp.acr.join(' or ')}` : '',
    m.stepUp.amr?.length ? `amr ${m.stepUp.amr.join(' or ')}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return (
    `fresh sign-in at the identity provider${how ? ` (${clean(how, 200)})` : ''} within ${duration(m.stepUp.maxAge)}: ` +
    'checked when the request was made'
  );
}

function requesterName(request: JitRequest): string {
  return clean(request.requester.name ?? request.requester.sub, 80);
}

/** "1 from security-admins (approved: Carol); 1 from finance-approvers" */
function approvalsText(request: JitRequest): { required: string; missing: string } {
  const q = quorum(request.requirements, request.approvals);
  const nameOf = (id: string) => {
    const a = request.approvals.find((x) => x.approver.id === id)?.approver;
    return clean(a?.name ?? a?.sub ?? id, 80);
  };
  const required = q.groups
    .map((g) => `${g.required} from ${g.group}${g.approvedBy.length ? ` (approved: ${g.approvedBy.map(nameOf).join(', ')})` : ''}`)
    .join('; ');
  const missing = q.groups
    .filter((g) => g.remaining > 0)
    .map((g) => `${g.remaining} from ${g.group}`)
    .join(', ');
  return { required, missing: missing || 'nothing' };
}

interface Body {
  greeting: string;
  lead: string[];
  fields: [label: string, value: string][];
  /** jitgate's own link (never a requester value). */
  action?: { intro: string; button: string; link: string };
  footer: string[];
}

/** The fields every approver-side message shows; values already cleaned. */
function requestFields(request: PendingApproval, now: Date, youCountFor?: string[]): [string, string][] {
  const who = requesterName(request);
  const { required, missing } = approvalsText(request);
  const d = denials(request);
  return [
    ['Requester', `${who} <${clean(request.requester.email ?? 'no email', 120)}> (issuer ${clean(request.requester.issuer, 200)})`],
    ['Action', clean(request.action, 100)],
    ['Resource', clean(request.resource, 200)],
    ['Justification', request.justification ? clean(request.justification) : '(none given)'],
    ...(request.ticket ? [['Ticket', clean(request.ticket, 200)] as [string, string]] : []),
    ['Duration', grantText(request)],
    ['MFA', mfaText(request)],
    ['Approvals', required],
    ['Still needed', `${missing}${youCountFor?.length ? ` (you count for ${youCountFor.join(', ')})` : ''}`],
    ...(d.required > 1 ? [['Denials', `${d.required} denials end the request (${d.deniedBy.length} so far)`] as [string, string]] : []),
    ['Window closes', `${when(request.approvalDeadline)} (${relative(request.approvalDeadline, now)})`],
    ['Request', clean(request.id, 80)],
  ];
}

function render(subject: string, body: Body): Message {
  const width = Math.max(...body.fields.map(([label]) => label.length)) + 2;
  const text = [
    body.greeting,
    '',
    ...body.lead.flatMap((p) => [p, '']),
    ...body.fields.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    ...(body.action ? ['', body.action.intro, body.action.link] : []),
    '',
    ...body.footer,
  ].join('\n');

  const p = (s: string, style = '') => `<p style="margin:0 0 12px${style}">${escapeHtml(s)}</p>`;
  const rows = body.fields
    .map(
      ([label, value]) =>
        '<tr><th scope="row" style="text-align:left;vertical-align:top;padding:4px 12px 4px 0;color:#57606a;' +
        'font-weight:600;white-space:nowrap">' +
        `${escapeHtml(label)}</th><td style="padding:4px 0;word-break:break-word">${escapeHtml(value)}</td></tr>`,
    )
    .join('');
  const action = body.action
    ? p(body.action.intro.replace(/:$/, '.'), ';margin-top:16px') +
      `<p style="margin:0 0 16px"><a href="${escapeHtml(body.action.link)}" ` +
      'style="display:inline-block;background:#0a58ca;color:#ffffff;text-decoration:none;' +
      'padding:10px 18px;border-radius:6px;font-weight:600">' +
      `${escapeHtml(body.action.button)}</a></p>`
    : '';
  const html = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title></head>`,
    '<body style="margin:0;padding:16px;background:#f6f7f9;color:#1b1f24;' +
      "font:15px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif\">",
    '<div style="max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #d0d7de;border-radius:8px;padding:16px 20px">',
    p(body.greeting),
    ...body.lead.map((s) => p(s)),
    `<table role="presentation" style="border-collapse:collapse;width:100%;margin:4px 0 8px">${rows}</table>`,
    action,
    ...body.footer.map((s) => p(s, ';font-size:13px;color:#57606a')),
    '</div></body></html>',
  ].join('\n');
  return { subject, text, html };
}

export type ApproverMessageKind = 'request' | 'reminder' | 'escalation';

/**
 * An approver's personal message with their link: the first notification, the
 * reminder (`approvals.remindAfter`), or the escalation (`approvals.escalate`) to a
 * member of the escalation group who is also an approver of this request.
 */
export function approverMessage(
  request: PendingApproval,
  approver: NotifiedApprover,
  link: string,
  opts: { kind?: ApproverMessageKind; group?: string; now?: Date } = {},
): Message {
  const kind = opts.kind ?? 'request';
  const now = opts.now ?? new Date();
  const who = requesterName(request);
  const what = `${clean(request.action, 100)} on ${clean(request.resource, 200)}`;
  const { missing } = approvalsText(request);
  const lead = {
    request: `${who} asks to ${what}.`,
    reminder: `Reminder: ${who} still waits for a decision to ${what}.`,
    escalation:
      `Escalation: ${who}'s request to ${what} still needs ${missing} and times out ` +
      `${relative(request.approvalDeadline, now)}.${opts.group ? ` You are told because you are in ${opts.group}.` : ''}`,
  }[kind];
  const action = clean(request.action, 60);
  const subject = {
    request: `Approval needed: ${action} by ${who}`,
    reminder: `Reminder: approval needed: ${action} by ${who}`,
    escalation: `Escalation: ${action} by ${who} times out soon`,
  }[kind];
  // An extension (POST /v1/requests/{id}/extend): more time on a grant already approved, said so.
  const extension = request.extends
    ? [`This is an extension: ${request.durationSeconds} s more on the active grant ${clean(request.extends, 64)}, from its current end.`]
    : [];
  return render(subject, {
    greeting: `Hello ${clean(approver.name ?? approver.sub, 80)},`,
    lead: [lead, ...extension],
    fields: requestFields(request, now, approver.groups),
    action: { intro: 'Review and decide (the page asks you to confirm; opening it changes nothing):', button: 'Review and decide', link },
    footer: ['This link is yours alone, works once, and expires when the approval window closes.'],
  });
}

/**
 * The escalation to a member of the escalation group who cannot decide this request
 * (they are in none of the groups it needs): informational, no link; it says who
 * still can, so they can chase them.
 */
export function escalationNotice(
  request: PendingApproval,
  recipient: { name?: string; sub: string },
  group: string,
  now: Date = new Date(),
): Message {
  const who = requesterName(request);
  const what = `${clean(request.action, 100)} on ${clean(request.resource, 200)}`;
  const { missing } = approvalsText(request);
  const q = quorum(request.requirements, request.approvals, request.notified);
  const can = [...new Map(q.groups.flatMap((g) => g.mayStillApprove).map((m) => [m.id, clean(m.name ?? m.email ?? m.id, 80)])).values()];
  return render(`Escalation: ${clean(request.action, 60)} by ${who} times out soon`, {
    greeting: `Hello ${clean(recipient.name ?? recipient.sub, 80)},`,
    lead: [
      `Escalation: ${who}'s request to ${what} still needs ${missing} and times out ${relative(request.approvalDeadline, now)}.`,
      `You are told because you are in ${group}. You cannot decide it yourself (you are in none of the groups it needs); ` +
        `${can.length ? `who can still approve: ${can.join(', ')}` : 'nobody notified can still approve it'}.`,
    ],
    fields: requestFields(request, now),
    footer: ['If nobody decides before the window closes, the request times out and the requester is told.'],
  });
}

/**
 * Break-glass: an emergency self-grant without approval. Informational, to every
 * member of the policy's notify group; nothing to click, but loud about what happened
 * and how to end it.
 */
export function breakGlassMessage(
  request: JitRequest,
  recipient: { name?: string; sub: string },
  group: string,
  reviewLink?: string,
): { subject: string; text: string } {
  const who = clean(request.requester.name ?? request.requester.sub, 80);
  const grant =
    request.requirements.grant.mode === 'once'
      ? `one use within ${duration(request.durationSeconds)}`
      : `access for ${duration(request.durationSeconds)}`;
  const lines = [
    `Hello ${clean(recipient.name ?? recipient.sub, 80)},`,
    '',
    `BREAK-GLASS: ${who} gave themselves ${clean(request.action, 100)} on ${clean(request.resource, 200)} without approval.`,
    '',
    `Requester:     ${who} <${clean(request.requester.email ?? 'no email', 120)}> (issuer ${clean(request.requester.issuer, 200)})`,
    `Action:        ${clean(request.action, 100)}`,
    `Resource:      ${clean(request.resource, 200)}`,
    `Justification: ${request.justification ? clean(request.justification) : '(none given)'}`,
    ...(request.ticket ? [`Ticket:        ${clean(request.ticket, 200)}`] : []),
    `Grant:         ${grant}, ending by itself`,
    `Request:       ${request.id}`,
    '',
    `You are told because you are in ${group}. If this is not expected, revoke it now:`,
    `POST /v1/requests/${request.id}/revoke (admins), and read the audit trail.`,
    ...(reviewLink
      ? [
          '',
          'Nobody approved this grant, so it needs your review: confirm it, or flag it for the security team.',
          `Review (personal, works once): ${reviewLink}`,
        ]
      : ['', 'You broke glass yourself: another member of the group reviews it.']),
  ];
  return { subject: `BREAK-GLASS: ${clean(request.action, 60)} by ${who}`, text: lines.join('\n') };
}

// ---------------------------------------------------------------------------------
// Lifecycle events for the requester (events topic, `requester` message attribute).

export type Outcome = 'activated' | 'extended' | 'denied' | 'timed_out' | 'expired' | 'consumed' | 'revoked' | 'cancelled' | 'failed';

/**
 * The body of an outcome event: what it is about and how it ended, plus a one-line
 * `summary` for subscribers that show the message as is (an email subscription of
 * the requester filtered on the `requester` attribute).
 */
export function outcomeEvent(
  request: JitRequest,
  outcome: Outcome,
  extra: { expiresAt?: string; reason?: string; [key: string]: unknown } = {},
): Record<string, unknown> {
  const what = `${clean(request.action, 100)} on ${clean(request.resource, 200)}`;
  const reason = extra.reason ? `: ${clean(extra.reason, 300)}` : '';
  const summary = {
    activated: `Approved: ${what} is active${extra.expiresAt ? ` until ${when(extra.expiresAt)}` : ''}.`,
    extended: `Extended: ${what} is active${extra.expiresAt ? ` until ${when(extra.expiresAt)}` : ' longer'}.`,
    denied: `Denied: ${what}${reason}.`,
    timed_out: `Timed out: nobody decided ${what} before the approval window closed.`,
    expired: `Ended: your grant for ${what} expired.`,
    consumed: `Used: your one-time grant for ${what} was used.`,
    revoked: `Revoked: your grant for ${what} was ended early${reason}.`,
    cancelled: `Cancelled: your request for ${what} was cancelled.`,
    failed: `Failed: your request for ${what} could not be completed because of an error in jitgate; it is closed, ask again.`,
  }[outcome];
  return {
    requestId: request.id,
    requester: request.requester.id,
    ...(request.requester.email ? { requesterEmail: request.requester.email } : {}),
    action: request.action,
    resource: request.resource,
    outcome,
    ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)),
    summary,
  };
}

/**
 * A lifecycle event as subscribers receive it: its type, then its fields
 * (the SNS notifier sends this).
 */
export function eventMessage(type: string, body: Record<string, unknown>): string {
  return JSON.stringify({ type, ...body });
}
