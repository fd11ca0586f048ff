/**
 * The outbox: what SNS would have delivered in local mode, one record per delivery,
 * kept in memory and appended to a JSON-lines file so it survives restarts.
 *
 * Memory holds the most recent `maxMessages` records (default `DEFAULT_OUTBOX_MAX_MESSAGES`, about
 * 2 KB each), so a long-lived local mode does not grow with every notification; the file keeps
 * every record. `list`, `size`, `waitFor` and the HTTP views see the records in memory.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { escapeHtml } from '../shared/domain/html';
import { parseRequestUrl, send, sendJson, sendProblem } from './http-util';
import { groupByRequest, headingText } from './outbox-groups';
import type { OutboxMessage } from './outbox-message';

export type { OutboxMessage } from './outbox-message';

export interface OutboxQuery {
  /** ISO time or epoch milliseconds: records at or after it. */
  since?: string | number | Date;
  topic?: string;
  /** deliveredTo, case-insensitive. */
  to?: string;
}

export type OutboxListener = (message: OutboxMessage) => void;

/** Records kept in memory by default (the file keeps them all). */
export const DEFAULT_OUTBOX_MAX_MESSAGES = 5000;

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/** http(s) URLs in a text, trailing punctuation trimmed, each once, in order. */
export function findLinks(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    // Trailing sentence punctuation and unbalanced closing brackets are not part of the URL.
    for (;;) {
      const last = url.at(-1)!;
      if (/[.,;:!?]/.test(last)) url = url.slice(0, -1);
      else if (last === ')' && count(url, '(') < count(url, ')')) url = url.slice(0, -1);
      else if (last === ']' && count(url, '[') < count(url, ']')) url = url.slice(0, -1);
      else if (last === '}' && count(url, '{') < count(url, '}')) url = url.slice(0, -1);
      else break;
    }
    if (!out.includes(url)) out.push(url);
  }
  return out;
}
const count = (s: string, c: string) => s.split(c).length - 1;

function sinceMs(since: OutboxQuery['since']): number | undefined {
  if (since === undefined || since === '') return undefined;
  if (since instanceof Date) return since.getTime();
  if (typeof since === 'number') return since;
  const n = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
  if (Number.isNaN(n)) throw new RangeError(`since: not an ISO time or epoch milliseconds: ${since}`);
  return n;
}

export class Outbox {
  private readonly messages: OutboxMessage[] = [];
  private readonly listeners = new Set<OutboxListener>();
  private readonly maxMessages: number;

