/**
 * The verified-token cache: alice's app calls authorize again and again with one
 * token; the second call skips the signature check, never past the token's exp,
 * never for a token that was refused, never for more than the bound.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { SimpleJwksCache, type JwksCache } from 'aws-jwt-verify/jwk';
import { parseConfig } from '../../../shared/config/config';
import { InvalidToken } from '../../../shared/domain/errors';
import { createTokenVerifier } from '../../../shared/adapters/tokens';
import { VerifiedTokenCache } from '../../../shared/adapters/token-cache';
import { forge } from '../../support/jwt-forge';

const ISS = 'https://corp.example.com';
const JWKS_URI = `${ISS}/keys`;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const mallory = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwks = { keys: [{ ...(rsa.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'k1', alg: 'RS256', use: 'sig' }] };
const config = parseConfig({ issuers: { corp: { issuer: ISS, audience: ['jitgate'], jwksUri: JWKS_URI, clockSkew: 30 } } });

const realNow = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown> = {}, key = rsa.privateKey) => {
  const payload = { iss: ISS, aud: 'jitgate', sub: 'alice', iat: realNow(), exp: realNow() + 600, ...claims };
  return forge({ alg: 'RS256', kid: 'k1', typ: 'JWT' }, payload, 'RS256', key);
};

/** A verifier whose full checks are counted: every one asks the JWKS cache for the token's key. */
function countingVerifier(opts: { cachedTokens?: number; now?: () => number } = {}) {
  const inner = new SimpleJwksCache();
  inner.addJwks(JWKS_URI, jwks as never);
  const counter = { full: 0 };
  const jwksCache: JwksCache = {
    getJwk: (...args) => {
      counter.full++;
      return inner.getJwk(...args);
    },
    getCachedJwk: (...args) => inner.getCachedJwk(...args),
    addJwks: (...args) => inner.addJwks(...args),
    getJwks: (...args) => inner.getJwks(...args),
  };
  const verifier = createTokenVerifier(config, { jwksCache, ...opts });
  return { counter, verify: (t: string) => verifier.verify(`Bearer ${t}`) };
}

describe('the verifier remembers accepted tokens', () => {
  test('hit: the second call with the same token skips the full check and answers the same principal', async () => {
    const { counter, verify } = countingVerifier();
    const t = token();
    const first = await verify(t);
    const second = await verify(t);
    expect(counter.full).toBe(1);
    expect(second).toEqual(first);
    expect(second).toMatchObject({ sub: 'alice', issuerName: 'corp' });
  });

  test('a hit checks exp against the clock: used up to exp, never at or after it', async () => {
    let nowMs = Date.now();
    const { counter, verify } = countingVerifier({ now: () => nowMs });
    const exp = realNow() + 120;
    const t = token({ exp });
    await verify(t);
    nowMs = (exp - 1) * 1000;
    await verify(t);
    expect(counter.full).toBe(1);
    // At exp the entry is gone: the full check runs (and, aws-jwt-verify still on the real clock, accepts it).
    nowMs = exp * 1000;
    await verify(t);
    expect(counter.full).toBe(2);
    // Not remembered again past its exp.
    await verify(t);
    expect(counter.full).toBe(3);
  });

  test('a token accepted only within the clock skew (exp already past) is never remembered', async () => {
    const { counter, verify } = countingVerifier();
    const t = token({ iat: realNow() - 60, exp: realNow() - 10 });
    await verify(t);
    await verify(t);
    expect(counter.full).toBe(2);
  });

  test("different tokens, different entries: bob never gets alice's principal", async () => {
    const { counter, verify } = countingVerifier();
    const alice = token({ sub: 'alice' });
    const bob = token({ sub: 'bob' });
    expect(await verify(alice)).toMatchObject({ sub: 'alice' });
    expect(await verify(bob)).toMatchObject({ sub: 'bob' });
    expect(await verify(alice)).toMatchObject({ sub: 'alice' });
    expect(await verify(bob)).toMatchObject({ sub: 'bob' });
    expect(counter.full).toBe(2);
  });

  test('bounded: the least recently used token goes first', async () => {
    const { counter, verify } = countingVerifier({ cachedTokens: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((sub) => token({ sub })) as [string, string, string];
    await verify(a);
    await verify(b);
    await verify(a); // a is now the most recently used
    await verify(c); // evicts b
    expect(counter.full).toBe(3);
    await verify(a);
    await verify(c);
    expect(counter.full).toBe(3);
    await verify(b);
    expect(counter.full).toBe(4);
  });

  test('failures are never remembered: each attempt is checked in full and refused again', async () => {
    const { counter, verify } = countingVerifier();
    const forged = token({}, mallory.privateKey);
    const noIat = token({ iat: undefined });
    for (const t of [forged, forged, noIat, noIat]) await expect(verify(t)).rejects.toBeInstanceOf(InvalidToken);
    expect(counter.full).toBe(4);
  });

  test('a bad token after a good one with the same claims is still refused', async () => {
    const { verify } = countingVerifier();
    const good = token();
    await verify(good);
    const [h, p] = good.split('.');
    await expect(verify(`${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`)).rejects.toBeInstanceOf(InvalidToken);
  });

  test('cachedTokens: 0 turns the cache off', async () => {
    const { counter, verify } = countingVerifier({ cachedTokens: 0 });
    const t = token();
    await verify(t);
    await verify(t);
    expect(counter.full).toBe(2);
  });
});

describe('VerifiedTokenCache', () => {
  test('keys are SHA-256 hashes of the token, never the token itself', () => {
    const cache = new VerifiedTokenCache<string>(10);
    const t = token();
    cache.set(t, 'alice', 2_000_000_000, 1_000_000_000);
    const keys = [...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()];
    expect(keys).toEqual([createHash('sha256').update(t).digest('base64url')]);
    expect(keys.some((k) => t.includes(k) || k.includes(t.split('.')[1]!))).toBe(false);
  });

  test('an entry ends at exp, and one already past it is not stored', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('t1', 'v', 100, 50);
    expect(cache.get('t1', 99)).toBe('v');
    expect(cache.get('t1', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
    cache.set('t2', 'v', 100, 100);
    expect(cache.size).toBe(0);
  });

  test('holds at most maxEntries (1,000 by default)', () => {
    const cache = new VerifiedTokenCache<number>();
    for (let i = 0; i < 1500; i++) cache.set(`token-${i}`, i, 100, 0);
    expect(cache.size).toBe(1000);
    expect(cache.get('token-499', 0)).toBeUndefined();
    expect(cache.get('token-500', 0)).toBe(500);
  });
});
