/**
 * Verifies federated JWTs against the configured issuers only, with aws-jwt-verify.
 *
 * `verify` reads top to bottom: the token's shape (size, three canonical base64url
 * segments of JSON objects without duplicate keys), its header (no embedded or remote
 * keys, no extensions), its issuer (configured ones only, each with its own algorithms),
 * then aws-jwt-verify (signature against the issuer's JWKS, `iss`, `aud`, `exp` and
 * `nbf` within the issuer's clock skew; for Cognito also `token_use` and `client_id`),
 * then what aws-jwt-verify leaves to us (`exp` and `iat` present, `iat` not in the
 * future, `sub`, ID vs access token). Every failure is `InvalidToken` (401).
 *
 * JWKS are fetched once per issuer and cached; a token with an unknown `kid` triggers
 * one refetch, rate-limited by aws-jwt-verify's penalty box (one per JWKS URI per 10 s),
 * so a key rotation at the IdP needs no redeploy and garbage `kid`s cannot flood it.
 *
 * `prefetch` asks every issuer for its JWKS ahead of the first token (the authorize function
 * does at init, shared/runtime-verifier.ts); a `verify` meanwhile waits for that same fetch.
 *
 * A token that passed every check is remembered until its `exp` (token-cache.ts), so the
 * same token sent again skips all of the above but the size and Bearer checks.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { FetchError, JwtExpiredError } from 'aws-jwt-verify/error';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { SimpleJwksCache, type JwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { Config, IssuerConfig } from '../config/config';
import { DependencyUnavailable, InvalidToken } from '../domain/errors';
import { toPrincipal, type Principal } from '../domain/identity';
import { DEFAULT_MAX_ENTRIES, VerifiedTokenCache } from './token-cache';
import { expiredMessage, untrustedIssuerMessage } from './token-hints';

/** Largest token we are willing to parse; real ID tokens are a few KB. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * Header parameters that would let the token choose its own key (`jwk`, `jku`,
 * `x5u`, `x5c`) or demand extensions jitgate does not implement (`crit`, RFC 7515
 * 4.1.11: a recipient that does not understand them must reject the token).
 */
const REFUSED_HEADER_PARAMETERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit'] as const;

/** `kid`s as IdPs issue them (base64, base64url, hex, GUIDs, thumbprints): visible ASCII without quotes, spaces or backslashes. */
const KID = /^[A-Za-z0-9._~+/=:-]{1,256}$/;

/**
 * aws-jwt-verify's default fetcher speaks https only; local mode's development IdP
 * (and any http issuer local mode accepts) is http on loopback. This fetcher serves
 * those with node's http client, as aws-jwt-verify's uses node's https, so a local
 * cold start pays what a deployed one does: the global fetch() would first load
 * undici, about 100 ms of the authorize function's cold start (bench section 8).
 */
export class FetchJwksFetcher {
  fetch(uri: string): Promise<ArrayBuffer> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => reject(new FetchError(uri, why));
      let req: ReturnType<typeof httpGet>;
      try {
        req = (uri.startsWith('https:') ? httpsGet : httpGet)(
          uri,
          { headers: { accept: 'application/json' }, timeout: JWKS_TIMEOUT_MS },
          (res) => {
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              res.resume();
              return fail(`status ${status}`);
            }
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', (err) => fail(err.message));
            res.on('end', () => {
              const body = Buffer.concat(chunks);
              resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
            });
          },
        );
      } catch (err) {
        return fail((err as Error).message);
      }
      req.on('timeout', () => req.destroy(new Error(`no answer within ${JWKS_TIMEOUT_MS} ms`)));
      req.on('error', (err) => fail(err.message));
    });
  }
}

const JWKS_TIMEOUT_MS = 3000;

export interface TokenVerifier {
  verify(authorization: string | undefined): Promise<Principal>;
}

