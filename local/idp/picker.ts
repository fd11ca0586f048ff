/**
 * The development IdP's HTML: the sign-in page (pick a demo user, with or without a second
 * factor), reading its form, and the plain pages errors are shown on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoUser } from '../demo-users';
import type { InteractionDetails } from './oidc-provider-types';

/** What the picker's sign-in reports in `acr`: a simulated password sign-in, or one with a second factor. */
export const DEV_ACR = { password: 'urn:jitgate:dev:password', mfa: 'urn:jitgate:dev:mfa' } as const;
/** RFC 8176 `amr` values for the same two. */
export const DEV_AMR = { password: ['pwd'], mfa: ['pwd', 'otp', 'mfa'] } as const;

export function pickerPage(details: InteractionDetails, users: readonly DemoUser[], action: string, error?: string): string {
  const { params } = details;
  const wantsMfa = (params.acr_values ?? '').split(' ').includes(DEV_ACR.mfa) || (params.claims ?? '').includes(DEV_ACR.mfa);
  const rows = users
    .map((u) => {
      const claims = [
        u.groups && `groups: ${u.groups.join(', ')}`,
        u.roles && `roles: ${u.roles.join(', ')}`,
        u.employment && `employment: ${u.employment}`,
      ]
        .filter(Boolean)
        .join('; ');
      const hinted = params.login_hint === u.sub ? ' autofocus' : '';
      const button = `<button type="submit" name="user" value="${esc(u.sub)}"${hinted}>Sign in as ${esc(u.name)}</button>`;
      return `<tr><td>${button}</td><td><code>${esc(u.sub)}</code></td><td>${esc(u.email)}</td><td>${esc(claims)}</td></tr>`;
    })
    .join('\n');
  const mfaCheckbox =
    `<p><label><input type="checkbox" name="mfa" value="on"${wantsMfa ? ' checked' : ''}> signed in with a second factor ` +
    `(<code>amr</code> pwd, otp, mfa; <code>acr</code> ${esc(DEV_ACR.mfa)})</label></p>`;
  return page(
    'Development sign-in',
    `<h1>jitgate development sign-in</h1>
<p class="note">Development only: no passwords. <strong>${esc(params.client_id ?? '')}</strong> asks you to sign in; pick a demo user.</p>
${error ? `<p class="error">${esc(error)}</p>` : ''}
<form method="post" action="${esc(action)}">
${mfaCheckbox}
<table><thead><tr><th></th><th>user</th><th>email</th><th>claims</th></tr></thead><tbody>
${rows}
</tbody></table>
<p><button type="submit" name="action" value="abort" class="secondary">Cancel</button></p>
</form>`,
  );
}

const PAGE_HEAD =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">';
const PAGE_STYLE =
  '<style>body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#222}' +
  'table{border-collapse:collapse}td,th{padding:.4rem .6rem;text-align:left;border-bottom:1px solid #ddd}' +
  'button{cursor:pointer;padding:.3rem .7rem}.note{color:#555}.error{color:#b00}.secondary{background:none;border:1px solid #aaa}</style>';

export function page(title: string, body: string): string {
  return `${PAGE_HEAD}<title>${esc(title)}</title>
${PAGE_STYLE}
</head><body>${body}</body></html>`;
}

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' });
  res.end(html);
}

export class FormTooLarge extends Error {}

export async function readForm(req: IncomingMessage, limit = 16 * 1024): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new FormTooLarge();
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
