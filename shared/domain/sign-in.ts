/**
 * How long ago the caller signed in, from the token's `auth_time` (OpenID Connect
 * Core section 2): what RFC 9470 step-up and TOTP enrolment ask to be recent. A time
 * in the future (beyond the issuer's clock skew) is not "very recent" but wrong, and
 * counts as no sign-in time at all.
 */
import type { Principal } from './identity';

export function signInAgeSeconds(principal: Pick<Principal, 'authTime'>, now: Date, clockSkewSeconds = 0): number | undefined {
  if (principal.authTime === undefined || !Number.isFinite(principal.authTime)) return undefined;
  const age = now.getTime() / 1000 - principal.authTime;
  if (age < -clockSkewSeconds) return undefined;
  return Math.max(0, age);
}

/** Signed in at most `maxAge` seconds ago (and not in the future). */
export function signedInWithin(principal: Pick<Principal, 'authTime'>, now: Date, maxAge: number, clockSkewSeconds = 0): boolean {
  const age = signInAgeSeconds(principal, now, clockSkewSeconds);
  return age !== undefined && age <= maxAge;
}
