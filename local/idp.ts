/**
 * Local mode's development OpenID provider, served at `<base URL>/dev/idp`: discovery,
 * JWKS, authorization code + PKCE with a one-click demo-user picker, and
 * `signToken` for scripts, tests and `npx jitgate token <user>`.
 *
 * Built on oidc-provider (a Koa app). It is mounted under a path prefix the way
 * Express mounts it: the issuer carries the prefix, `req.originalUrl` keeps the full
 * path and `req.url` is made relative to the prefix, so oidc-provider routes `/auth`,
 * `/token`, ... and still writes `/dev/idp/...` into discovery and redirects
 * (it derives the mount path from `originalUrl` minus `url`).
 *
 * Signing keys (RS256 first, then ES256) are a private JWK set in
 * `<dataDir>/idp-keys.json`, created on first use by whichever comes first, the
 * server or the CLI, so tokens verify across restarts and `npx jitgate token` signs
 * with exactly the key the server publishes. Never deployed; nothing here reaches
 * the network.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { DEMO_USERS, demoUserClaims, describeDemoUsers, findDemoUser, type DemoUser } from './demo-users';

/** The public client the approval page signs approvers in with; its ID tokens carry `aud: jitgate-approver`. */
export const APPROVER_CLIENT_ID = 'jitgate-approver';
/** The audience the demo config expects; also a registered client, so a browser login can yield `aud: jitgate` ID tokens. */
export const DEFAULT_AUDIENCE = 'jitgate';
export const KEYS_FILE = 'idp-keys.json';
export const COOKIE_KEYS_FILE = 'idp-cookie-keys.json';
/** What the picker's sign-in reports in `acr`: a simulated password sign-in, or one with a second factor. */
export const DEV_ACR = { password: 'urn:jitgate:dev:password', mfa: 'urn:jitgate:dev:mfa' } as const;
/** RFC 8176 `amr` values for the same two. */
export const DEV_AMR = { password: ['pwd'], mfa: ['pwd', 'otp', 'mfa'] } as const;

export type SigningAlgorithm = 'RS256' | 'ES256';

export interface SignTokenOptions {
  /** Lifetime in seconds; default 3600. */
  expiresIn?: number;
  /** Default `jitgate`. */
  audience?: string | string[];
  amr?: string[];
  acr?: string;
  /** Seconds since the epoch; default now. */
  authTime?: number;
  /** `id` (default) or `access`: an RFC 9068 access token, header `typ: at+jwt`. */
  tokenUse?: 'id' | 'access';
  /** Default RS256, the key every verifier of the demo config accepts. */
  alg?: SigningAlgorithm;
  /** Merged last, so tests can also override registered claims (`exp`, `iss`, `nbf`, ...) to craft bad tokens. */
  extraClaims?: Record<string, unknown>;
}

export interface DevTokenSigner {
  signToken(user: string, opts?: SignTokenOptions): Promise<string>;
  /** The public JWK set, as served at `<issuer>/.well-known/jwks.json`. */
  jwks(): { keys: JWK[] };
}

export interface DevIdp extends DevTokenSigner {
  /** Serves a request whose path is under the issuer's path (`/dev/idp/...`); the body must not have been read. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

export interface DevIdpOptions {
  /** `http://127.0.0.1:<port>/dev/idp`; its path is where the provider is mounted. */
  issuer: string;
  /** Where the keys live, normally `.jitgate/`. */
  dataDir: string;
  /** Default: the demo users. */
  users?: readonly DemoUser[];
}

export class UnknownDemoUser extends Error {
  constructor(readonly user: string, readonly users: readonly DemoUser[]) {
    super(`unknown user "${user}"; the demo users are:\n${describeDemoUsers(users)}`);
    this.name = 'UnknownDemoUser';
  }
}

// ---------------------------------------------------------------------------
// Keys and token signing (no oidc-provider: the CLI loads only this part)

/**
 * Reads the private JWK set from `<dataDir>/idp-keys.json`, creating it on first use.
 * Creation is atomic (write a temp file, then hard-link it into place, which fails if
 * another process got there first), so the server and a concurrent CLI run can never
 * end up with two different key sets.
 */
export async function loadOrCreateSigningKeys(dataDir: string): Promise<JWK[]> {
  const file = path.join(dataDir, KEYS_FILE);
  const existing = await readJsonIfExists(file);
  const parsed = existing ?? (await createOnce(file, async () => ({ keys: await generateSigningKeys() })));
  return validateKeySet(parsed, file);
}