  /**
   * @param file the JSON-lines file (e.g. `.jitgate/outbox.jsonl`); absent keeps the outbox in memory only.
   * @param options.maxMessages records kept in memory, the most recent (default `DEFAULT_OUTBOX_MAX_MESSAGES`; `Infinity` keeps all).
   */
  constructor(
    readonly file?: string,
    options: { maxMessages?: number } = {},
  ) {
    const max = options.maxMessages ?? DEFAULT_OUTBOX_MAX_MESSAGES;
    if (!(max === Infinity || (Number.isInteger(max) && max >= 0)))
      throw new RangeError(`Outbox: maxMessages must be a non-negative integer or Infinity, got ${max}`);
    this.maxMessages = max;
    if (file && existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          this.keep(JSON.parse(line) as OutboxMessage);
        } catch {
          /* a torn last line from a crash: skip it */
        }
      }
    }
  }

  /** Adds a record to memory, dropping the oldest beyond `maxMessages`. */
  private keep(msg: OutboxMessage): void {
    this.messages.push(msg);
    while (this.messages.length > this.maxMessages) this.messages.shift();
  }

  /** Records a delivery; fills id, at and links when absent. Listeners run synchronously; their errors are swallowed. */
  add(entry: Omit<OutboxMessage, 'id' | 'at' | 'links' | 'messageId'> & Partial<OutboxMessage>): OutboxMessage {
    const msg: OutboxMessage = {
      id: entry.id ?? randomUUID(),
      messageId: entry.messageId ?? randomUUID(),
      at: entry.at ?? new Date().toISOString(),
      topicArn: entry.topicArn,
      ...(entry.subject !== undefined ? { subject: entry.subject } : {}),
      message: entry.message,
      attributes: entry.attributes ?? {},
      ...(entry.deliveredTo !== undefined ? { deliveredTo: entry.deliveredTo } : {}),
      links: entry.links ?? findLinks(entry.message),
    };
    this.keep(msg);
    if (this.file) {
      mkdirSync(dirname(this.file), { recursive: true });
      appendFileSync(this.file, JSON.stringify(msg) + '\n');
    }
    for (const cb of this.listeners) {
      try {
        cb(msg);
      } catch {
        /* a listener must not break delivery */
      }
    }
    return msg;
  }

  /** Records in delivery order (oldest first), filtered. */
  list(query: OutboxQuery = {}): OutboxMessage[] {
    const since = sinceMs(query.since);
    const to = query.to?.toLowerCase();
    return this.messages.filter(
      (m) =>
        (since === undefined || Date.parse(m.at) >= since) &&
        (query.topic === undefined || m.topicArn === query.topic) &&
        (to === undefined || m.deliveredTo?.toLowerCase() === to),
    );
  }

  /** Records in memory (at most `maxMessages`; the file may hold more). */
  get size(): number {
    return this.messages.length;
  }

  /** Empties the outbox, in memory and on disk. */
  clear(): void {
    this.messages.length = 0;
    if (this.file) {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(this.file, '');
    }
  }

  /** Calls cb for each new record (e.g. to print links to the console). Returns an unsubscribe function. */
  onMessage(cb: OutboxListener): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Resolves with the first new record matching pred (already recorded ones count when `fromNow` is false). */
  waitFor(pred: (m: OutboxMessage) => boolean, opts: { timeoutMs?: number; fromNow?: boolean } = {}): Promise<OutboxMessage> {
    if (!opts.fromNow) {
      const found = this.messages.find(pred);
      if (found) return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`outbox: no matching message within ${opts.timeoutMs ?? 10_000} ms`));
      }, opts.timeoutMs ?? 10_000);
      const off = this.onMessage((m) => {
        if (!pred(m)) return;
        clearTimeout(timer);
        off();
        resolve(m);
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP: GET /dev/outbox (JSON), GET /dev/outbox.html (page), DELETE /dev/outbox

/** Newest first; records with the same time keep reverse delivery order. */
function newestFirst(messages: readonly OutboxMessage[]): OutboxMessage[] {
  return messages
    .map((m, i) => ({ m, i, t: Date.parse(m.at) }))
    .sort((a, b) => b.t - a.t || b.i - a.i)
    .map((x) => x.m);
}

/**
 * Only jitgate's own URLs become links: messages carry what requesters wrote (a
 * justification in an event, say), and a phishing URL in it must not turn into
 * something to click on a page developers trust.
 */
function isOwn(url: string, origin: string | undefined): boolean {
  return origin === undefined || url === origin || url.startsWith(`${origin}/`);
}

/** Escaped text with jitgate's own http(s) URLs turned into links. */
function linkify(text: string, origin: string | undefined): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const url = findLinks(m[0])[0] ?? m[0];
    if (!isOwn(url, origin)) continue;
    out += escapeHtml(text.slice(last, m.index)) + `<a href="${escapeHtml(url)}" rel="noreferrer noopener">${escapeHtml(url)}</a>`;
    last = m.index! + url.length;
  }
  return out + escapeHtml(text.slice(last));
}

function pretty(message: string): string {
  const t = message.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.stringify(JSON.parse(t), null, 2);
    } catch {
      /* not JSON */
    }
  }
  return message;
}

const topicName = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

