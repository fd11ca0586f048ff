/** Helpers the use cases share: loading with visibility rules, retrying on races, completion. */
import { approverGroupsOf, quorum } from '../domain/approvals';
import { ConcurrentModification, NotFound } from '../domain/errors';
import { grantTimes, type GrantTimes } from '../domain/grant';
import type { Principal } from '../domain/identity';
import { hasPrivilege } from '../domain/privileges';
import type { JitRequest } from '../domain/request';
import type { Deps } from '../runtime';
import type { CoreDeps } from '../runtime-core';
import type { StoredRequest } from './ports';

export async function load(deps: CoreDeps, id: string): Promise<StoredRequest> {
  const stored = /^[A-Za-z0-9-]{1,64}$/.test(id) ? await deps.store.getRequest(id) : undefined;
  if (!stored) throw new NotFound(`no request ${id.slice(0, 64)}`);
  return stored;
}

/**
 * Runs a read-decide-write step, re-reading and deciding again when another writer
 * got there first. The domain then sees the winner's write: a second approver finds
 * the request decided and gets 409, never a double decision.
 */
export async function withRetry<T>(step: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await step();
    } catch (err) {
      if (!(err instanceof ConcurrentModification) || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 10));
    }
  }
}

/** Auditor and admin are trusted from their groups' issuers only (shared/domain/privileges.ts), as approver groups are. */
export function isAuditor(deps: Deps, p: Principal): boolean {
  return hasPrivilege(deps.config, p, 'auditor');
}

export function isAdmin(deps: Deps, p: Principal): boolean {
  return hasPrivilege(deps.config, p, 'admin');
}

export function isEligibleApprover(deps: Deps, request: JitRequest, p: Principal): boolean {
  if (p.id === request.requester.id) return false;
  const groups = approverGroupsOf(deps.config, p);
  return request.requirements.approvals.some((a) => groups.includes(a.group)) || request.notified.some((n) => n.id === p.id);
}

/** Who may see a request: its requester, its eligible approvers, auditors, admins. Everyone else gets 404. */
export function assertVisible(deps: Deps, request: JitRequest, p: Principal): void {
  if (p.id === request.requester.id || isEligibleApprover(deps, request, p) || isAuditor(deps, p) || isAdmin(deps, p)) return;
  throw new NotFound(`no request ${request.id}`);
}

/** What the request carries once its grant may start: the state machine's Activate step reads it. */
export interface GrantStart {
  grantTimes: GrantTimes;
}

/** Are all requirements met, so the grant can start? Then its start, fixed now by whoever completed the last one. */
export function completion(request: JitRequest, now: Date): GrantStart | undefined {
  const mfaDone = !request.mfa.required || request.mfa.passedAt !== undefined;
  const approvalsDone = quorum(request.requirements, request.approvals).satisfied;
  return mfaDone && approvalsDone ? grantStart(request, now) : undefined;
}

/**
 * The grant's times, stored on the request in the write that completes it. The API answers
 * with that request, still pending: the state machine activates it moments later and tells
 * the requester, and a caller who wants to see `active` polls GET /v1/requests/{id}.
 */
export function grantStart(request: JitRequest, now: Date): GrantStart {
  return { grantTimes: grantTimes(request.durationSeconds, now) };
}

export function addSeconds(now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000).toISOString();
}
