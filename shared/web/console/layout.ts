/**
 * The console's page shell: one inline stylesheet and one inline script, both allowed by
 * hash in the approval page's Content-Security-Policy (plus `connect-src 'self'` for the
 * script's fetches), a navigation bar, and a live region.
 *
 * Live updates without a framework: the part of a page that changes on its own (lists,
 * a request's timeline) is `<div id="live" data-v="<hash>">`. The script fetches the same
 * URL with `X-Jitgate-Fragment: 1` every few seconds; the server answers that region
 * alone with its hash in `X-Jitgate-Version`, and the script swaps it in only when the
 * hash changed, keeps focus on the element with the same id, and leaves the region
 * alone while someone is typing in it, so nothing they wrote is lost.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { escapeHtml } from '../../domain/html';
import { htmlHeaders, type PageExtras } from '../approval-page';

const CSS = `
:root{color-scheme:light dark;--fg:#16181d;--bg:#eef0f4;--card:#fff;--muted:#4a5160;--line:#d3d8e0;--chip:#e8edfb;
--chip-fg:#1c3a8a;--focus:#1a56db;--ok:#0b6b35;--no:#a11d1d;--warn:#7a4b00}
@media (prefers-color-scheme:dark){:root{--fg:#eef0f3;--bg:#0f1115;--card:#1a1d23;--muted:#b9c0cc;--line:#3a3f4a;--chip:#23304f;
--chip-fg:#cfdcff;--focus:#8ab4ff;--ok:#6fdc9a;--no:#ffb3b3;--warn:#ffd48a}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--focus)}
.skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:var(--card);padding:.5rem;z-index:2}
header{background:var(--card);border-bottom:1px solid var(--line)}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .75rem;max-width:60rem;margin:0 auto;padding:.5rem 1rem}
.brand{font-weight:700;letter-spacing:.04em;margin-right:auto}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:0;padding:0}
nav a{display:inline-block;padding:.55rem .7rem;border-radius:.5rem;text-decoration:none;color:var(--fg);min-height:44px}
nav a[aria-current=page]{background:var(--chip);color:var(--chip-fg);font-weight:700}
.who{display:flex;align-items:center;gap:.5rem;font-size:.9rem;color:var(--muted)}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.25rem 0 .75rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:1.25rem 0 .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.8rem;padding:1rem;margin:0 0 .75rem}
.card h2,.card h3{margin:0 0 .25rem;font-size:1.05rem;overflow-wrap:anywhere}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.92em;overflow-wrap:anywhere}
.muted{color:var(--muted)}.small{font-size:.88rem}
.status{display:inline-block;padding:.05rem .5rem;border-radius:1rem;background:var(--chip);color:var(--chip-fg);font-size:.85rem;
font-weight:700}
.status.active,.status.ok{color:var(--ok)}.status.denied,.status.failed,.status.revoked,.status.no{color:var(--no)}
ul.plain{list-style:none;margin:0;padding:0}
ol.timeline{list-style:none;margin:.5rem 0 0;padding:0 0 0 1rem;border-left:3px solid var(--line)}
ol.timeline li{margin:0 0 .6rem;position:relative}
ol.timeline li::before{content:"";position:absolute;left:-1.45rem;top:.45rem;width:.7rem;height:.7rem;border-radius:50%;
background:var(--muted)}
ol.timeline li.done::before{background:var(--ok)}ol.timeline li.no::before{background:var(--no)}
ol.timeline li.next::before{background:var(--card);border:2px solid var(--focus)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:.5rem 0}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
@media (max-width:480px){dl{grid-template-columns:1fr;gap:0}dt{margin-top:.5rem;font-size:.85rem}}
form{margin:.5rem 0 0}
label{display:block;font-weight:700;margin:.6rem 0 .2rem}
.hint{margin:.2rem 0 0;color:var(--muted);font-size:.88rem}
input[type=text],input[type=number],input[type=datetime-local],textarea,select{display:block;width:100%;font:inherit;padding:.5rem .6rem;
border:1px solid var(--muted);border-radius:.5rem;background:var(--card);color:var(--fg);min-height:44px}
textarea{min-height:4rem;resize:vertical}
fieldset{border:1px solid var(--line);border-radius:.6rem;margin:.6rem 0;padding:.5rem .8rem;min-width:0}
legend{font-weight:700;padding:0 .3rem}
.choice{display:flex;gap:.6rem;align-items:flex-start;padding:.45rem 0;border-top:1px solid var(--line)}
.choice:first-of-type{border-top:0}
.choice input{margin-top:.3rem;width:1.25rem;height:1.25rem;flex:none}.choice label{margin:0;font-weight:400}
.buttons{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.6rem}
button,.button{min-height:44px;font:inherit;font-weight:700;padding:.5rem 1rem;border-radius:.6rem;border:2px solid transparent;
cursor:pointer;background:var(--focus);color:#fff;text-decoration:none;display:inline-block}
@media (prefers-color-scheme:dark){button,.button{color:#0f1115}}
button.approve{background:var(--ok)}
button.deny,button.secondary{background:var(--card);color:var(--no);border-color:var(--no)}
button.secondary{color:var(--fg);border-color:var(--muted)}
a:focus-visible,button:focus-visible,input:focus-visible,textarea:focus-visible,select:focus-visible,.button:focus-visible{
outline:3px solid var(--focus);outline-offset:2px}
.banner{padding:.6rem .8rem;border-radius:.6rem;margin:0 0 .75rem;background:var(--chip);color:var(--chip-fg)}
.banner.error{background:var(--card);color:var(--no);border:2px solid var(--no)}
.pager{display:flex;gap:.75rem;margin:.5rem 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .4rem;border-top:1px solid var(--line);vertical-align:top;
overflow-wrap:anywhere}
@media (max-width:600px){table,thead,tbody,tr,th,td{display:block}thead{position:absolute;left:-999px}
tr{border-top:1px solid var(--line);padding:.4rem 0}td{border:0;padding:.1rem 0}}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:0 .75rem}@media (max-width:600px){.grid2{grid-template-columns:1fr}}
`;

const SCRIPT = `(()=>{const r=document.getElementById('live');if(!r)return;const every=Number(r.dataset.poll)||3000;
const busy=()=>{const a=document.activeElement;if(a&&r.contains(a)&&/^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName))return true;
return Array.from(r.querySelectorAll('textarea,input[type=text]')).some((f)=>f.value!=='');};
const tick=async()=>{try{if(!document.hidden&&!busy()){const res=await fetch(location.href,{headers:{'x-jitgate-fragment':'1'},
credentials:'same-origin',cache:'no-store'});if(res.status===401){location.reload();return;}const v=res.headers.get('x-jitgate-version');
if(res.ok&&v&&v!==r.dataset.v&&!busy()){const html=await res.text();const a=document.activeElement;
const id=a&&r.contains(a)?a.id:'';r.innerHTML=html;r.dataset.v=v;if(id){const n=document.getElementById(id);if(n)n.focus();}}}}
catch(e){}setTimeout(tick,every);};setTimeout(tick,every);})();`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64');
export const CONSOLE_HEADERS = htmlHeaders(sha256(CSS), sha256(SCRIPT));
/** The request header the live script sends, asking for the live region alone. */
export const FRAGMENT_HEADER = 'x-jitgate-fragment';