async function generateSigningKeys(): Promise<JWK[]> {
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, kid: await calculateJwkThumbprint(jwk), alg, use: 'sig' });
  }
  return keys;
}

function validateKeySet(value: unknown, file: string): JWK[] {
  const keys = (value as { keys?: unknown })?.keys;
  const valid =
    Array.isArray(keys) &&
    keys.every((k) => k && typeof k === 'object' && typeof k.kid === 'string' && typeof k.d === 'string') &&
    keys.some((k) => k.alg === 'RS256');
  if (!valid) throw new Error(`${file} is not a private JWK set with an RS256 key; delete it and a new one is generated`);
  return keys as JWK[];
}

export function publicJwk(key: JWK): JWK {
  const common = { kid: key.kid, alg: key.alg, use: key.use ?? 'sig' };
  if (key.kty === 'RSA') return { kty: 'RSA', n: key.n, e: key.e, ...common };
  if (key.kty === 'EC') return { kty: 'EC', crv: key.crv, x: key.x, y: key.y, ...common };
  throw new Error(`unsupported key type ${String(key.kty)}`);
}

/** `signToken` and `jwks` over the persisted keys; what the IdP and the CLI share. */
export async function createDevTokenSigner(options: DevIdpOptions): Promise<DevTokenSigner> {
  return signerFor(options, await loadOrCreateSigningKeys(options.dataDir));
}

function signerFor({ issuer, dataDir, users = DEMO_USERS }: DevIdpOptions, keys: JWK[]): DevTokenSigner {
  const publicKeys = keys.map(publicJwk);
  const signingKeys = new Map<string, Promise<{ kid: string; key: Awaited<ReturnType<typeof importJWK>> }>>();
  const keyFor = (alg: SigningAlgorithm) => {
    let entry = signingKeys.get(alg);
    if (!entry) {
      const jwk = keys.find((k) => k.alg === alg);
      if (!jwk) throw new Error(`no ${alg} key in ${path.join(dataDir, KEYS_FILE)}`);
      entry = importJWK(jwk, alg).then((key) => ({ kid: jwk.kid as string, key }));
      signingKeys.set(alg, entry);
    }
    return entry;
  };

  return {
    jwks: () => ({ keys: publicKeys.map((k) => ({ ...k })) }),
    async signToken(name, opts = {}) {
      const user = findDemoUser(users, name);
      if (!user) throw new UnknownDemoUser(name, users);
      const { expiresIn = 3600, audience = DEFAULT_AUDIENCE, tokenUse = 'id', alg = 'RS256' } = opts;
      if (!Number.isInteger(expiresIn) || expiresIn <= 0) throw new RangeError('expiresIn must be a positive whole number of seconds');
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = {
        iss: issuer,
        sub: user.sub,
        aud: audience,
        iat: now,
        exp: now + expiresIn,
        auth_time: opts.authTime ?? now,
        jti: randomUUID(),
        ...demoUserClaims(user),
        token_use: tokenUse,
        // RFC 9068 requires client_id in JWT access tokens.
        ...(tokenUse === 'access' ? { client_id: 'jitgate-cli' } : {}),
        ...(opts.amr ? { amr: opts.amr } : {}),
        ...(opts.acr ? { acr: opts.acr } : {}),
        ...opts.extraClaims,
      };
      const { kid, key } = await keyFor(alg);
      return new SignJWT(payload).setProtectedHeader({ alg, kid, typ: tokenUse === 'access' ? 'at+jwt' : 'JWT' }).sign(key);
    },
  };
}

// ---------------------------------------------------------------------------
// The provider

/** The slice of oidc-provider's API used here (the package ships no types). */
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  on(event: string, listener: (...args: any[]) => void): void;
  removeAllListeners(): void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, opts?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: GrantClass;
}
interface InteractionDetails {
  uid: string;
  prompt: { name: string; reasons: string[]; details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> } };
  params: Record<string, string | undefined>;
  grantId?: string;
  session?: { accountId: string };
}
interface Grant {
  jti: string;
  accountId: string;
  clientId: string;
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
type GrantClass = { new (init: { accountId: string; clientId: string }): Grant; find(id: string): Promise<Grant | undefined> };

export async function createDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const { issuer, dataDir, users = DEMO_USERS } = options;
  const issuerUrl = new URL(issuer);
  const mountPath = issuerUrl.pathname.replace(/\/$/, '');
  const keys = await loadOrCreateSigningKeys(dataDir);
  const signer = signerFor({ issuer, dataDir, users }, keys);
  const cookieKeys = await loadOrCreateCookieKeys(dataDir);

