/**
 * Grants: when they start and end, and whether one may be honoured now.
 * Expiry is enforced twice: the state machine revokes at `expiresAt`, and every
 * authorization compares `expiresAt` with the clock, so a grant whose revocation
 * step failed is still never honoured.
 */
export interface GrantTimes {
  activatedAt: string;
  expiresAt: string;
  /** When the requester is warned (`grant.expiring`): a fifth of the grant before its end, at most 5 minutes. */
  expiringAt: string;
}

export function grantTimes(durationSeconds: number, now: Date): GrantTimes {
  const start = now.getTime();
  return timesBetween(start, start + durationSeconds * 1000);
}

/** The times of a grant that runs from `activatedAt` to `expiresAt` (one whose end moved later: the warning moves with it). */
export function grantTimesUntil(activatedAt: string, expiresAt: string): GrantTimes {
  return timesBetween(Date.parse(activatedAt), Date.parse(expiresAt));
}

function timesBetween(start: number, end: number): GrantTimes {
  const lead = Math.min(300_000, (end - start) / 5);
  return {
    activatedAt: new Date(start).toISOString(),
    expiresAt: new Date(end).toISOString(),
    expiringAt: new Date(end - lead).toISOString(),
  };
}

/** The grant slot item: the one place `authorize` reads (one GetItem). */
export interface GrantSlot {
  requestId: string;
  status: 'pending' | 'active';
  mode: 'once' | 'window';
  expiresAt?: string;
}

export function isLive(slot: GrantSlot | undefined, now: Date): slot is GrantSlot & { status: 'active'; expiresAt: string } {
  return slot !== undefined && slot.status === 'active' && slot.expiresAt !== undefined && Date.parse(slot.expiresAt) > now.getTime();
}

/** The resource a grant is keyed on when the caller names none. */
export const ANY_RESOURCE = '*';
