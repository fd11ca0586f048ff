/**
 * The approver's confirmation page: self-contained HTML (no external assets, no
 * script), a strict Content-Security-Policy with the one inline stylesheet allowed by
 * hash, labels and visible focus styles for keyboard users, readable on a phone
 * (large type and full-width buttons at 48 px or more), light and dark colour schemes
 * with at least WCAG AA contrast. Every value that comes from a request is escaped.
 */
import { createHash } from 'node:crypto';
import { escapeHtml } from '../domain/html';
import { showHidden } from '../domain/visible';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { quorum } from '../domain/approvals';
import type { JitRequest } from '../domain/request';

const CSS = `
:root{color-scheme:light dark;--fg:#16181d;--bg:#eef0f4;--card:#fff;--muted:#4a5160;--line:#d3d8e0;--chip:#e8edfb;
--chip-fg:#1c3a8a;--focus:#1a56db;--ok:#0b6b35;--no:#a11d1d;--quote:#f6f7f9}
@media (prefers-color-scheme:dark){:root{--fg:#eef0f3;--bg:#0f1115;--card:#1a1d23;--muted:#b9c0cc;--line:#3a3f4a;--chip:#23304f;
--chip-fg:#cfdcff;--focus:#8ab4ff;--quote:#14171c}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
.top{display:flex;align-items:center;gap:.5rem;max-width:34rem;margin:0 auto;padding:.9rem 1.25rem .4rem;font-size:.8rem;
font-weight:700;letter-spacing:.08em;text-transform:uppercase;color:var(--muted)}
.mark{display:inline-grid;place-items:center;width:1.5rem;height:1.5rem;border-radius:.4rem;background:var(--fg);color:var(--bg);
font-size:.8rem;letter-spacing:0}
main{max-width:34rem;margin:0 auto;padding:.25rem 1rem 2rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:1rem;padding:1.25rem;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.eyebrow{margin:0 0 .35rem;color:var(--muted);font-size:.95rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .2rem;overflow-wrap:anywhere}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.92em}
h1 code{display:inline-block;background:var(--chip);color:var(--chip-fg);padding:.05rem .45rem;border-radius:.4rem}
.on{margin:0 0 1.1rem;color:var(--muted);overflow-wrap:anywhere}.on code{color:var(--fg)}
.who{display:flex;gap:.8rem;align-items:center;padding:.85rem 0;border-top:1px solid var(--line);border-bottom:1px solid var(--line)}
.avatar{flex:none;display:grid;place-items:center;width:2.75rem;height:2.75rem;border-radius:50%;background:var(--chip);
color:var(--chip-fg);font-weight:700;font-size:1.2rem}
.who p{margin:0;overflow-wrap:anywhere}.who .name{font-weight:700;font-size:1.1rem}.who .sub{color:var(--muted);font-size:.9rem}
h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:1.1rem 0 .35rem}
blockquote{margin:0;padding:.6rem .85rem;background:var(--quote);border-left:4px solid var(--line);border-radius:.4rem;
overflow-wrap:anywhere;white-space:pre-wrap}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.45rem 1rem;margin:1.1rem 0 0}
dt{color:var(--muted)}dd{margin:0;font-weight:600;overflow-wrap:anywhere}dd.id{font-weight:400;color:var(--muted);font-size:.85rem}
@media (max-width:480px){dl{grid-template-columns:1fr;gap:0}dt{font-size:.8rem;font-weight:700;text-transform:uppercase;
letter-spacing:.06em;margin-top:.8rem}dt:first-child{margin-top:0}}
form{margin-top:1.25rem}
label{display:block;font-weight:700;margin:0 0 .3rem}
.hint{margin:.3rem 0 0;color:var(--muted);font-size:.88rem}
textarea{display:block;width:100%;min-height:5.5rem;font:inherit;padding:.6rem .7rem;border:1px solid var(--muted);
border-radius:.6rem;background:var(--card);color:var(--fg);resize:vertical}
.buttons{display:grid;grid-template-columns:1fr 1fr;gap:.75rem;margin-top:1.1rem}
@media (max-width:420px){.buttons{grid-template-columns:1fr}}
button,.button{display:block;width:100%;min-height:3.25rem;font:inherit;font-size:1.1rem;font-weight:700;padding:.75rem 1rem;
border-radius:.7rem;border:2px solid transparent;cursor:pointer;text-align:center;text-decoration:none}
.approve{background:var(--ok);color:#fff}
.deny{background:var(--card);color:var(--no);border-color:var(--no)}
@media (prefers-color-scheme:dark){.deny{color:#ffb3b3;border-color:#ff8f8f}}
.signin{background:var(--focus);color:#fff;margin-top:1.1rem}
@media (prefers-color-scheme:dark){.signin{color:#0f1115}}
button:focus-visible,.button:focus-visible,textarea:focus-visible{outline:3px solid var(--focus);outline-offset:3px}
textarea:focus{border-color:var(--focus)}
.signed{display:flex;gap:.5rem;align-items:center;margin:1.1rem 0 0;padding:.55rem .75rem;border-radius:.6rem;
background:var(--chip);color:var(--chip-fg);font-size:.92rem}
.note{color:var(--muted);font-size:.88rem;margin:1rem .25rem 0}.card .note{margin:.9rem 0 0}
.icon{display:grid;place-items:center;width:3rem;height:3rem;border-radius:50%;font-size:1.6rem;font-weight:700;
margin-bottom:.75rem;color:#fff;background:var(--muted)}
.tone-ok .icon{background:var(--ok)}.tone-no .icon{background:var(--no)}.tone-error .icon{background:var(--no)}
.message{margin:.4rem 0 0;overflow-wrap:anywhere}
`;
const STYLE_HASH = createHash('sha256').update(CSS).digest('base64');

