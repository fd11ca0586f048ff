/**
 * For the console tests: a browser-like client signed in to the console through the
 * development IdP's picker, and what they read back from its pages.
 */
import { CookieClient, csrfOf, type Hop } from './approvers';

interface ConsoleUser {
  client: CookieClient;
  /** The page the sign-in landed on. */
  landed: { status: number; url: string; html: string; hops: Hop[] };
  csrf: string;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; url: string; html: string }>;
  post(path: string, form: Record<string, string>): Promise<{ status: number; url: string; html: string }>;
}

/** Signs `user` in to the console at `url` (optionally asking to land on `next`, e.g. `console/inbox`). */
export async function consoleSignIn(url: string, user: string, next?: string): Promise<ConsoleUser> {
  const client = new CookieClient();
  const landed = await client.signInAt(`${url}/console/signin${next ? `?next=${encodeURIComponent(next)}` : ''}`, user);
  const csrf = csrfOf(landed.html);
  if (landed.status !== 200 || !csrf) throw new Error(`console sign-in as ${user} landed on ${landed.status} ${landed.url}`);
  return {
    client,
    landed,
    csrf,
    get: (path, headers = {}) => client.request(`${url}${path}`, { headers }),
    post: (path, form) => client.request(`${url}${path}`, { form: { csrf, ...form } }),
  };
}

/**
 * The inbox page that lists request `id`, following its "Older" links: in a local mode other
 * files share, their pending requests (newer, visible to the same approvers) can fill the first page.
 */
export async function inboxPageWith(user: ConsoleUser, id: string, maxPages = 20): Promise<string> {
  let path: string | undefined = '/console/inbox';
  for (let i = 0; i < maxPages && path; i++) {
    const page = await user.get(path);
    if (page.html.includes(`id="approve-${id}"`)) return page.html;
    path = /<a href="([^"]+)" rel="next">Older<\/a>/.exec(page.html)?.[1]?.replaceAll('&amp;', '&');
  }
  throw new Error(`request ${id} is in none of the first ${maxPages} inbox pages`);
}

/** The index of the choice for `action` in the new-request form, or undefined when the form does not offer it. */
export function policyChoice(html: string, action: string): string | undefined {
  const re = /<input type="radio" name="policy" id="policy-(\d+)"[^>]*><label[^>]*><code>([^<]*)<\/code>/g;
  for (const m of html.matchAll(re)) if (m[2] === action) return m[1];
  return undefined;
}

/** The actions the new-request form offers. */
export function offeredActions(html: string): string[] {
  return [...html.matchAll(/<input type="radio" name="policy"[^>]*><label[^>]*><code>([^<]*)<\/code>/g)].map((m) => m[1]!);
}

/** The request id of a console request page URL. */
export function requestIdOf(pageUrl: string): string {
  const id = /\/console\/requests\/([^/?]+)/.exec(pageUrl)?.[1];
  if (!id) throw new Error(`not a request page: ${pageUrl}`);
  return decodeURIComponent(id);
}

/** The text of a page's `<main>`, tags dropped, entities of the escaper undone. */
export function mainText(html: string): string {
  const main = /<main[^>]*>([\s\S]*?)<\/main>/.exec(html)?.[1] ?? '';
  return main
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z#0-9]+;/g, (e) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" })[e] ?? e)
    .replace(/\s+/g, ' ')
    .trim();
}
