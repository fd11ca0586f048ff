/**
 * The approver's confirmation page: self-contained HTML (no external assets), a
 * strict Content-Security-Policy with the one inline stylesheet allowed by hash,
 * labels and focus styles for keyboard users, readable on a phone.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { quorum } from './approvals';
import type { JitRequest } from './request';

const CSS = `
:root{color-scheme:light dark;--fg:#111;--bg:#fff;--muted:#444;--ok:#0a5c2c;--no:#8a1414;--line:#ccc}
@media (prefers-color-scheme:dark){:root{--fg:#f2f2f2;--bg:#121212;--muted:#c8c8c8;--ok:#7fe0a6;--no:#ff9d9d;--line:#555}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:36rem;margin:0 auto;padding:1.25rem}h1{font-size:1.4rem;margin:.2rem 0 1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem .9rem;margin:0 0 1.25rem}dt{color:var(--muted);font-weight:600}dd{margin:0;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}textarea{width:100%;min-height:5rem;font:inherit;padding:.5rem;border:1px solid var(--line);border-radius:.4rem;background:var(--bg);color:var(--fg)}
.buttons{display:flex;gap:.75rem;margin-top:1rem;flex-wrap:wrap}button{flex:1 1 10rem;font:inherit;font-weight:700;padding:.8rem 1rem;border-radius:.5rem;border:2px solid transparent;cursor:pointer;color:#fff}
button.approve{background:#0a5c2c}button.deny{background:#8a1414}
button:focus-visible,textarea:focus-visible{outline:3px solid #1a5fd0;outline-offset:2px}
.note{color:var(--muted);font-size:.9rem}.status{padding:.75rem 1rem;border-left:4px solid var(--line)}
`;
const STYLE_HASH = createHash('sha256').update(CSS).digest('base64');

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)} · jitgate</title><style>${CSS}</style></head><body><main>${body}</main></body></html>`;
}

export function page(status: number, title: string, body: string): APIGatewayProxyResult {
  return { statusCode: status, headers: PAGE_HEADERS, body: layout(title, body) };
}

export function messagePage(status: number, title: string, message: string): APIGatewayProxyResult {
  return page(status, title, `<h1>${escapeHtml(title)}</h1><p class="status" role="status">${escapeHtml(message)}</p><p class="note">You can close this page.</p>`);
}

export function decisionPage(request: Extract<JitRequest, { status: 'pending_approval' }>, approverName: string, csrf: string): APIGatewayProxyResult {
  const q = quorum(request.requirements, request.approvals);
  const missing = q.groups.filter((g) => g.remaining > 0).map((g) => `${g.remaining} from ${g.group}`).join(', ') || 'none';
  const grant = request.requirements.grant.mode === 'once' ? `one use within ${request.durationSeconds} s` : `${request.durationSeconds} s of access`;
  const rows: [string, string][] = [
    ['Requester', `${request.requester.name ?? request.requester.sub} <${request.requester.email ?? 'no email'}>`],
    ['Issuer', request.requester.issuer],
    ['Action', request.action],
    ['Resource', request.resource],
    ['Justification', request.justification ?? '(none given)'],
    ['Grant', grant],
    ['Still needed', missing],
    ['Decide before', request.approvalDeadline],
  ];
  return page(200, `Approve ${request.action}?`, `
<h1>Approve ${escapeHtml(request.action)}?</h1>
<p>${escapeHtml(approverName)}, ${escapeHtml(request.requester.name ?? request.requester.sub)} asks for your approval.</p>
<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
<form method="post">
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="reason">Reason (optional)</label>
<textarea id="reason" name="reason" maxlength="2000"></textarea>
<div class="buttons">
<button class="approve" type="submit" name="decision" value="approve">Approve</button>
<button class="deny" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
<p class="note">Opening this page changed nothing. Your decision is recorded with your name in the audit trail.</p>`);
}