/** The verifier this module makes: the use cases only verify; the composition root also prefetches. */
export interface JwksVerifier extends TokenVerifier {
  /**
   * Fetches every issuer's JWKS into the cache now. Never rejects: a JWKS that could not be
   * fetched is not cached, so the first `verify` that needs it fetches it again and fails as it
   * would have without the prefetch (503), or succeeds.
   */
  prefetch(): Promise<void>;
}

export interface TokenVerifierOptions {
  /** One cache for every issuer (tests seed it with `addJwks`); default: aws-jwt-verify's for https, a fetch-based one for http. */
  jwksCache?: JwksCache;
  /** How many verified tokens to remember (least recently used first out); 0 turns the cache off. Default 1,000. */
  cachedTokens?: number;
  /** Epoch milliseconds; default `Date.now`. The cache and jitgate's own claim checks read it (aws-jwt-verify reads `Date.now`). */
  now?: () => number;
}

interface TrustedIssuer {
  name: string;
  config: IssuerConfig;
  /** aws-jwt-verify for this issuer alone: its JWKS, audience, clock skew; `hydrate` fetches its JWKS into the cache. */
  verifier: { verify(token: string): Promise<JwtPayload>; hydrate(): Promise<void> };
}

type Header = Record<string, unknown> & { alg: string; kid: string };

export function createTokenVerifier(config: Config, options: TokenVerifierOptions = {}): JwksVerifier {
  const httpsCache = options.jwksCache ?? new SimpleJwksCache();
  const httpCache = options.jwksCache ?? new SimpleJwksCache({ fetcher: new FetchJwksFetcher() });
  const now = options.now ?? Date.now;
  const verified = new VerifiedTokenCache<Principal>(options.cachedTokens ?? DEFAULT_MAX_ENTRIES);
  const byIss = new Map<string, TrustedIssuer>();
  // Only local mode's config keeps a development issuer (token-hints.ts): its 401s may name local commands.
  const local = Object.values(config.issuers).some((i) => i.development);
  for (const [name, issuer] of Object.entries(config.issuers)) {
    const trusted: TrustedIssuer = {
      name,
      config: issuer,
      verifier: awsVerifier(issuer, jwksUriOf(issuer).startsWith('http://') ? httpCache : httpsCache),
    };
    byIss.set(issuer.issuer, trusted);
    // Cognito is moving to a second issuer form for the same pool; CognitoJwtVerifier accepts both.
    if (issuer.cognito) byIss.set(issuer.issuer.replace('https://cognito-idp.', 'https://issuer-cognito-idp.'), trusted);
  }

  return {
    async prefetch() {
      // One per issuer (Cognito's two issuer forms share one); aws-jwt-verify shares a fetch in flight with a verify.
      await Promise.allSettled([...new Set(byIss.values())].map((issuer) => issuer.verifier.hydrate()));
    },
    async verify(authorization) {
      // 1. Shape.
      const token = bearer(authorization);
      // 0. Seen and accepted before, and its exp still ahead: every check below passed for exactly these bytes.
      const remembered = verified.get(token, now() / 1000);
      if (remembered) return remembered;
      const { header, payload } = decode(token);
      // 2. Header.
      checkHeader(header);
      // 3. Issuer: only configured ones, each with its own allowed algorithms.
      const issuer = typeof payload.iss === 'string' ? byIss.get(payload.iss) : undefined;
      if (!issuer)
        throw new InvalidToken(
          untrustedIssuerMessage(
            payload.iss,
            Object.values(config.issuers).map((i) => i.issuer),
            local,
          ),
        );
      if (!(issuer.config.algorithms as string[]).includes(header.alg))
        throw new InvalidToken(`algorithm ${header.alg} is not allowed for this issuer`);
      // 4. Signature, iss, aud, exp and nbf within the clock skew (and Cognito's token_use, client_id).
      let claims: JwtPayload;
      try {
        claims = await issuer.verifier.verify(token);
      } catch (err) {
        if (err instanceof FetchError)
          throw new DependencyUnavailable("the identity provider's signing keys could not be fetched; try again shortly");
        throw new InvalidToken(err instanceof JwtExpiredError ? expiredMessage(describe(err), payload.sub, local) : describe(err));
      }
      // 5. What aws-jwt-verify leaves to us.
      checkClaims(header, claims, issuer.config, now() / 1000);
      const principal = toPrincipal(issuer.name, issuer.config, claims as Record<string, unknown>);
      // Only now, with every check passed: a failure is never remembered. checkClaims made sure exp is a number.
      verified.set(token, principal, claims.exp as number, now() / 1000);
      return principal;
    },
  };
}

