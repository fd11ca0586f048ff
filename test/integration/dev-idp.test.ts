/**
 * Local mode's development IdP, over HTTP, as a browser, a script and jitgate's own
 * verifier meet it. oidc-provider is ESM only and jest (CommonJS via swc) cannot load
 * it, so the IdP runs in a child process under tsx, on a free port, and the tests
 * talk to it with fetch.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JwtVerifier } from 'aws-jwt-verify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createDevTokenSigner, publicJwk, type SignTokenOptions } from '../../local/idp';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

const root = path.resolve(__dirname, '../..');

/** Starts `createDevIdp` behind a plain node http server; `/test/sign` exposes the IdP's own `signToken`. */
const SERVER = `
import http from 'node:http';
const idpModule = await import(process.env.IDP_MODULE);
// tsx compiles the .ts as CommonJS (the package has no "type"), so its exports arrive on default.
const { createDevIdp } = idpModule.default ?? idpModule;
const providerModule = await import(process.env.PROVIDER_MODULE);
const { mountOidcProvider } = providerModule.default ?? providerModule;
const keysModule = await import(process.env.KEYS_MODULE);
const { loadOrCreateSigningKeys, loadOrCreateCookieKeys } = keysModule.default ?? keysModule;
let idp;
// oidc-provider mounted at once under /test/full, to compare with what createDevIdp serves without it.
let full;
const server = http.createServer(async (req, res) => {
  if (req.url.startsWith('/test/full/')) {
    req.url = req.url.slice('/test/full'.length);
    full.handle(req, res);
  } else if (req.url.startsWith('/test/sign')) {
    const q = new URL(req.url, 'http://x').searchParams;
    res.end(await idp.signToken(q.get('user'), JSON.parse(q.get('opts') ?? '{}')));
  } else if (req.url.startsWith('/dev/idp')) idp.handle(req, res);
  else res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const issuer = 'http://127.0.0.1:' + port + '/dev/idp';
  idp = await createDevIdp({ issuer, dataDir: process.env.DATA_DIR });
  const dir = process.env.DATA_DIR;
  full = await mountOidcProvider({ issuer, keys: await loadOrCreateSigningKeys(dir), cookieKeys: await loadOrCreateCookieKeys(dir) });
  process.stdout.write(JSON.stringify({ port }) + '\\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

let child: ChildProcessWithoutNullStreams;
let project: string;
let origin: string;
let issuer: string;
let jwksUri: string;

/** The env a child gets: nothing inherited that changes which issuer or config it uses. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { PORT: _p, JITGATE_CONFIG: _c, JITGATE_DATA_DIR: _d, ...env } = process.env;
  return { ...env, ...extra };
}

beforeAll(async () => {
  project = mkdtempSync(path.join(tmpdir(), 'jitgate-idp-'));
  copyFileSync(DEMO_CONFIG_FILE, path.join(project, 'jitgate.config.json'));
  child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SERVER], {
    cwd: root,
    env: cleanEnv({
      IDP_MODULE: path.join(root, 'local/idp/index.ts'),
      PROVIDER_MODULE: path.join(root, 'local/idp/provider.ts'),
      KEYS_MODULE: path.join(root, 'local/idp/keys.ts'),
      DATA_DIR: path.join(project, '.jitgate'),
    }),
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`dev IdP exited with ${code}:\n${err}`)));
  });
  origin = `http://127.0.0.1:${port}`;
  issuer = `${origin}/dev/idp`;
  jwksUri = `${issuer}/.well-known/jwks.json`;
}, 30_000);

afterAll(() => {
  child?.stdin.end();
  child?.kill();
  rmSync(project, { recursive: true, force: true });
});

async function servedJwks(): Promise<{ keys: Record<string, unknown>[] }> {
  const res = await fetch(jwksUri);
  expect(res.status).toBe(200);
  return (await res.json()) as { keys: Record<string, unknown>[] };
}

/** aws-jwt-verify's fetcher speaks https only, so the JWKS served over http is preloaded. */
async function verifierFor(audience: string, iss = issuer) {
  const verifier = JwtVerifier.create({ issuer: iss, audience, jwksUri: `${iss}/.well-known/jwks.json` });
  verifier.cacheJwks((await servedJwks()) as never);
  return verifier;
}