  // oidc-provider is ESM only and heavy; importing it here keeps `local/idp.ts` loadable
  // from CommonJS (jest) for `createDevTokenSigner`. A non-literal specifier also spares
  // tsc from looking for types the package does not ship.
  const specifier = 'oidc-provider';
  const oidc = (await import(specifier)) as { default: new (issuer: string, config: unknown) => OidcProvider; errors: Record<string, new (...a: any[]) => Error> };
  const Provider = oidc.default;

  const store = new ExpiringStore();
  const publicClient = (clientId: string) => ({
    client_id: clientId,
    client_name: clientId === APPROVER_CLIENT_ID ? 'jitgate approval page' : 'jitgate',
    token_endpoint_auth_method: 'none',
    application_type: 'web',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${issuerUrl.origin}/approve/callback`, `${issuerUrl.origin}/dev/callback`],
    post_logout_redirect_uris: [`${issuerUrl.origin}/`],
  });
  const userClaims = ['email', 'email_verified', 'name', 'groups', 'roles', 'employment'];

  const provider = new Provider(issuer, {
    adapter: (model: string) => store.adapterFor(model),
    clients: [publicClient(APPROVER_CLIENT_ID), publicClient(DEFAULT_AUDIENCE)],
    jwks: { keys },
    cookies: {
      keys: cookieKeys,
      // The API shares the origin; keep clear of any cookie it sets.
      names: { session: 'jitgate_idp_session', interaction: 'jitgate_idp_interaction', resume: 'jitgate_idp_resume' },
    },
    // Real IdPs put groups and roles into ID tokens by configuration, not by scope;
    // the dev IdP does the same, so `scope=openid` alone yields every demo claim.
    claims: {
      openid: ['sub', 'auth_time', 'acr', 'amr', 'token_use', ...userClaims],
      email: ['email', 'email_verified'],
      profile: ['name'],
      sid: null,
      iss: null,
    },
    scopes: ['openid', 'email', 'profile'],
    // Authorization code only: no implicit or hybrid flows, so no tokens in front-channel URLs.
    responseTypes: ['code'],
    clientAuthMethods: ['none'],
    // Default true keeps scope claims out of ID tokens when an access token is issued (always, for `code`).
    conformIdTokenClaims: false,
    acrValues: [DEV_ACR.password, DEV_ACR.mfa],
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    // Same path jitgate's verifier assumes when an issuer names no jwksUri (Cognito's convention).
    routes: { jwks: '/.well-known/jwks.json' },
    pkce: { required: () => true },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${mountPath}/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, sub: string) => {
      const user = findDemoUser(users, sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        // `use` is 'id_token' or 'userinfo'; only ID tokens say what they are.
        claims: async (use: string) => ({ sub: user.sub, ...demoUserClaims(user), ...(use === 'id_token' ? { token_use: 'id' } : {}) }),
      };
    },
    // First-party clients: the demo user consents to whatever was asked, so no consent page.
    loadExistingGrant: async (ctx: any) => {
      const { client, session, params } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      let grant = grantId ? await provider.Grant.find(grantId) : undefined;
      if (!grant || grant.accountId !== session.accountId) grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      if (params.scope) grant.addOIDCScope(params.scope);
      if (ctx.oidc.requestParamClaims.size) grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
    clientBasedCORS: (_ctx: unknown, origin: string) => origin === issuerUrl.origin,
    renderError: async (ctx: any, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<h1>Sign-in error</h1><p><code>${esc(out.error ?? 'server_error')}</code></p><p>${esc(out.error_description ?? '')}</p>`);
    },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Grant: 86400,
      Session: 86400,
      RefreshToken: 86400,
    },
  });
  provider.on('server_error', (_ctx: unknown, err: Error) => console.error('[dev idp] server error:', err));

  const koa = provider.callback();
  const SessionNotFound = oidc.errors.SessionNotFound as new (...a: any[]) => Error;
  const interactionRoute = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/;

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, submitted: boolean): Promise<void> {
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) return send(res, 400, page('Sign-in error', '<h1>This sign-in page is stale</h1><p>Start again from the application.</p>'));
      if (details.prompt.name !== 'login') {
        // Normally unreachable (loadExistingGrant grants everything); grant what is missing rather than show a consent page.
        const grant = await consentEverything(provider, details);
        return await provider.interactionFinished(req, res, { consent: { grantId: grant } }, { mergeWithLastSubmission: true });
      }
      if (!submitted) {
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, page('Method not allowed', '<h1>Method not allowed</h1>'));
        return send(res, 200, pickerPage(details, users, `${mountPath}/interaction/${uid}/login`));
      }
      if (req.method !== 'POST') return send(res, 405, page('Method not allowed', '<h1>Method not allowed</h1>'));
      const form = await readForm(req);
      if (form.get('action') === 'abort') {
        return await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user cancelled the sign-in' }, { mergeWithLastSubmission: false });
      }
      const user = findDemoUser(users, form.get('user') ?? '');
      if (!user) return send(res, 400, pickerPage(details, users, `${mountPath}/interaction/${uid}/login`, `Pick one of the demo users.`));
      const mfa = ['on', 'true', '1', 'yes'].includes(form.get('mfa') ?? '');
      await provider.interactionFinished(
        req,
        res,
        {
          login: {
            accountId: user.sub,
            acr: mfa ? DEV_ACR.mfa : DEV_ACR.password,
            amr: [...(mfa ? DEV_AMR.mfa : DEV_AMR.password)],
            ts: Math.floor(Date.now() / 1000),
            remember: true,
          },
        },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      if (err instanceof SessionNotFound) {
        return send(res, 400, page('Sign-in expired', '<h1>This sign-in has expired</h1><p>Start again from the application.</p>'));
      }
      if (err instanceof FormTooLarge) return send(res, 413, page('Too large', '<h1>Request too large</h1>'));
      console.error('[dev idp] interaction failed:', err);
      if (!res.headersSent) send(res, 500, page('Sign-in error', '<h1>The development IdP failed</h1><p>See the server console.</p>'));
    }
  }

  return {
    ...signer,
    handle(req, res) {
      const url = req.url ?? '/';
      if (url !== mountPath && !url.startsWith(`${mountPath}/`) && !url.startsWith(`${mountPath}?`)) {
        send(res, 404, page('Not found', '<h1>Not found</h1>'));
        return;
      }
      let relative = url.slice(mountPath.length);
      if (!relative.startsWith('/')) relative = `/${relative}`;
      const pathname = relative.split('?')[0] ?? '/';
      const match = interactionRoute.exec(pathname);
      if (match) {
        void interaction(req, res, match[1] as string, Boolean(match[2]));
        return;
      }
      // The Express-style mount oidc-provider understands: it computes its mount path
      // as originalUrl minus url, and links to `/dev/idp/...` accordingly.
      Object.assign(req, { originalUrl: url, baseUrl: mountPath });
      req.url = relative;
      koa(req, res);
    },
    async close() {
      provider.removeAllListeners();
      store.clear();
    },
  };
}

