/**
 * Starts local mode the way `npm start` does (a separate Node process running
 * local/start.cjs: local/main.ts, bundled), on a free port with its own data directory, and
 * gives tests an HTTP client and demo tokens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDevTokenSigner, type SignTokenOptions } from '../../local/idp';
import { currentCode } from '../../shared/domain/totp';
import { DEMO_CONFIG_FILE } from './demo-config';
import { localTable, type LocalTable } from './dynamodb-items';
import { sharedDynamoDb } from './shared-dynamodb';
import { waitFor } from './wait';

const ROOT = path.resolve(__dirname, '../..');

/** One way to find a free port: the one local mode uses. */
export { freePort } from '../../local/dynamodb-local';

/**
 * The variables and node arguments of `npm start` (package.json: `NAME=value ... node <args>`), so
 * tests run local mode exactly as users do.
 */
export function npmStart(): { env: Record<string, string>; args: string[] } {
  const script: string = require(path.join(ROOT, 'package.json')).scripts.start;
  const words = script.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? '')) {
    const [name, value] = words.shift()!.split('=') as [string, string];
    env[name] = value;
  }
  const [command, ...args] = words;
  if (command !== 'node') throw new Error(`npm start is "${script}"; test/support/local-mode.ts expects "[NAME=value ...] node ..."`);
  return { env, args: args.map((a) => (/\.(ts|cjs)$/.test(a) ? path.join(ROOT, a) : a)) };
}

/** The request a personal link is for: its payload is readable, only its signature is secret. */
export function linkRequestId(link: string): string | undefined {
  const payload = link.split('/approve/')[1]?.split('.')[0];
  try {
    return payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { r?: string }).r : undefined;
  } catch {
    return undefined;
  }
}

export interface Running {
  url: string;
  dataDir: string;
  /** Its table: in the run's shared DynamoDB Local, or in a JVM of its own (`dynamodb: 'own'`). */
  table: LocalTable;
  /** Process id of the local-mode Node process (DynamoDB Local's JVM runs under it). */
  pid: number;
  output: () => string;
  stop(): Promise<void>;
}

/** What `startLocalMode` adds to the environment of `npm start`. */
export function localModeEnv(opts: { port: number; dataDir: string; configPath?: string }): Record<string, string> {
  return {
    PORT: String(opts.port),
    JITGATE_DATA_DIR: opts.dataDir,
    // The demo unless the test names a config: never a jitgate.config.json a user keeps at the root.
    JITGATE_CONFIG: opts.configPath ?? DEMO_CONFIG_FILE,
  };
}

export interface LocalModeOptions {
  port: number;
  dataDir: string;
  configPath?: string;
  timeoutMs?: number;
  /**
   * `shared` (default): a new table in the run's one DynamoDB Local. `own`: a JVM of its own, with its data
   * in `dataDir`, as `npm start` has. A table a local mode used before (`Running.table`): that table again, as
   * a restarted local mode finds its data.
   */
  dynamodb?: 'shared' | 'own' | LocalTable;
}