/**
 * The HTML pages' security headers: the approval page's, and the console's, whose one inline
 * script (by hash) may also fetch from this origin (its live updates).
 */
export function htmlHeaders(styleHash: string, scriptHash?: string): Record<string, string> {
  const script = scriptHash ? ` script-src 'sha256-${scriptHash}'; connect-src 'self';` : '';
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'content-security-policy':
      `default-src 'none'; style-src 'sha256-${styleHash}';${script} img-src 'none'; form-action 'self'; frame-ancestors 'none'; ` +
      `base-uri 'none'`,
  };
}

export const PAGE_HEADERS: Record<string, string> = htmlHeaders(STYLE_HASH);

function layout(title: string, body: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    '<meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer">' +
    `<title>${escapeHtml(title)} · jitgate</title><style>${CSS}</style></head><body>` +
    '<header class="top"><span class="mark" aria-hidden="true">j</span><span>jitgate · approval</span></header>' +
    `<main>${body}</main></body></html>`
  );
}

export interface PageExtras {
  headers?: Record<string, string>;
  /** `Set-Cookie` values (sent as multiValueHeaders). */
  cookies?: string[];
}

export function page(status: number, title: string, body: string, extras: PageExtras = {}): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { ...PAGE_HEADERS, ...extras.headers },
    ...(extras.cookies?.length ? { multiValueHeaders: { 'Set-Cookie': extras.cookies } } : {}),
    body: layout(title, body),
  };
}

export type Tone = 'ok' | 'no' | 'info' | 'error';
const ICONS: Record<Tone, string> = { ok: '✓', no: '✕', info: 'i', error: '!' };

/** A page with one message: confirmations, and every refusal (forged, expired, used, foreign links...). */
export function messagePage(
  status: number,
  title: string,
  message: string,
  opts: { tone?: Tone; detail?: string } & PageExtras = {},
): APIGatewayProxyResult {
  const tone = opts.tone ?? (status >= 400 ? 'error' : 'info');
  const role = status >= 400 ? 'alert' : 'status';
  return page(
    status,
    title,
    `<section class="card tone-${tone}"><div class="icon" aria-hidden="true">${ICONS[tone]}</div><h1>${escapeHtml(title)}</h1>` +
      `<p class="message" role="${role}">${escapeShown(message)}</p>` +
      `${opts.detail ? `<p class="note">${escapeHtml(opts.detail)}</p>` : ''}` +
      '</section><p class="note">You can close this page.</p>',
    opts,
  );
}

/** What the page shows about a request; a pending request with the fields the page reads. */
export type PendingRequest = Extract<JitRequest, { status: 'pending_approval' }>;

export interface Approver {
  name?: string;
  sub: string;
  email?: string;
}

/** How the decision form is guarded: the link alone, a sign-in still needed, or a signed-in approver. */
export type PageMode =
  | { kind: 'link'; csrf: string }
  | { kind: 'signin'; signInHref: string; issuer: string }
  | {
      kind: 'signed-in';
      csrf: string;
      as: string;
    };

/**
 * The grant an extension request (`extends`) would lengthen, as read when the page is shown:
 * its end is what the approver moves, so the page says where it stands.
 */
export interface ExtendedGrant {
  id: string;
  status: JitRequest['status'];
  /** The grant's current end, when it has one. */
  expiresAt?: string;
}