async function consentEverything(provider: OidcProvider, details: InteractionDetails): Promise<string> {
  const accountId = details.session?.accountId;
  const clientId = details.params.client_id;
  if (!accountId || !clientId) throw new Error('consent prompt without a session');
  const grant = (details.grantId && (await provider.Grant.find(details.grantId))) || new provider.Grant({ accountId, clientId });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
  if (missingOIDCScope?.length) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims?.length) grant.addOIDCClaims(missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  return grant.save();
}

// ---------------------------------------------------------------------------
// The picker page

function pickerPage(details: InteractionDetails, users: readonly DemoUser[], action: string, error?: string): string {
  const { params } = details;
  const wantsMfa = (params.acr_values ?? '').split(' ').includes(DEV_ACR.mfa) || (params.claims ?? '').includes(DEV_ACR.mfa);
  const rows = users
    .map((u) => {
      const claims = [u.groups && `groups: ${u.groups.join(', ')}`, u.roles && `roles: ${u.roles.join(', ')}`, u.employment && `employment: ${u.employment}`]
        .filter(Boolean)
        .join('; ');
      const hinted = params.login_hint === u.sub ? ' autofocus' : '';
      return `<tr><td><button type="submit" name="user" value="${esc(u.sub)}"${hinted}>Sign in as ${esc(u.name)}</button></td><td><code>${esc(u.sub)}</code></td><td>${esc(u.email)}</td><td>${esc(claims)}</td></tr>`;
    })
    .join('\n');
  return page(
    'Development sign-in',
    `<h1>jitgate development sign-in</h1>
<p class="note">Development only: no passwords. <strong>${esc(params.client_id ?? '')}</strong> asks you to sign in; pick a demo user.</p>
${error ? `<p class="error">${esc(error)}</p>` : ''}
<form method="post" action="${esc(action)}">
<p><label><input type="checkbox" name="mfa" value="on"${wantsMfa ? ' checked' : ''}> signed in with a second factor (<code>amr</code> pwd, otp, mfa; <code>acr</code> ${esc(DEV_ACR.mfa)})</label></p>
<table><thead><tr><th></th><th>user</th><th>email</th><th>claims</th></tr></thead><tbody>
${rows}
</tbody></table>
<p><button type="submit" name="action" value="abort" class="secondary">Cancel</button></p>
</form>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#222}table{border-collapse:collapse}td,th{padding:.4rem .6rem;text-align:left;border-bottom:1px solid #ddd}button{cursor:pointer;padding:.3rem .7rem}.note{color:#555}.error{color:#b00}.secondary{background:none;border:1px solid #aaa}</style>
</head><body>${body}</body></html>`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' });
  res.end(html);
}

class FormTooLarge extends Error {}

async function readForm(req: IncomingMessage, limit = 16 * 1024): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new FormTooLarge();
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// ---------------------------------------------------------------------------
// Persistence helpers

async function loadOrCreateCookieKeys(dataDir: string): Promise<string[]> {
  const file = path.join(dataDir, COOKIE_KEYS_FILE);
  const value = (await readJsonIfExists(file)) ?? (await createOnce(file, async () => ({ keys: [randomBytes(32).toString('base64url')] })));
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string')) {
    throw new Error(`${file} should be {"keys": ["<random>"]}; delete it and a new one is generated`);
  }
  return keys as string[];
}

