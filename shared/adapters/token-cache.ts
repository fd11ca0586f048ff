/**
 * Verified tokens, remembered for the life of a Lambda container: an app calls
 * POST /v1/authorize many times with the same bearer token, and checking its
 * signature again each time is most of what the hot path costs beyond its GetItem.
 *
 * - Keyed by the SHA-256 of the token, never the token: a heap dump or a debugger
 *   attached to a container shows no bearer credential it could replay.
 * - Only tokens that passed every check are added; a failure is never remembered,
 *   so a token refused once (a JWKS outage, a key not yet published) is checked in
 *   full again on its next use.
 * - An entry lives until the token's `exp` and no longer: `get` compares `exp` with
 *   the clock on every hit, and an entry at or past it is dropped. (A full check may
 *   still accept the token for the issuer's clock skew; the cache never does.)
 * - Bounded: at most `maxEntries`, the least recently used goes first, so a flood of
 *   distinct valid tokens costs a fixed amount of memory.
 *
 * Trade-off, accepted: a token verified once stays accepted until its `exp` even if
 * the IdP withdraws its signing key meanwhile, as it would in any cache of the JWKS.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_MAX_ENTRIES = 1000;

interface Entry<T> {
  value: T;
  /** The token's `exp`, epoch seconds. */
  exp: number;
}

export class VerifiedTokenCache<T> {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, Entry<T>>();

  constructor(readonly maxEntries = DEFAULT_MAX_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) {
      throw new RangeError(`maxEntries must be a whole number >= 0 (got ${maxEntries})`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** What `set` stored for this exact token, if its `exp` is still ahead of `nowSeconds`. */
  get(token: string, nowSeconds: number): T | undefined {
    const key = hash(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (nowSeconds >= entry.exp) return undefined;
    // Re-inserted: now the most recently used.
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Remembers a token that passed every check, until `exp` (epoch seconds). */
  set(token: string, value: T, exp: number, nowSeconds: number): void {
    if (this.maxEntries === 0 || !Number.isFinite(exp) || nowSeconds >= exp) return;
    const key = hash(token);
    this.entries.delete(key);
    this.entries.set(key, { value, exp });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