export function decisionPage(
  request: PendingRequest,
  approver: Approver,
  mode: PageMode,
  now: Date = new Date(),
  extras: PageExtras & { extending?: ExtendedGrant } = {},
): APIGatewayProxyResult {
  // What the requester and their token wrote is shown with its hidden characters made visible, as in the email.
  const escapeHtml = (value: unknown) => escapeShown(String(value));
  const requester = request.requester.name ?? request.requester.sub;
  const q = quorum(request.requirements, request.approvals);
  const missing =
    q.groups
      .filter((g) => g.remaining > 0)
      .map((g) => `${g.remaining} approval${g.remaining === 1 ? '' : 's'} from ${g.group}`)
      .join(', ') || 'none';
  const grant = request.extends
    ? `${capitalize(duration(request.durationSeconds))} more, from the grant's current end`
    : request.requirements.grant.mode === 'once'
      ? `One use, within ${duration(request.durationSeconds)} of approval`
      : `${capitalize(duration(request.durationSeconds))}, from approval`;
  const ticket = (request as { ticket?: string }).ticket;
  const rows: [string, string, string?][] = [
    ...(request.extends ? [['Extends', extendsText(request.extends, extras.extending, now)] as [string, string]] : []),
    ['Access', grant],
    ...(ticket ? [['Ticket', ticket] as [string, string]] : []),
    ['Still needed', missing],
    ['Decide by', deadline(request.approvalDeadline, now)],
    ['Request', request.id, 'id mono'],
  ];
  const approverName = approver.name ?? approver.sub;
  const details = `
<section class="card" aria-labelledby="what">
<p class="eyebrow">${escapeHtml(approverName)}, your approval is needed</p>
<h1 id="what">Approve <code>${escapeHtml(request.action)}</code>?</h1>
<p class="on">on <code>${escapeHtml(request.resource)}</code></p>
<div class="who"><div class="avatar" aria-hidden="true">${escapeHtml(initial(requester))}</div>
<div><p class="name">${escapeHtml(requester)}</p>
<p class="sub">${escapeHtml(request.requester.email ?? request.requester.sub)}</p>
<p class="sub">signed in via ${escapeHtml(hostOf(request.requester.issuer))}</p></div></div>
<h2>Justification</h2>
<blockquote>${escapeHtml(request.justification ?? '(none given)')}</blockquote>
<dl>${rows.map(([k, v, cls]) => `<dt>${escapeHtml(k)}</dt><dd${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</dd>`).join('')}</dl>
${mode.kind === 'signin' ? signInPart(mode) : formPart(mode, requester)}
</section>
<p class="note">Opening this page changed nothing.
This link is personal to ${escapeHtml(approverName)}${approver.email ? ` &lt;${escapeHtml(approver.email)}&gt;` : ''} and works once;
your decision is recorded with your name in the audit trail.</p>`;
  return page(200, `Approve ${request.action}?`, details, extras);
}

/** "request 3f2a…, active, ends in 12 minutes · 14:30 UTC, …", or where it stands when no longer active. */
function extendsText(id: string, grant: ExtendedGrant | undefined, now: Date): string {
  if (grant?.id !== id) return `request ${id}`;
  if (grant.status === 'active' && grant.expiresAt) return `request ${id}, active, ends ${deadline(grant.expiresAt, now)}`;
  return `request ${id}, ${grant.status.replace(/_/g, ' ')} now: approving it changes nothing`;
}

function escapeShown(value: string): string {
  return escapeHtml(showHidden(value));
}

function formPart(mode: Extract<PageMode, { csrf: string }>, requester: string): string {
  const signedIn =
    mode.kind === 'signed-in'
      ? `<p class="signed" role="status"><span aria-hidden="true">✓</span> Signed in as ${escapeShown(mode.as)}</p>`
      : '';
  return `${signedIn}
<form method="post">
<input type="hidden" name="csrf" value="${escapeHtml(mode.csrf)}">
<label for="reason">Reason (optional)</label>
<textarea id="reason" name="reason" maxlength="2000" aria-describedby="reason-hint"></textarea>
<p class="hint" id="reason-hint">Shown to ${escapeShown(requester)} and kept in the audit trail.</p>
<div class="buttons">
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
<button class="deny" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>`;
}

function signInPart(mode: Extract<PageMode, { kind: 'signin' }>): string {
  return `<p class="signed" id="signin-why">This action needs you to sign in with ${escapeHtml(mode.issuer)} before you decide.</p>
<a class="button signin" href="${escapeHtml(mode.signInHref)}" aria-describedby="signin-why">Sign in to decide</a>`;
}

// ---------------------------------------------------------------------------
// Formatting

function initial(name: string): string {
  return (Array.from(name.trim())[0] ?? '?').toUpperCase();
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function hostOf(issuer: string): string {
  try {
    const u = new URL(issuer);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return issuer;
  }
}

export function duration(seconds: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (seconds < 120) return plural(seconds, 'second');
  if (seconds < 7200 && seconds % 3600 !== 0) {
    const m = Math.round(seconds / 60);
    return plural(m, 'minute');
  }
  if (seconds < 172_800) {
    const h = Math.floor(seconds / 3600);
    const m = Math.round((seconds % 3600) / 60);
    return m ? `${plural(h, 'hour')} ${plural(m, 'minute')}` : plural(h, 'hour');
  }
  return plural(Math.round(seconds / 86400), 'day');
}

/** `in 25 minutes · 14:30 UTC, 23 Nov 2026`. */
export function deadline(iso: string, now: Date): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  const text = `${p(at.getUTCHours())}:${p(at.getUTCMinutes())} UTC, ${at.getUTCDate()} ${months[at.getUTCMonth()]} ${at.getUTCFullYear()}`;
  const left = Math.round((at.getTime() - now.getTime()) / 1000);
  if (left <= 0) return `passed · ${text}`;
  const minutes = Math.max(1, Math.round(left / 60));
  return `in ${minutes < 60 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : duration(minutes * 60)} · ${text}`;
}
