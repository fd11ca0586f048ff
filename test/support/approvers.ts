/**
 * For the approval-link tests (e2e over HTTP, and the browser tests): a config with a
 * single-sign-on policy, the link key of a running local mode, hand-made links, and a
 * tiny cookie-keeping HTTP client that walks the approver sign-in through the
 * development IdP the way a browser does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { signLink, type LinkClaims } from '../../shared/domain/links';
import { DEMO_CONFIG_FILE } from './demo-config';

/** The policy that needs approvers to sign in. */
export const SSO_ACTION = 'vault:open';

/**
 * The demo config plus: approver sign-in through the development IdP (client
 * `jitgate-approver`), a policy `vault:open` with `approverAuth: "sso"`, and alice listed
 * as a security-admins approver although her tokens do not carry that group (the
 * "no longer in the group" case).
 */
export function approverConfig(dir: string): string {
  const demo = JSON.parse(readFileSync(DEMO_CONFIG_FILE, 'utf8')) as {
    approverGroups: Record<string, { members: unknown[] }>;
    policies: unknown[];
  };
  const config = {
    ...demo,
    approverSignIn: { issuer: 'dev', clientId: 'jitgate-approver' },
    approverGroups: {
      ...demo.approverGroups,
      'security-admins': {
        members: [
          ...demo.approverGroups['security-admins']!.members,
          { issuer: 'dev', sub: 'alice', email: 'alice@example.com', name: 'Alice' },
        ],
      },
    },
    policies: [
      ...demo.policies,
      {
        action: SSO_ACTION,
        description: 'Opening the production vault: approvers sign in.',
        approverAuth: 'sso',
        approvals: { groups: { 'security-admins': 1 }, window: '1h' },
        grant: { mode: 'window', maxDuration: '30m' },
        justification: { required: true },
      },
    ],
  };
  const file = path.join(dir, 'jitgate.approvers.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export function linkKey(dataDir: string): Buffer {
  return Buffer.from(readFileSync(path.join(dataDir, 'link-key'), 'utf8').trim(), 'hex');
}

export function linkClaims(link: string): LinkClaims {
  const token = link.split('/approve/')[1]!;
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as LinkClaims;
}

/** A link as jitgate would sign it (with `key`), under `base` (`http://.../approve/`). */
export function makeLink(base: string, claims: Omit<LinkClaims, 'n'>, key: Buffer): string {
  return `${base}${signLink(claims, key)}`;
}

export interface Hop {
  url: string;
  status: number;
  location?: string;
}

/** A cookie-keeping client that follows redirects by hand and records each hop. */
export class CookieClient {
  readonly jar = new Map<string, string>();

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  private cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; url: string; html: string; hops: Hop[] }> {
    const hops: Hop[] = [];
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    let current = url;
    for (let i = 0; i < 15; i++) {
      const headers: Record<string, string> = { ...init.headers, cookie: this.cookieHeader() };
      if (body !== undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        headers.origin = new URL(current).origin;
      }
      const res = await fetch(current, { method, headers, body, redirect: 'manual' });
      this.remember(res);
      const location = res.headers.get('location') ?? undefined;
      hops.push({ url: current, status: res.status, ...(location ? { location } : {}) });
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        current = new URL(location, current).toString();
        if (res.status !== 307 && res.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      return { status: res.status, url: current, html: await res.text(), hops };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /**
   * Opens an `sso` link, presses "Sign in to decide", picks `user` in the development
   * IdP's picker (or cancels), and returns the page jitgate shows afterwards.
   */
  async signIn(link: string, user: string | 'cancel') {
    return this.signInAt(`${link}/signin`, user);
  }

  /** Starts a sign-in at `url` (the approval page's or the console's), picks `user` (or cancels), follows it back. */
  async signInAt(url: string, user: string | 'cancel') {
    const start = await this.request(url);
    const picker = /action="([^"]*\/interaction\/[^"]+\/login)"/.exec(start.html)?.[1];
    if (!picker)
      throw new Error(`no picker page after ${start.hops.map((h) => `${h.status} ${h.url}`).join(' → ')}:\n${start.html.slice(0, 500)}`);
    const form: Record<string, string> = user === 'cancel' ? { action: 'abort' } : { user };
    const done = await this.request(new URL(picker.replace(/&amp;/g, '&'), start.url).toString(), { form });
    return { ...done, hops: [...start.hops, ...done.hops] };
  }
}

/** The CSRF token in an approval page. */
export function csrfOf(html: string): string | undefined {
  return /name="csrf" value="([^"]+)"/.exec(html)?.[1];
}

/** The `<h1>` of a page, as text. */
export function titleOf(html: string): string {
  return (/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '')
    .replace(/<[^>]+>/g, '')
    .replace(/&[a-z#0-9]+;/g, (e) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" })[e] ?? e)
    .trim();
}