async function readJsonIfExists(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON; delete it and a new one is generated`);
  }
}

/** Writes `make()`'s result to `file` unless it exists; returns whatever `file` holds afterwards. */
async function createOnce(file: string, make: () => Promise<unknown>): Promise<unknown> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(await make(), null, 2)}\n`, { mode: 0o600 });
  try {
    await fs.link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return readJsonIfExists(file);
}

// ---------------------------------------------------------------------------
// oidc-provider storage: per instance, in memory (sessions and codes do not need to survive a restart).

interface StoredEntry {
  payload: Record<string, unknown>;
  expiresAt: number | undefined;
}

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

class ExpiringStore {
  private readonly entries = new Map<string, StoredEntry>();

  adapterFor(model: string) {
    const store = this;
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
        store.set(key(id), payload, expiresIn);
        // Only tokens and codes die with their grant (as in oidc-provider's own memory adapter); an
        // Interaction also names a grantId but must outlive it when one user signs out for another.
        if (GRANTABLE.has(model) && typeof payload.grantId === 'string') store.index(`grant:${payload.grantId}`, key(id));
        if (typeof payload.uid === 'string') store.set(`sessionUid:${payload.uid}`, { id }, expiresIn);
        if (typeof payload.userCode === 'string') store.set(`userCode:${payload.userCode}`, { id }, expiresIn);
      },
      async find(id: string) {
        return store.get(key(id));
      },
      async findByUid(uid: string) {
        const ref = store.get(`sessionUid:${uid}`);
        return ref ? store.get(key(ref.id as string)) : undefined;
      },
      async findByUserCode(userCode: string) {
        const ref = store.get(`userCode:${userCode}`);
        return ref ? store.get(key(ref.id as string)) : undefined;
      },
      async consume(id: string) {
        const payload = store.get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        store.entries.delete(key(id));
      },
      async revokeByGrantId(grantId: string) {
        const members = store.get(`grant:${grantId}`)?.members as string[] | undefined;
        for (const member of members ?? []) store.entries.delete(member);
        store.entries.delete(`grant:${grantId}`);
      },
    };
  }

  clear(): void {
    this.entries.clear();
  }

  private get(k: string): Record<string, unknown> | undefined {
    const entry = this.entries.get(k);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.entries.delete(k);
      return undefined;
    }
    return entry.payload;
  }

  private set(k: string, payload: Record<string, unknown>, expiresIn?: number): void {
    if (this.entries.size > 10_000) this.sweep();
    this.entries.set(k, { payload, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined });
  }

  private index(k: string, member: string): void {
    const members = (this.get(k)?.members as string[] | undefined) ?? [];
    members.push(member);
    this.entries.set(k, { payload: { members }, expiresAt: undefined });
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt !== undefined && e.expiresAt <= now) this.entries.delete(k);
  }
}
