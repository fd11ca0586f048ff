/**
 * TOTP (RFC 6238) with otpauth: 30-second steps, 6 digits, SHA-1 (what authenticator
 * apps support), one step of drift either way. A code is accepted once: the step it
 * matched is stored, and a code for that step or an earlier one is refused (replay).
 */
import { Secret, TOTP } from 'otpauth';

export const MAX_MFA_FAILURES = 5;
const PERIOD = 30;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label: string): TOTP {
  return new TOTP({ issuer: 'jitgate', label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) });
}

export function otpauthUri(secret: string, label: string): string {
  return totp(secret, label).toString();
}

/**
 * What a code is worth now: `valid` with its time step, `replayed` (it matches a step
 * at or before `lastUsedStep`: it was right once and has been used), or `wrong`. A
 * replay is not a guess: whoever sends it knew the code.
 */
export type TotpVerdict = { kind: 'valid'; step: number } | { kind: 'replayed' } | { kind: 'wrong' };

export function totpVerdict(secret: string, code: string, now: Date, lastUsedStep: number | undefined): TotpVerdict {
  if (!/^\d{6}$/.test(code)) return { kind: 'wrong' };
  const delta = totp(secret, 'check').validate({ token: code, timestamp: now.getTime(), window: 1 });
  if (delta === null) return { kind: 'wrong' };
  const step = Math.floor(now.getTime() / 1000 / PERIOD) + delta;
  if (lastUsedStep !== undefined && step <= lastUsedStep) return { kind: 'replayed' };
  return { kind: 'valid', step };
}

/** The time step a valid code belongs to, or undefined. Steps at or before `lastUsedStep` are refused. */
export function checkTotp(secret: string, code: string, now: Date, lastUsedStep: number | undefined): number | undefined {
  const verdict = totpVerdict(secret, code, now, lastUsedStep);
  return verdict.kind === 'valid' ? verdict.step : undefined;
}

/** For tests and the CLI: the code an authenticator app would show. */
export function currentCode(secret: string, now: Date): string {
  return totp(secret, 'code').generate({ timestamp: now.getTime() });
}
