/**
 * The steps the state machine runs through Lambda: park a task token on the request
 * (MFA, approval), and end a request (expired, timed out). Each is idempotent, so a
 * retried invocation or a resumed execution changes nothing twice.
 */
import { auditEvent } from '../audit';
import type { Config } from '../config';
import { principalId } from '../identity';
import { signLink } from '../links';
import { withState, type JitRequest, type NotifiedApprover } from '../request';
import type { Deps } from '../runtime';
import { approverMessage } from '../notification';
import { addSeconds, completion, load, withRetry } from './common';

/** Thrown to the state machine, which catches it and ends quietly: the request is no longer waiting. */
export class Closed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Closed';
  }
}

export async function parkMfaToken(deps: Deps, requestId: string, taskToken: string): Promise<void> {
  const stored = await withRetry(async () => {
    const s = await load(deps, requestId);
    if (s.request.status !== 'pending_mfa') throw new Closed(`request is ${s.request.status}`);
    await deps.store.saveRequest(s, withState(s.request, s.request), [], { ...s.tokens, mfaTaskToken: taskToken });
    return s;
  });
  // The answer came before the token was parked: complete the step now.
  if (stored.request.mfa.passedAt) await deps.workflow.succeed(taskToken, completion(stored.request, deps.now()) ?? {});
}

export async function awaitApproval(deps: Deps, requestId: string, taskToken: string, linkBase: string): Promise<void> {
  const { request, firstTime } = await withRetry(async () => {
    const s = await load(deps, requestId);
    if (s.request.status !== 'pending_mfa' && s.request.status !== 'pending_approval') throw new Closed(`request is ${s.request.status}`);
    const now = deps.now();
    const firstTime = s.request.notified.length === 0;
    const notified = firstTime ? approversFor(deps.config, s.request) : s.request.notified;
    const deadline = s.request.status === 'pending_approval' && !firstTime ? s.request.approvalDeadline : addSeconds(now, s.request.requirements.approvalWindowSeconds);
    const next = withState(s.request, { status: 'pending_approval', approvalDeadline: deadline }, { notified });
    const audit = firstTime ? [auditEvent(requestId, 'approvers_notified', 'jitgate', now, { details: { approvers: notified.map((n) => n.id) } })] : [];
    await deps.store.saveRequest(s, next, audit, { approvalTaskToken: taskToken });
    return { request: next as Extract<JitRequest, { status: 'pending_approval' }>, firstTime };
  });

  if (firstTime) {
    const key = await deps.linkKey();
    const expires = Math.floor(Date.parse(request.approvalDeadline) / 1000);
    const base = deps.publicUrl ? `${deps.publicUrl.replace(/\/$/, '')}/approve/` : linkBase;
    for (const approver of request.notified) {
      const link = `${base}${signLink({ r: request.id, a: approver.id, g: approver.groups, e: expires }, key)}`;
      const { subject, text } = approverMessage(request, approver, link);
      await deps.notifier.notifyApprover(approver.id, subject, text);
    }
  }
  // Approvals that arrived before the token was parked may already complete the quorum.
  const grant = completion(request, deps.now());
  if (grant) await deps.workflow.succeed(taskToken, grant);
}

/** Each configured member of a required group, once, with all their required groups; never the requester. */
export function approversFor(config: Config, request: JitRequest): NotifiedApprover[] {
  const byId = new Map<string, NotifiedApprover>();
  for (const { group } of request.requirements.approvals) {
    for (const member of config.approverGroups[group]?.members ?? []) {
      const issuer = config.issuers[member.issuer];
      if (!issuer) continue;
      const id = principalId(issuer.issuer, member.sub);
      if (id === request.requester.id) continue;
      const existing = byId.get(id);
      if (existing) existing.groups.push(group);
      else byId.set(id, { id, issuer: issuer.issuer, sub: member.sub, email: member.email, ...(member.name ? { name: member.name } : {}), groups: [group] });
    }
  }
  return [...byId.values()];
}

export async function endRequest(deps: Deps, requestId: string, outcome: 'expired' | 'timed_out'): Promise<{ changed: boolean }> {
  const ended = await withRetry(async () => {
    const stored = await load(deps, requestId);
    const r = stored.request;
    const now = deps.now();
    if (outcome === 'expired') {
      if (r.status !== 'active') return undefined; // consumed or revoked before it expired
      const next = withState(r, { status: 'expired', activatedAt: r.activatedAt, expiresAt: r.expiresAt, endedAt: now.toISOString() });
      await deps.store.saveRequest(stored, next, [auditEvent(requestId, 'expired', 'jitgate', now)], {});
      return next;
    }
    if (r.status !== 'pending_mfa' && r.status !== 'pending_approval') return undefined;
    const next = withState(r, { status: 'timed_out', endedAt: now.toISOString() });
    await deps.store.saveRequest(stored, next, [auditEvent(requestId, 'timed_out', 'jitgate', now)], {});
    return next;
  });
  if (!ended) return { changed: false };
  const event = outcome === 'expired' ? 'grant.ended' : 'request.timed_out';
  // The state change is what matters; a lost event must not make the state machine retry a finished step.
  await deps.notifier.publishEvent(event, ended.requester.id, { requestId, outcome }).catch(() => undefined);
  return { changed: true };
}
