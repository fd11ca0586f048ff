/**
 * Verifies federated JWTs with aws-jwt-verify against the configured issuers only.
 * JWKS are fetched once and cached per issuer; an unknown `kid` triggers one
 * (rate-limited, by aws-jwt-verify) refetch, so IdP key rotation needs no redeploy.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { Config } from './config';
import { InvalidToken } from './errors';
import { toPrincipal, type Principal } from './identity';

/** Largest token we are willing to parse; real ID tokens are a few KB. */
const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * aws-jwt-verify's default fetcher speaks https only; local mode's development IdP
 * is http on loopback. One fetch-based fetcher serves both, with a hard timeout.
 */
class FetchJwksFetcher {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const response = await fetch(uri, { signal: AbortSignal.timeout(3000), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`JWKS fetch from ${uri} failed with ${response.status}`);
    return response.arrayBuffer();
  }
}

export interface TokenVerifier {
  verify(authorization: string | undefined): Promise<Principal>;
}

export function createTokenVerifier(config: Config): TokenVerifier {
  const entries = Object.entries(config.issuers);
  if (entries.length === 0) {
    return { verify: async () => { throw new InvalidToken('no issuer is configured'); } };
  }
  const byIssuer = new Map(entries.map(([name, issuer]) => [issuer.issuer, { name, issuer }]));
  const verifier = JwtVerifier.create(
    entries.map(([, issuer]) => ({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: issuer.jwksUri ?? `${issuer.issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
      customJwtCheck: ({ header, payload }: { header: Record<string, unknown>; payload: JwtPayload }) => {
        if (!issuer.algorithms.includes(String(header.alg) as never)) throw new Error(`algorithm ${String(header.alg)} is not allowed for this issuer`);
        checkTokenUse(issuer.tokenUse, header, payload);
        if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new Error('token has no sub');
      },
    })) as never,
    { jwksCache: new SimpleJwksCache({ fetcher: new FetchJwksFetcher() }) },
  ) as unknown as { verify(token: string): Promise<JwtPayload> };

  return {
    async verify(authorization) {
      const token = bearer(authorization);
      let payload: JwtPayload;
      try {
        payload = await verifier.verify(token);
      } catch (err) {
        throw new InvalidToken(describe(err));
      }
      const match = byIssuer.get(String(payload.iss));
      if (!match) throw new InvalidToken('token issuer is not configured');
      return toPrincipal(match.name, match.issuer, payload as Record<string, unknown>);
    },
  };
}

function bearer(authorization: string | undefined): string {
  if (!authorization) throw new InvalidToken('send the token as "Authorization: Bearer <token>"');
  const match = /^Bearer ([A-Za-z0-9_\-.=]+)$/i.exec(authorization.trim());
  if (!match?.[1]) throw new InvalidToken('the Authorization header must be "Bearer <token>"');
  if (match[1].length > MAX_TOKEN_LENGTH) throw new InvalidToken('token is too large');
  return match[1];
}

/**
 * ID tokens and access tokens are not interchangeable: an ID token is meant for the
 * client, an access token for an API (RFC 9068 marks JWT access tokens `typ: at+jwt`).
 */
function checkTokenUse(expected: 'id' | 'access', header: Record<string, unknown>, payload: JwtPayload): void {
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  const declared = payload.token_use;
  const isAccess = typ === 'at+jwt' || typ === 'application/at+jwt' || declared === 'access';
  if (expected === 'access' && !isAccess) throw new Error('an access token is required; got an ID token');
  if (expected === 'id' && (isAccess || (declared !== undefined && declared !== 'id'))) throw new Error('an ID token is required; got an access token');
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    // aws-jwt-verify messages name the failed check ("Token expired at ...", "Missing Issuer ..."); keep them, they help integrators.
    return err.message.slice(0, 200);
  }
  return 'token verification failed';
}
