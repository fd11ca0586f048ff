/**
 * What the store keeps per user, in memory, with the DynamoDB conditions
 * (shared/adapters/user-records.ts): each check-and-change happens at once, and `false`
 * means its condition did not hold. TTLs are not enforced: a test's clock moves, not time.
 */
import type { Enrolment, MfaGuard, UserRecords } from '../../../shared/usecases/ports';

export class MemoryUserRecords implements UserRecords {
  private readonly enrolments = new Map<string, Enrolment>();
  private readonly rates = new Map<string, number>();
  private readonly pending = new Map<string, Set<string>>();
  private readonly guards = new Map<string, { attempts: Set<string>; lockedUntil?: number }>();

  async getEnrolment(principal: string): Promise<Enrolment | undefined> {
    const e = this.enrolments.get(principal);
    return e && { ...e };
  }

  async putEnrolment(principal: string, enrolment: Enrolment): Promise<boolean> {
    if (this.enrolments.get(principal)?.confirmed) return false;
    this.enrolments.set(principal, { ...enrolment });
    return true;
  }

  async replaceEnrolment(principal: string, enrolment: Enrolment, previousSecret: string): Promise<boolean> {
    if (this.enrolments.get(principal)?.secret !== previousSecret) return false;
    this.enrolments.set(principal, { secret: enrolment.secret, confirmed: false, createdAt: enrolment.createdAt });
    return true;
  }

  async useTotpStep(principal: string, step: number): Promise<boolean> {
    const e = this.enrolments.get(principal);
    if (!e || (e.lastUsedStep !== undefined && e.lastUsedStep >= step)) return false;
    this.enrolments.set(principal, { ...e, lastUsedStep: step, confirmed: true });
    return true;
  }

  async takeRate(principal: string, kind: string, windowStart: number, count: number): Promise<boolean> {
    const key = `${principal} ${kind} ${windowStart}`;
    const calls = this.rates.get(key) ?? 0;
    if (calls >= count) return false;
    this.rates.set(key, calls + 1);
    return true;
  }

  async reservePending(principal: string, reservation: string, limit: number): Promise<boolean> {
    const held = this.pending.get(principal) ?? new Set<string>();
    if (held.size >= limit) return false;
    this.pending.set(principal, held.add(reservation));
    return true;
  }

  async pendingReservations(principal: string): Promise<string[]> {
    return [...(this.pending.get(principal) ?? [])];
  }

  async releasePending(principal: string, reservations: string[]): Promise<void> {
    for (const r of reservations) this.pending.get(principal)?.delete(r);
  }

  async getMfaGuard(principal: string): Promise<MfaGuard> {
    const g = this.guards.get(principal);
    return { attempts: [...(g?.attempts ?? [])], ...(g?.lockedUntil !== undefined ? { lockedUntil: g.lockedUntil } : {}) };
  }

  async holdMfaAttempt(principal: string, attempt: string, max: number, nowSeconds: number): Promise<boolean> {
    const g = this.guard(principal);
    if ((g.lockedUntil !== undefined && g.lockedUntil > nowSeconds) || g.attempts.size >= max) return false;
    g.attempts.add(attempt);
    return true;
  }

  async forgetMfaAttempts(principal: string, attempts: string[]): Promise<void> {
    for (const a of attempts) this.guards.get(principal)?.attempts.delete(a);
  }

  async lockMfa(principal: string, max: number, until: number, nowSeconds: number): Promise<boolean> {
    const g = this.guard(principal);
    if ((g.lockedUntil !== undefined && g.lockedUntil > nowSeconds) || g.attempts.size < max) return false;
    this.guards.set(principal, { attempts: new Set(), lockedUntil: until });
    return true;
  }

  private guard(principal: string): { attempts: Set<string>; lockedUntil?: number } {
    if (!this.guards.has(principal)) this.guards.set(principal, { attempts: new Set() });
    return this.guards.get(principal)!;
  }
}
