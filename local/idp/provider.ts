/**
 * Local mode's development OpenID provider, served at `<base URL>/dev/idp`: discovery,
 * JWKS, authorization code + PKCE with a one-click demo-user picker (picker.ts), and
 * the token signer's `signToken` (signer.ts).
 *
 * Built on oidc-provider (a Koa app). It is mounted under a path prefix the way
 * Express mounts it: the issuer carries the prefix, `req.originalUrl` keeps the full
 * path and `req.url` is made relative to the prefix, so oidc-provider routes `/auth`,
 * `/token`, ... and still writes `/dev/idp/...` into discovery and redirects
 * (it derives the mount path from `originalUrl` minus `url`).
 *
 * oidc-provider (with Koa, ~30 MB of local mode's memory) is loaded by the first request that
 * needs it, a sign-in; the JWKS every function's verifier fetches is served from the same keys
 * without it, byte for byte as oidc-provider serves it (`jwksResponse`).
 *
 * Never deployed; nothing here reaches the network.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import { DEMO_USERS, demoUserClaims, findDemoUser, type DemoUser } from '../demo-users';
import { loadOrCreateCookieKeys, loadOrCreateSigningKeys } from './keys';
import type { InteractionDetails, OidcProvider } from './oidc-provider-types';
import { DEV_ACR, DEV_AMR, esc, FormTooLarge, page, pickerPage, readForm, send } from './picker';
import { DEFAULT_AUDIENCE, signerFor, type DevIdpOptions, type DevTokenSigner } from './signer';
import { ExpiringStore } from './store';

/** The public client the approval page signs approvers in with; its ID tokens carry `aud: jitgate-approver`. */
export const APPROVER_CLIENT_ID = 'jitgate-approver';
/** The public client the web console signs people in with (`consoleSignIn` in the demo config). */
export const CONSOLE_CLIENT_ID = 'jitgate-console';

export interface DevIdp extends DevTokenSigner {
  /** Serves a request whose path is under the issuer's path (`/dev/idp/...`); the body must not have been read. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

type Mounted = Pick<DevIdp, 'handle' | 'close'>;

export async function createDevIdp(options: DevIdpOptions): Promise<DevIdp> {
  const { issuer, dataDir, users = DEMO_USERS } = options;
  const mountPath = new URL(issuer).pathname.replace(/\/$/, '');
  const keys = await loadOrCreateSigningKeys(dataDir);
  const signer = signerFor({ issuer, dataDir, users }, keys);
  const cookieKeys = await loadOrCreateCookieKeys(dataDir);
  const jwks = jwksResponse(signer.jwks());
  let full: Promise<Mounted> | undefined;
  return {
    ...signer,
    handle(req, res) {
      if (req.method === 'GET' && (req.url ?? '').split('?')[0] === `${mountPath}/.well-known/jwks.json`) {
        res.writeHead(200, jwks.headers).end(jwks.body);
        return;
      }
      full ??= mountOidcProvider({ issuer, users, keys, cookieKeys });
      full.then(
        (idp) => idp.handle(req, res),
        (err: Error) => {
          console.error('[dev idp] oidc-provider failed to start:', err);
          if (!res.headersSent)
            send(res, 503, page('Sign-in unavailable', '<h1>The development IdP failed to start</h1><p>See the server console.</p>'));
        },
      );
    },
    async close() {
      await (await full?.catch(() => undefined))?.close();
    },
  };
}

/**
 * The JWKS as oidc-provider serves it: members in its order (kty, use, kid, alg, then the key's
 * own, sorted), open to every origin.
 */
function jwksResponse(set: { keys: JWK[] }): { headers: Record<string, string>; body: string } {
  const keys = set.keys.map(({ kty, use, kid, alg, ...rest }) => ({
    kty,
    use,
    kid,
    alg,
    ...Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))),
  }));
  return {
    headers: { 'content-type': 'application/jwk-set+json; charset=utf-8', 'access-control-allow-origin': '*', vary: 'Origin' },
    body: JSON.stringify({ keys }),
  };
}

/** oidc-provider under the issuer's path, as the first sign-in mounts it (exported for the test that compares the JWKS). */
export async function mountOidcProvider(options: {
  issuer: string;
  users?: readonly DemoUser[];
  keys: JWK[];
  cookieKeys: string[];
}): Promise<Mounted> {
  const { issuer, users = DEMO_USERS, keys, cookieKeys } = options;
  const issuerUrl = new URL(issuer);
  const mountPath = issuerUrl.pathname.replace(/\/$/, '');

  // oidc-provider is ESM only and heavy; importing it here keeps `local/idp/` loadable
  // from CommonJS (jest) for `createDevTokenSigner`. A non-literal specifier also spares
  // tsc from looking for types the package does not ship.
  const specifier = 'oidc-provider';
  const oidc = (await import(specifier)) as {
    default: new (issuer: string, config: unknown) => OidcProvider;
    errors: Record<string, new (...a: any[]) => Error>;
  };
  const Provider = oidc.default;

  const store = new ExpiringStore();
  const publicClient = (clientId: string) => ({
    client_id: clientId,
    client_name: { [APPROVER_CLIENT_ID]: 'jitgate approval page', [CONSOLE_CLIENT_ID]: 'jitgate console' }[clientId] ?? 'jitgate',
    token_endpoint_auth_method: 'none',
    application_type: 'web',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`${issuerUrl.origin}/approve/callback`, `${issuerUrl.origin}/console/callback`, `${issuerUrl.origin}/dev/callback`],
    post_logout_redirect_uris: [`${issuerUrl.origin}/`],
  });
  const userClaims = ['email', 'email_verified', 'name', 'groups', 'roles', 'employment'];

  const provider = new Provider(issuer, {
    adapter: (model: string) => store.adapterFor(model),
    clients: [publicClient(APPROVER_CLIENT_ID), publicClient(CONSOLE_CLIENT_ID), publicClient(DEFAULT_AUDIENCE)],
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
      if (!grant || grant.accountId !== session.accountId)
        grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      if (params.scope) grant.addOIDCScope(params.scope);
      if (ctx.oidc.requestParamClaims.size) grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
    clientBasedCORS: (_ctx: unknown, origin: string) => origin === issuerUrl.origin,
    renderError: async (ctx: any, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = page(
        'Sign-in error',
        `<h1>Sign-in error</h1><p><code>${esc(out.error ?? 'server_error')}</code></p><p>${esc(out.error_description ?? '')}</p>`,
      );
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
      if (details.uid !== uid)
        return send(res, 400, page('Sign-in error', '<h1>This sign-in page is stale</h1><p>Start again from the application.</p>'));
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
        return await provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'the user cancelled the sign-in' },
          { mergeWithLastSubmission: false },
        );
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