export async function startLocalMode(opts: LocalModeOptions): Promise<Running> {
  const shared = opts.dynamodb === 'own' ? undefined : typeof opts.dynamodb === 'object' ? opts.dynamodb : await sharedDynamoDb();
  const attach = shared ? { JITGATE_DYNAMODB_ENDPOINT: shared.endpoint, JITGATE_DYNAMODB_TABLE: shared.table } : {};
  const start = npmStart();
  const child: ChildProcess = spawn(process.execPath, start.args, {
    cwd: ROOT,
    env: { ...process.env, ...start.env, ...localModeEnv(opts), ...attach },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Nobody gets a handle to stop it, so stop it here rather than leave it (and its JVM) running.
      child.kill('SIGTERM');
      reject(new Error(`local mode did not start in time:\n${out}`));
    }, opts.timeoutMs ?? 90_000);
    const check = () => {
      if (out.includes('jitgate local mode is running')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local mode exited with ${code}:\n${out}`));
    });
  });
  return {
    url: `http://127.0.0.1:${opts.port}`,
    dataDir: opts.dataDir,
    table: localTable(out),
    pid: child.pid!,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

/**
 * The development IdP loads oidc-provider on its first request other than its JWKS (local/idp/provider.ts).
 * On a loaded two-core machine that load can outlast the 3 s the console and the approval page give the
 * IdP's discovery document, and the first sign-in is a 503 asking the person to try again. Files that sign
 * in through the IdP ask for the document once first, as that person's second try would.
 */
export async function warmDevIdp(local: Pick<Running, 'url'>): Promise<void> {
  const res = await fetch(`${local.url}/dev/idp/.well-known/openid-configuration`, { signal: AbortSignal.timeout(60_000) });
  if (!res.ok) throw new Error(`the development IdP answered its discovery document with ${res.status}`);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The demo config plus one policy with a 2-second approval window, to watch a request time out. */
export function e2eConfig(dir: string): string {
  const demo = require(DEMO_CONFIG_FILE) as { policies: unknown[] };
  const config = {
    ...demo,
    policies: [
      ...demo.policies,
      {
        action: 'e2e:short-window',
        approvals: { groups: { 'security-admins': 1 }, window: '2s' },
        grant: { mode: 'once', useWithin: '1m' },
      },
    ],
  };
  const file = path.join(dir, 'jitgate.e2e.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** A message as local mode's outbox records it (`GET /dev/outbox`). */
export interface OutboxMessage {
  deliveredTo?: string;
  message: string;
  links: string[];
  topicArn: string;
  attributes?: Record<string, unknown>;
}

export class Client {
  constructor(
    readonly url: string,
    private readonly dataDir: string,
  ) {}

  private signer?: ReturnType<typeof createDevTokenSigner>;

  /** A token for a demo user; `as` gives a distinct principal with the same claims (sub `<user>-<as>`). */
  async token(user: string, opts: SignTokenOptions & { as?: string } = {}): Promise<string> {
    this.signer ??= createDevTokenSigner({ issuer: `${this.url}/dev/idp`, dataDir: this.dataDir });
    const { as, ...rest } = opts;
    return (await this.signer).signToken(user, as ? { ...rest, extraClaims: { ...rest.extraClaims, sub: `${user}-${as}` } } : rest);
  }

  async call(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${this.url}${path}`, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  /** The audit event types of a request, read as the demo auditor audrey. */
  async auditTypes(id: string): Promise<string[]> {
    const res = await this.call('GET', `/v1/audit?requestId=${id}`, { token: await this.token('audrey') });
    if (res.status !== 200) throw new Error(`audit read failed: ${res.status} ${res.text}`);
    return res.json.events.map((e: { type: string }) => e.type);
  }

  /**
   * Waits until AwaitApproval has notified the approvers of `id`: its token is parked in the same write. A request
   * is pending_approval from creation when it has no MFA, a step or two before that.
   */
  async approversNotified(id: string): Promise<void> {
    await waitFor(
      () => this.auditTypes(id),
      (types) => types.includes('approvers_notified'),
      { what: `the approvers of ${id} notified` },
    );
  }

  /**
   * Enrols and confirms a TOTP authenticator; returns a function giving the next unused code (`.wrong()`
   * gives one that is not valid now).
   */
  async enrolTotp(token: string): Promise<(() => string) & { wrong: () => string }> {
    const enrol = await this.call('POST', '/v1/mfa/totp', { token });
    if (enrol.status !== 201) throw new Error(`enrol failed: ${enrol.status} ${enrol.text}`);
    const secret: string = enrol.json.secret;
    let offset = 0;
    const next = () => currentCode(secret, new Date(Date.now() + 30_000 * offset++));
    const verify = await this.call('POST', '/v1/mfa/totp/verify', { token, body: { code: next() } });
    if (verify.status !== 200) throw new Error(`verify failed: ${verify.status} ${verify.text}`);
    const wrong = () => {
      const valid = new Set([-1, 0, 1, 2, 3].map((k) => currentCode(secret, new Date(Date.now() + 30_000 * k))));
      let candidate = 0;
      while (valid.has(String(candidate).padStart(6, '0'))) candidate++;
      return String(candidate).padStart(6, '0');
    };
    return Object.assign(next, { wrong });
  }

  async outbox(to?: string): Promise<OutboxMessage[]> {
    const res = await this.call('GET', `/dev/outbox${to ? `?to=${encodeURIComponent(to)}` : ''}`);
    return res.json.messages;
  }

  /**
   * The outbox messages (to `to`, or all) that `match` accepts, once there is at least one: a handler publishes
   * after it commits, so a message may trail the status that a test has just read.
   */
  async messages(match: (m: OutboxMessage) => boolean, opts: { to?: string; timeoutMs?: number; what?: string } = {}) {
    const { to, timeoutMs = 15_000, what = 'a matching message in the outbox' } = opts;
    return waitFor(
      async () => (await this.outbox(to)).filter(match),
      (found) => found.length > 0,
      { timeoutMs, what, intervalMs: 100 },
    );
  }

  /** The personal link sent to `email` for request `id`. */
  async linkFor(email: string, id: string, timeoutMs = 30_000): Promise<string> {
    const linksIn = (m: OutboxMessage) => m.links.filter((l) => l.includes('/approve/') && linkRequestId(l) === id);
    const [mail] = await this.messages((m) => linksIn(m).length > 0, {
      to: email,
      timeoutMs,
      what: `a link for ${email} and request ${id}`,
    });
    return linksIn(mail!)[0]!;
  }

  async waitForStatus(token: string, id: string, status: string, timeoutMs = 30_000): Promise<any> {
    // On timeout the whole last document is printed: what it still waits for tells where the lifecycle stopped.
    const res = await waitFor(
      () => this.call('GET', `/v1/requests/${id}`, { token }),
      (r) => r.json?.status === status,
      { timeoutMs, what: `request ${id} to be ${status}`, intervalMs: 100 },
    );
    return res.json;
  }
}

/** Submits the approval page's form as a browser would: GET the page, take its CSRF token, POST. */
export async function decideByLink(link: string, decision: 'approve' | 'deny', reason?: string) {
  const page = await fetch(link);
  const html = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  const form = new URLSearchParams({ decision, ...(csrf ? { csrf } : {}), ...(reason ? { reason } : {}) });
  const res = await fetch(link, {
    method: 'POST',
    body: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(link).origin },
  });
  return { pageStatus: page.status, status: res.status, html: await res.text() };
}