function jwksUriOf(issuer: IssuerConfig): string {
  // Normally set: by the config, a preset, local mode, or discovery at synth and start (`resolveIssuers`).
  return issuer.jwksUri ?? `${issuer.issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
}

function awsVerifier(issuer: IssuerConfig, jwksCache: JwksCache): TrustedIssuer['verifier'] {
  if (issuer.cognito) {
    return CognitoJwtVerifier.create(
      {
        userPoolId: issuer.cognito.userPoolId,
        clientId: issuer.cognito.clientId,
        tokenUse: issuer.tokenUse,
        graceSeconds: issuer.clockSkew,
      },
      { jwksCache },
    ) as unknown as TrustedIssuer['verifier'];
  }
  return JwtVerifier.create(
    { issuer: issuer.issuer, audience: issuer.audience, jwksUri: jwksUriOf(issuer), graceSeconds: issuer.clockSkew },
    { jwksCache },
  ) as unknown as TrustedIssuer['verifier'];
}

// ---------------------------------------------------------------------------
// 1. Shape

function bearer(authorization: string | undefined): string {
  if (!authorization) throw new InvalidToken('send the token as Authorization: Bearer <token>');
  // Length first: a 100 KB header is refused without running a regular expression over it.
  if (authorization.length > MAX_TOKEN_LENGTH + 64) throw new InvalidToken('token is too large');
  const match = /^Bearer +([^\s]+)$/i.exec(authorization.trim());
  if (!match?.[1]) throw new InvalidToken('the Authorization header must be Bearer <token>');
  if (match[1].length > MAX_TOKEN_LENGTH) throw new InvalidToken('token is too large');
  return match[1];
}

/**
 * Splits and decodes a compact JWS strictly: exactly three segments, each canonical
 * unpadded base64url, a non-empty signature, a header and payload that are UTF-8 JSON
 * objects with no key repeated (JSON.parse keeps the last of two `sub`s; another
 * parser may keep the first, so a token with duplicates means different things to
 * different readers and is refused).
 */
export function decode(token: string): { header: Header; payload: Record<string, unknown> } {
  const segments = token.split('.');
  if (segments.length !== 3) throw new InvalidToken(`a JWT has three dot-separated segments; this one has ${segments.length}`);
  const [h, p, s] = segments as [string, string, string];
  const header = jsonSegment(h, 'header');
  const payload = jsonSegment(p, 'payload');
  if (base64url(s, 'signature').length === 0) throw new InvalidToken('the token is not signed');
  if (typeof header.alg !== 'string') throw new InvalidToken('the token header has no alg');
  if (typeof header.kid !== 'string') throw new InvalidToken('the token header has no kid');
  return { header: header as Header, payload };
}

function base64url(segment: string, what: string): Buffer {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new InvalidToken(`the token ${what} is not base64url`);
  const bytes = Buffer.from(segment, 'base64url');
  // Node ignores stray trailing bits; a canonical encoding round-trips.
  if (bytes.toString('base64url') !== segment) throw new InvalidToken(`the token ${what} is not canonical base64url`);
  return bytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function jsonSegment(segment: string, what: 'header' | 'payload'): Record<string, unknown> {
  const bytes = base64url(segment, what);
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new InvalidToken(`the token ${what} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidToken(`the token ${what} is not a JSON object`);
  const duplicate = duplicateKey(text);
  if (duplicate !== undefined) throw new InvalidToken(`the token ${what} has the key '${duplicate.slice(0, 40)}' twice`);
  return value as Record<string, unknown>;
}