describe('the development IdP at /dev/idp', () => {
  test('serves a discovery document whose URLs all point under /dev/idp', async () => {
    const res = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer,
      jwks_uri: jwksUri,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      userinfo_endpoint: `${issuer}/me`,
      response_types_supported: ['code'],
    });
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
    expect(doc.claims_supported).toEqual(
      expect.arrayContaining(['groups', 'roles', 'employment', 'email', 'name', 'amr', 'acr', 'auth_time']),
    );
  });

  test('publishes the persisted RS256 and ES256 keys, public parts only', async () => {
    const jwks = await servedJwks();
    expect(jwks.keys.map((k) => k.alg)).toEqual(['RS256', 'ES256']);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
    const persisted = JSON.parse(readFileSync(path.join(project, '.jitgate/idp-keys.json'), 'utf8')) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toEqual(persisted.keys.map((k) => publicJwk(k)));
  });

  test('serves the JWKS without loading oidc-provider, byte for byte and header for header as oidc-provider does', async () => {
    const own = await fetch(jwksUri);
    const theirs = await fetch(`${origin}/test/full/dev/idp/.well-known/jwks.json`);
    expect(own.status).toBe(theirs.status);
    expect(await own.text()).toBe(await theirs.text());
    for (const header of ['content-type', 'access-control-allow-origin', 'vary'])
      expect(own.headers.get(header)).toBe(theirs.headers.get(header));
  });

  test("signToken's tokens verify with aws-jwt-verify against the served JWKS", async () => {
    const res = await fetch(`${origin}/test/sign?user=alice&opts=${encodeURIComponent(JSON.stringify({ amr: ['mfa'], acr: 'urn:x' }))}`);
    const token = await res.text();
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: (await servedJwks()).keys[0]?.kid });

    const payload = await (await verifierFor('jitgate')).verify(token);
    expect(payload).toMatchObject({
      iss: issuer,
      sub: 'alice',
      aud: 'jitgate',
      token_use: 'id',
      groups: ['engineering'],
      roles: ['editor'],
      email: 'alice@example.com',
      name: 'Alice',
      amr: ['mfa'],
      acr: 'urn:x',
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(3600);
    expect(payload.auth_time).toBe(payload.iat);
  });

  test('aws-jwt-verify accepts an http jwksUri at create() but its default fetcher refuses to fetch it', async () => {
    const token = await (await fetch(`${origin}/test/sign?user=alice`)).text();
    const verifier = JwtVerifier.create({ issuer, audience: 'jitgate', jwksUri });
    await expect(verifier.verify(token)).rejects.toThrow(/Protocol "http:" not supported/);
  });

  test('a signer loading the same data dir (as the CLI does) signs with the key the server publishes', async () => {
    const signer = await createDevTokenSigner({ issuer, dataDir: path.join(project, '.jitgate') });
    expect(signer.jwks()).toEqual(await servedJwks());
    const verifier = await verifierFor('jitgate');
    const options: SignTokenOptions = { tokenUse: 'access', expiresIn: 60 };
    const access = await signer.signToken('dave', options);
    expect(decodeProtectedHeader(access).typ).toBe('at+jwt');
    expect(await verifier.verify(access)).toMatchObject({ sub: 'dave', token_use: 'access', roles: ['editor'], employment: 'contractor' });
    expect(decodeJwt(access)).not.toHaveProperty('groups');
    const es = await signer.signToken('erin', { alg: 'ES256' });
    expect(decodeProtectedHeader(es).alg).toBe('ES256');
    expect(await verifier.verify(es)).toMatchObject({ sub: 'erin', roles: ['guest'] });
    await expect(signer.signToken('mallory')).rejects.toThrow(/unknown user "mallory"; the demo users are:[\s\S]*alice[\s\S]*audrey/);
  });
});

/** Just enough of a browser: a cookie jar, manual redirects. */
class Browser {
  private readonly cookies = new Map<string, string>();

  async get(url: string): Promise<Response> {
    return this.request(url, { method: 'GET' });
  }