export type ConsoleSection = 'requests' | 'inbox' | 'audit' | 'policies';

/** Who is signed in, and what the navigation offers them. */
export interface Viewer {
  /** The principal id, `<iss>#<sub>`. */
  id: string;
  name: string;
  auditor: boolean;
  /** The CSRF token for the session's forms. */
  csrf: string;
}

/** The console's URLs, under the API's root as the browser sees it (`/`, or `/prod/` on an execute-api URL). */
export class ConsolePaths {
  constructor(readonly root: string) {}
  home = () => this.root;
  page = (section: Exclude<ConsoleSection, 'requests'>) => `${this.root}console/${section}`;
  request = (id: string) => `${this.root}console/requests/${encodeURIComponent(id)}`;
  action = (id: string, verb: 'approve' | 'deny' | 'mfa' | 'cancel' | 'revoke') => `${this.request(id)}/${verb}`;
  create = () => `${this.root}console/requests`;
  signIn = (next = '') => `${this.root}console/signin${next ? `?next=${encodeURIComponent(next)}` : ''}`;
  signOut = () => `${this.root}console/signout`;
}

export interface ConsoleView {
  title: string;
  section?: ConsoleSection;
  /** What stays put: forms, filters. */
  before?: string;
  /** The live region, refreshed in place; its own `<h2>`s. */
  live?: string;
  /** What stays put below the live region. */
  after?: string;
  /** Milliseconds between refreshes of the live region (default 3 s). */
  pollMs?: number;
  banner?: { tone: 'info' | 'error'; text: string };
}