/**
 * The first key that appears twice in one object of `json` (already valid JSON), if
 * any. Keys are compared decoded, so `"sub"` and `"s\u0075b"` are the same key.
 */
export function duplicateKey(json: string): string | undefined {
  // One entry per open container: the keys seen so far for an object, undefined for an array.
  const open: (Set<string> | undefined)[] = [];
  let keyNext = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{') {
      open.push(new Set());
      keyNext = true;
    } else if (c === '[') {
      open.push(undefined);
      keyNext = false;
    } else if (c === '}' || c === ']') {
      open.pop();
      keyNext = false;
    } else if (c === ',') {
      keyNext = open[open.length - 1] !== undefined;
    } else if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      if (keyNext) {
        const raw = json.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        const keys = open[open.length - 1]!;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      keyNext = false;
      i = end;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      keyNext = false;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// 2. Header

/**
 * Steps 1 and 2 for any JWT jitgate reads outside `verify` (e.g. an approver's ID token): strict shape, no
 * token-chosen keys, no extensions.
 */
export function decodeStrict(token: string): { header: Header; payload: Record<string, unknown> } {
  if (token.length > MAX_TOKEN_LENGTH) throw new InvalidToken('token is too large');
  const decoded = decode(token);
  checkHeader(decoded.header);
  return decoded;
}

function checkHeader(header: Header): void {
  for (const name of REFUSED_HEADER_PARAMETERS) {
    if (Object.hasOwn(header, name)) {
      throw new InvalidToken(
        name === 'crit'
          ? 'the token requires extensions (crit) jitgate does not implement'
          : `the token header carries ${name}; keys come from the issuer's JWKS only`,
      );
    }
  }
  if (!KID.test(header.kid)) throw new InvalidToken('the token header kid is malformed');
}

// ---------------------------------------------------------------------------
// 5. Claims aws-jwt-verify does not check

function checkClaims(header: Header, payload: JwtPayload, issuer: IssuerConfig, now: number): void {
  if (typeof payload.exp !== 'number') throw new InvalidToken('the token has no expiry (exp)');
  if (typeof payload.iat !== 'number') throw new InvalidToken('the token has no issue time (iat)');
  if (payload.iat > now + issuer.clockSkew) throw new InvalidToken('the token was issued in the future (iat)');
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255)
    throw new InvalidToken('the token has no valid subject (sub)');
  checkTokenUse(issuer.tokenUse, header, payload);
}

/**
 * ID tokens and access tokens are not interchangeable: an ID token is meant for the
 * client, an access token for an API. Access tokens say so by `typ: at+jwt` (RFC
 * 9068), `token_use: access` (Cognito), or the delegation claims only they carry
 * (`scope`/`scp`, `client_id`/`cid`: RFC 9068, Okta, Entra, Auth0).
 */
function checkTokenUse(expected: 'id' | 'access', header: Header, payload: JwtPayload): void {
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  const declared = payload.token_use;
  const looksAccess =
    typ === 'at+jwt' ||
    typ === 'application/at+jwt' ||
    declared === 'access' ||
    ['scope', 'scp', 'client_id', 'cid'].some((c) => payload[c] !== undefined);
  if (expected === 'access' && (!looksAccess || (declared !== undefined && declared !== 'access')))
    throw new InvalidToken('an access token is required; got an ID token');
  if (expected === 'id' && (looksAccess || (declared !== undefined && declared !== 'id')))
    throw new InvalidToken('an ID token is required; got an access token');
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    // aws-jwt-verify messages name the failed check ("Token expired at ...", "Missing Issuer ..."); keep them, they help integrators.
    return err.message.slice(0, 200);
  }
  return 'token verification failed';
}