  async post(url: string, form: Record<string, string>): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      body: new URLSearchParams(form),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  /** Follows redirects and self-submitting forms until one leaves the IdP (the callback) or a page is shown. */
  async follow(res: Response, base: string): Promise<Response | URL> {
    for (;;) {
      if (res.status >= 300 && res.status < 400) {
        const next = new URL(res.headers.get('location') as string, base);
        if (!next.pathname.startsWith('/dev/idp')) return next;
        res = await this.get(next.href);
        continue;
      }
      const html = res.status === 200 ? await res.clone().text() : '';
      if (!html.includes('document.forms[0].submit()')) return res;
      // oidc-provider's form_post pages (e.g. ending bob's session before carol's starts) submit themselves in a browser.
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] as string;
      const fields = Object.fromEntries(
        [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]),
      );
      res = await this.post(new URL(action, base).href, fields as Record<string, string>);
    }
  }

  private async request(url: string, init: RequestInit): Promise<Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const set of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = set.split(';');
      const name = pair.slice(0, pair.indexOf('=')).trim();
      const value = pair.slice(pair.indexOf('=') + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1] as string) <= Date.now());
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** GET /auth → the picker → choose a user → the callback with a code. */
async function signIn(
  browser: Browser,
  opts: { clientId: string; user: string; mfa?: boolean; challenge?: string; prompt?: string; cancel?: boolean },
) {
  const redirectUri = `${origin}/dev/callback`;
  const state = randomBytes(8).toString('hex');
  const authorize = new URL(`${issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: opts.clientId,
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: redirectUri,
    state,
    nonce: 'n-0S6_WzA2Mj',
    ...(opts.prompt ? { prompt: opts.prompt } : {}),
    ...(opts.challenge ? { code_challenge: opts.challenge, code_challenge_method: 'S256' } : {}),
  }).toString();
  const page = await browser.follow(await browser.get(authorize.href), origin);
  if (page instanceof URL) return { callback: page, state, redirectUri };
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('Sign in as Bob');
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1] as string;
  expect(action).toMatch(/^\/dev\/idp\/interaction\/[\w-]+\/login$/);
  const submitted = await browser.post(
    `${origin}${action}`,
    opts.cancel ? { action: 'abort' } : { user: opts.user, ...(opts.mfa ? { mfa: 'on' } : {}) },
  );
  const callback = await browser.follow(submitted, origin);
  if (!(callback instanceof URL)) throw new Error(`expected a redirect to the callback, got ${callback.status}: ${await callback.text()}`);
  return { callback, state, redirectUri };
}

async function redeem(clientId: string, code: string, redirectUri: string, verifier: string | undefined) {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: clientId,
      ...(verifier ? { code_verifier: verifier } : {}),
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('a browser signing in with authorization code + PKCE', () => {
  test("bob picks himself on the dev page and the ID token carries bob's claims", async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const { callback, state, redirectUri } = await signIn(browser, { clientId: 'jitgate-approver', user: 'bob', challenge });
    expect(callback.origin + callback.pathname).toBe(redirectUri);
    expect(callback.searchParams.get('state')).toBe(state);
    expect(callback.searchParams.get('iss')).toBe(issuer);
    const code = callback.searchParams.get('code') as string;
    expect(code).toBeTruthy();

    const { status, body } = await redeem('jitgate-approver', code, redirectUri, verifier);
    expect(status).toBe(200);
    const claims = await (await verifierFor('jitgate-approver')).verify(body.id_token as string);
    expect(claims).toMatchObject({
      iss: issuer,
      sub: 'bob',
      aud: 'jitgate-approver',
      nonce: 'n-0S6_WzA2Mj',
      groups: ['security-admins'],
      roles: ['admin'],
      email: 'bob@example.com',
      name: 'Bob',
      amr: ['pwd'],
      acr: 'urn:jitgate:dev:password',
      token_use: 'id',
    });
    expect(claims).not.toHaveProperty('employment');
    expect(Math.abs((claims.auth_time as number) - Date.now() / 1000)).toBeLessThan(60);

    // The code is single-use.
    expect((await redeem('jitgate-approver', code, redirectUri, verifier)).body.error).toBe('invalid_grant');
  });

  test('carol signs in with a second factor through the `jitgate` client: aud jitgate, amr mfa', async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const { callback, redirectUri } = await signIn(browser, { clientId: 'jitgate', user: 'carol', mfa: true, challenge });
    const { body } = await redeem('jitgate', callback.searchParams.get('code') as string, redirectUri, verifier);
    const claims = await (await verifierFor('jitgate')).verify(body.id_token as string);
    expect(claims).toMatchObject({
      sub: 'carol',
      groups: ['security-admins', 'finance-approvers'],
      amr: ['pwd', 'otp', 'mfa'],
      acr: 'urn:jitgate:dev:mfa',
    });
    expect(claims).not.toHaveProperty('roles');
  });

  test('the same browser: signed-in bob is not asked again; prompt=login lets carol take over', async () => {
    const browser = new Browser();
    await signIn(browser, { clientId: 'jitgate-approver', user: 'bob', challenge: pkce().challenge });
    const again = await signIn(browser, { clientId: 'jitgate-approver', user: 'bob', challenge: pkce().challenge });
    expect(again.callback.searchParams.get('code')).toBeTruthy();

    const { verifier, challenge } = pkce();
    const { callback, redirectUri } = await signIn(browser, { clientId: 'jitgate-approver', user: 'carol', challenge, prompt: 'login' });
    const { body } = await redeem('jitgate-approver', callback.searchParams.get('code') as string, redirectUri, verifier);
    expect(decodeJwt(body.id_token as string).sub).toBe('carol');
  });

  test('cancelling on the picker sends access_denied back to the client', async () => {
    const browser = new Browser();
    const { callback } = await signIn(browser, { clientId: 'jitgate-approver', user: 'alice', challenge: pkce().challenge, cancel: true });
    expect(callback.searchParams.get('error')).toBe('access_denied');
  });

  test('a sign-in page opened without its interaction cookie (stale tab, another browser) explains itself', async () => {
    const res = await fetch(`${issuer}/interaction/not-a-real-uid`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('This sign-in has expired');
  });

  test('PKCE is required and checked', async () => {
    const browser = new Browser();
    const without = await signIn(browser, { clientId: 'jitgate-approver', user: 'alice' });
    expect(without.callback.searchParams.get('error')).toBe('invalid_request');
    expect(without.callback.searchParams.get('error_description')).toMatch(/PKCE/);

    const { challenge } = pkce();
    const { callback, redirectUri } = await signIn(browser, { clientId: 'jitgate-approver', user: 'alice', challenge });
    const wrong = await redeem('jitgate-approver', callback.searchParams.get('code') as string, redirectUri, pkce().verifier);
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});

function runCli(args: string[], cwd: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const cli = spawn(process.execPath, [path.join(root, 'bin/jitgate.cjs'), ...args], { cwd, env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    cli.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npx jitgate token', () => {
  test("prints alice's token alone on stdout, signed with the running IdP's key ($JITGATE_DATA_DIR) and on its port ($PORT)", async () => {
    const env = { PORT: new URL(origin).port, JITGATE_DATA_DIR: path.join(project, '.jitgate') };
    const { code, stdout, stderr } = await runCli(['token', 'alice', '--amr', 'pwd,mfa', '--ttl', '10m'], root, env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = await (await verifierFor('jitgate')).verify(stdout.trim());
    expect(claims).toMatchObject({ iss: issuer, sub: 'alice', groups: ['engineering'], amr: ['pwd', 'mfa'] });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(600);
  });

  test(
    'works without a server: creates the keys in ./.jitgate and uses the ' + 'config issuer; unknown users and commands are usage errors',
    async () => {
      const fresh = mkdtempSync(path.join(tmpdir(), 'jitgate-cli-'));
      try {
        copyFileSync(DEMO_CONFIG_FILE, path.join(fresh, 'jitgate.config.json'));
        const [ok, unknownUser, noCommand] = await Promise.all([
          runCli(['token', 'audrey', '--access'], fresh),
          runCli(['token', 'zed'], fresh),
          runCli([], fresh),
        ]);

        expect(ok.code).toBe(0);
        const keys = JSON.parse(readFileSync(path.join(fresh, '.jitgate/idp-keys.json'), 'utf8')) as { keys: Record<string, unknown>[] };
        const configIssuer = 'http://127.0.0.1:4000/dev/idp';
        const verifier = JwtVerifier.create({
          issuer: configIssuer,
          audience: 'jitgate',
          jwksUri: `${configIssuer}/.well-known/jwks.json`,
        });
        verifier.cacheJwks({ keys: keys.keys.map((k) => publicJwk(k)) } as never);
        const token = ok.stdout.trim();
        expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
        expect(await verifier.verify(token)).toMatchObject({ sub: 'audrey', groups: ['auditors'], token_use: 'access' });

        expect(unknownUser.code).toBe(2);
        expect(unknownUser.stdout).toBe('');
        expect(unknownUser.stderr).toMatch(/unknown user "zed"/);
        for (const user of ['alice', 'bob', 'carol', 'dave', 'erin', 'audrey']) expect(unknownUser.stderr).toContain(user);

        expect(noCommand.code).toBe(2);
        expect(noCommand.stderr).toMatch(/Usage: jitgate <command>[\s\S]*token/);
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    },
  );
});