function versionOf(html: string): string {
  return sha256(html).slice(0, 16);
}

function nav(paths: ConsolePaths, viewer: Viewer, current: ConsoleSection | undefined): string {
  const items: [ConsoleSection, string, string][] = [
    ['requests', 'My requests', paths.home()],
    ['inbox', 'Inbox', paths.page('inbox')],
    ...(viewer.auditor ? [['audit', 'Audit', paths.page('audit')] as [ConsoleSection, string, string]] : []),
    ['policies', 'Policies', paths.page('policies')],
  ];
  const links = items
    .map(([key, label, href]) => `<li><a href="${escapeHtml(href)}"${key === current ? ' aria-current="page"' : ''}>${label}</a></li>`)
    .join('');
  return (
    `<nav aria-label="Console"><ul>${links}</ul></nav>` +
    `<form class="who" method="post" action="${escapeHtml(paths.signOut())}">` +
    `<span>${escapeHtml(viewer.name)}</span><input type="hidden" name="csrf" value="${escapeHtml(viewer.csrf)}">` +
    '<button class="secondary" type="submit">Sign out</button></form>'
  );
}

function document(title: string, header: string, body: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    '<meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer">' +
    `<title>${escapeHtml(title)} · jitgate</title><style>${CSS}</style></head><body>` +
    '<a class="skip" href="#main">Skip to content</a>' +
    `<header><div class="bar"><span class="brand">jitgate</span>${header}</div></header>` +
    `<main id="main">${body}</main><script>${SCRIPT}</script></body></html>`
  );
}

function respond(status: number, body: string, extras: PageExtras): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { ...CONSOLE_HEADERS, ...extras.headers },
    ...(extras.cookies?.length ? { multiValueHeaders: { 'Set-Cookie': extras.cookies } } : {}),
    body,
  };
}

/** A signed-in page; with `fragment`, the live region alone (and its version) for the live script. */
export function consolePage(
  paths: ConsolePaths,
  viewer: Viewer,
  view: ConsoleView,
  opts: { fragment?: boolean; status?: number } & PageExtras = {},
): APIGatewayProxyResult {
  const live = view.live ?? '';
  const version = versionOf(live);
  if (opts.fragment) return respond(200, live, { headers: { 'x-jitgate-version': version } });
  const banner = view.banner
    ? `<p class="banner${view.banner.tone === 'error' ? ' error' : ''}" role="${view.banner.tone === 'error' ? 'alert' : 'status'}">` +
      `${escapeHtml(view.banner.text)}</p>`
    : '';
  const region = view.live === undefined ? '' : `<div id="live" data-v="${version}" data-poll="${view.pollMs ?? 3000}">${live}</div>`;
  const body = `<h1>${escapeHtml(view.title)}</h1>${banner}${view.before ?? ''}${region}${view.after ?? ''}`;
  return respond(opts.status ?? 200, document(view.title, nav(paths, viewer, view.section), body), opts);
}

/** A page for someone not signed in (the sign-in button), or for an error before a session exists. */
export function publicPage(status: number, title: string, bodyHtml: string, extras: PageExtras = {}): APIGatewayProxyResult {
  return respond(status, document(title, '', `<h1>${escapeHtml(title)}</h1>${bodyHtml}`), extras);
}

/** A redirect with a small body, as browsers expect. */
export function seeOther(location: string, cookies: string[] = [], status: 302 | 303 = 303): APIGatewayProxyResult {
  const res = respond(status, `<p><a href="${escapeHtml(location)}">Continue</a></p>`, { cookies });
  return { ...res, headers: { ...res.headers, location } };
}