/** A self-contained HTML page (no external assets, everything escaped) listing the messages, newest first. */
export function renderOutboxPage(messages: readonly OutboxMessage[], opts: { title?: string; origin?: string } = {}): string {
  const title = opts.title ?? 'jitgate outbox';
  const own = (l: string) => isOwn(l, opts.origin);
  const article = (m: OutboxMessage) => {
    const attrs = Object.entries(m.attributes ?? {});
    return `<article>
  <header><time datetime="${escapeHtml(m.at)}">${escapeHtml(m.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>
    <span class="topic" title="${escapeHtml(m.topicArn)}">${escapeHtml(topicName(m.topicArn))}</span>
    <span class="to">${m.deliveredTo ? `to <b>${escapeHtml(m.deliveredTo)}</b>` : '<i>no subscriber</i>'}</span></header>
  ${m.subject ? `<h3>${escapeHtml(m.subject)}</h3>` : ''}
  ${
    m.links.some(own)
      ? `<ul class="links">${m.links
          .filter(own)
          .map((l) => `<li><a href="${escapeHtml(l)}" rel="noreferrer noopener">${escapeHtml(l)}</a></li>`)
          .join('')}</ul>`
      : ''
  }
  <pre>${linkify(pretty(m.message), opts.origin)}</pre>
  ${attrs.length ? `<dl>${attrs.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>` : ''}
</article>`;
  };
  const items = groupByRequest(newestFirst(messages)).map(
    (g) => `<section>
<h2>${escapeHtml(headingText(g))} <small>${g.messages.length} message${g.messages.length === 1 ? '' : 's'}</small></h2>
${g.messages.map(article).join('\n')}
</section>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:60rem;padding:1rem;
color:#1b1f24;background:#f6f7f9}
h1{font-size:1.3rem;margin:.2rem 0 1rem}h1 small{font-weight:normal;color:#57606a;font-size:.9rem}
article{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:.7rem 1rem;margin:0 0 .8rem}
header{display:flex;gap:1rem;flex-wrap:wrap;color:#57606a;font-size:.85rem}
.topic{font-family:ui-monospace,monospace}h3{font-size:1.05rem;margin:.4rem 0}
section{margin:0 0 1.4rem}section>h2{font-size:1.1rem;margin:0 0 .5rem;word-break:break-all}
h2 small{font-weight:normal;color:#57606a;font-size:.85rem}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.6rem;border-radius:6px;margin:.4rem 0;font-size:.85rem}
ul.links{margin:.3rem 0;padding-left:1.2rem}ul.links a{font-weight:600;word-break:break-all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:0 .8rem;font-size:.8rem;color:#57606a;margin:.3rem 0 0}
dd{margin:0;font-family:ui-monospace,monospace}
.empty{color:#57606a}
</style></head><body>
<h1>${escapeHtml(title)} <small>${messages.length} message${messages.length === 1 ? '' : 's'} by request, newest first ·
<a href="">refresh</a> · JSON at <code>GET /dev/outbox</code> · clear with <code>DELETE /dev/outbox</code></small></h1>
${items.length ? items.join('\n') : '<p class="empty">Nothing delivered yet.</p>'}
</body></html>
`;
}

/**
 * Serves the outbox: `GET <base>` (JSON `{ count, messages }`, newest first, filters `?to=&topic=&since=`),
 * `GET <base>.html` (the page, same filters), `DELETE <base>` (clears, 204).
 * Resolves true when it handled the request, false when the path is not its own.
 */
export function outboxHttpHandler(
  outbox: Outbox,
  opts: { basePath?: string } = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const base = opts.basePath ?? '/dev/outbox';
  return async (req, res) => {
    const url = parseRequestUrl(req);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const html = path === `${base}.html`;
    if (path !== base && !html) return false;
    const method = req.method ?? 'GET';
    if (method === 'DELETE' && !html) {
      outbox.clear();
      send(res, 204, '');
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      sendProblem(res, 405, 'Method Not Allowed', `${method} ${path}`, { Allow: html ? 'GET, HEAD' : 'GET, HEAD, DELETE' });
      return true;
    }
    const q = url.searchParams;
    let messages: OutboxMessage[];
    try {
      messages = outbox.list({
        ...(q.get('since') ? { since: q.get('since')! } : {}),
        ...(q.get('topic') ? { topic: q.get('topic')! } : {}),
        ...(q.get('to') ? { to: q.get('to')! } : {}),
      });
    } catch (err) {
      sendProblem(res, 400, 'Bad Request', (err as Error).message);
      return true;
    }
    if (html) {
      // The server's own origin, as the browser reached it: only links there are clickable.
      const host = req.headers.host;
      send(
        res,
        200,
        renderOutboxPage(messages, host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? { origin: `http://${host}` } : { origin: 'http://invalid' }),
        {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Security-Policy':
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          'Cache-Control': 'no-store',
          'Referrer-Policy': 'no-referrer',
          'X-Content-Type-Options': 'nosniff',
        },
      );
    } else {
      const sorted = newestFirst(messages);
      // `requests`: the same deliveries by request (ids only), for a reader who wants one request's story.
      const requests = groupByRequest(sorted).map(({ messages: ms, ...heading }) => ({
        ...heading,
        heading: headingText(heading),
        messageIds: ms.map((m) => m.id),
      }));
      sendJson(res, 200, { count: messages.length, messages: sorted, requests }, { 'Cache-Control': 'no-store' });
    }
    return true;
  };
}
