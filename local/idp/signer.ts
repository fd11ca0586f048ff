/**
 * `signToken` and `jwks` over the development IdP's keys, for scripts, tests and
 * `npx jitgate token <user>`. No oidc-provider here: signing a token never loads it.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { SignJWT, importJWK, type JWK } from 'jose';
import { DEMO_USERS, demoUserClaims, describeDemoUsers, findDemoUser, type DemoUser } from '../demo-users';
import { KEYS_FILE, loadOrCreateSigningKeys, publicJwk } from './keys';

/** The audience the demo config expects; also a registered client, so a browser login can yield `aud: jitgate` ID tokens. */
export const DEFAULT_AUDIENCE = 'jitgate';

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

export interface DevIdpOptions {
  /** `http://127.0.0.1:<port>/dev/idp`; its path is where the provider is mounted. */
  issuer: string;
  /** Where the keys live, normally `.jitgate/`. */
  dataDir: string;
  /** Default: the demo users. */
  users?: readonly DemoUser[];
}

export class UnknownDemoUser extends Error {
  constructor(
    readonly user: string,
    readonly users: readonly DemoUser[],
  ) {
    super(`unknown user "${user}"; the demo users are:\n${describeDemoUsers(users)}`);
    this.name = 'UnknownDemoUser';
  }
}

/** `signToken` and `jwks` over the persisted keys; what the IdP and the CLI share. */
export async function createDevTokenSigner(options: DevIdpOptions): Promise<DevTokenSigner> {
  return signerFor(options, await loadOrCreateSigningKeys(options.dataDir));
}

export function signerFor({ issuer, dataDir, users = DEMO_USERS }: DevIdpOptions, keys: JWK[]): DevTokenSigner {
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
