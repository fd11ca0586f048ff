/**
 * Extending an active window grant: the rules, pure. An extension is a request of its own
 * (`extends`: the grant's id) that goes through the same policy; once its requirements are
 * met the grant's `expiresAt` moves later by the extension's duration, with no gap and no
 * overlap. The policy's maximum counts from the grant's ORIGINAL activation, so extensions
 * never add up past it.
 */
import { AlreadyDecided, Forbidden, ValidationFailed } from './errors';
import type { JitRequest } from './request';

export type ActiveGrant = Extract<JitRequest, { status: 'active' }>;

/** Who may ask and what: the grant's requester, while it is active, for a window grant that is not itself an extension. */
export function assertExtendable(grant: JitRequest, requesterId: string): asserts grant is ActiveGrant {
  if (grant.requester.id !== requesterId) throw new Forbidden('only the requester can extend a grant');
  if (grant.extends !== undefined) throw new ValidationFailed(`request ${grant.id} is an extension; extend ${grant.extends} instead`);
  if (grant.requirements.grant.mode !== 'window')
    throw new ValidationFailed(`request ${grant.id} is a one-time grant; only window grants can be extended`);
  if (grant.status !== 'active')
    throw new AlreadyDecided(`request ${grant.id} is ${grant.status}; only an active grant can be extended`, grant.status);
}

/**
 * The grant's new end: its current end plus `durationSeconds`, at most `maxSeconds` after its
 * activation. Above that, a 400 that names the maximum and what is left.
 */
export function extendedEnd(grant: ActiveGrant, durationSeconds: number, maxSeconds: number): string {
  const start = Date.parse(grant.activatedAt);
  const end = Date.parse(grant.expiresAt) + durationSeconds * 1000;
  if (end - start > maxSeconds * 1000) {
    const left = Math.max(0, Math.floor((start + maxSeconds * 1000 - Date.parse(grant.expiresAt)) / 1000));
    throw new ValidationFailed(
      `"${grant.action}" grants at most ${maxSeconds} s from activation (${grant.activatedAt}); ` +
        `${left} s left to extend by, ${durationSeconds} s asked`,
      [{ path: 'durationSeconds', message: `at most ${left}` }],
    );
  }
  return new Date(end).toISOString();
}

/** The longest a grant may run from its activation: the policy's maximum, or break-glass's shorter one for a break-glass grant. */
export function maxGrantSeconds(grant: JitRequest): number {
  const g = grant.requirements.grant;
  const max = g.mode === 'window' ? g.maxDurationSeconds : g.useWithinSeconds;
  const cap = grant.breakGlass ? grant.requirements.breakGlass?.maxDurationSeconds : undefined;
  return cap === undefined ? max : Math.min(cap, max);
}
