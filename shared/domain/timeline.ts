/**
 * A request's life as a list of steps, for people: created → MFA → approvals (by whom) →
 * active until → ended, with what it still waits for as the next step. Pure: the console's
 * request pages render it; the order is the order things happen.
 */
import type { RequestView } from './views';
import type { JitRequest, PersonRef } from './request';

export interface TimelineStep {
  /** done: happened; no: a refusal or an end that gave nothing; next: what it waits for now. */
  tone: 'done' | 'no' | 'next';
  text: string;
  at?: string;
  detail?: string;
}

/** A request as the API shows it: its fields, and what it still waits for. */
export type ShownRequest = JitRequest & Pick<RequestView, 'waitingFor'>;

const who = (p: PersonRef | 'jitgate') => (p === 'jitgate' ? 'jitgate' : (p.name ?? p.email ?? p.sub));

export function timeline(r: ShownRequest): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const kind = r.breakGlass ? ' (break-glass)' : r.extends ? ` (extension of ${r.extends})` : '';
  steps.push({ tone: 'done', text: `Requested by ${who(r.requester)}${kind}`, at: r.createdAt, detail: r.justification });
  if (r.mfa.required) {
    if (r.mfa.passedAt) steps.push({ tone: 'done', text: 'MFA passed', at: r.mfa.passedAt });
    else if (r.waitingFor?.mfa) {
      const left = r.waitingFor.mfa.attemptsLeft;
      steps.push({
        tone: 'next',
        text: `Waiting for the requester's ${r.waitingFor.mfa.method === 'totp' ? 'authenticator code' : 'step-up sign-in'}`,
        detail: `${left} attempt${left === 1 ? '' : 's'} left`,
        ...(r.waitingFor.mfa.deadline ? { at: r.waitingFor.mfa.deadline } : {}),
      });
    }
  }
  if (r.autoApproved) steps.push({ tone: 'done', text: 'Approved by policy (no approval needed)', at: r.createdAt });
  for (const a of r.approvals) {
    const groups = a.groups.length ? ` for ${a.groups.join(', ')}` : '';
    steps.push({
      tone: a.decision === 'approve' ? 'done' : 'no',
      text: `${a.decision === 'approve' ? 'Approved' : 'Denied'} by ${who(a.approver)}${groups}`,
      at: a.at,
      ...(a.reason ? { detail: a.reason } : {}),
    });
  }
  for (const g of r.waitingFor?.approvals ?? []) {
    if (g.remaining <= 0) continue;
    const may = g.mayStillApprove.map((p) => p.name ?? p.email ?? p.id).join(', ');
    steps.push({
      tone: 'next',
      text: `Waiting for ${g.remaining} approval${g.remaining === 1 ? '' : 's'} from ${g.group}`,
      ...(may ? { detail: `may approve: ${may}` } : {}),
      ...(r.waitingFor?.approvalDeadline ? { at: r.waitingFor.approvalDeadline } : {}),
    });
  }
  if (r.waitingFor?.activation) steps.push({ tone: 'next', text: 'All requirements met: the grant starts in a moment' });
  return [...steps, ...endSteps(r)];
}

function endSteps(r: ShownRequest): TimelineStep[] {
  switch (r.status) {
    case 'pending_mfa':
    case 'pending_approval':
      return [];
    case 'active':
      return [{ tone: 'done', text: `Active until ${r.expiresAt}`, at: r.activatedAt }];
    case 'consumed':
      return [
        { tone: 'done', text: 'Active', at: r.activatedAt },
        { tone: 'done', text: 'Used (one-time grant)', at: r.consumedAt },
      ];
    case 'expired':
      return [
        { tone: 'done', text: 'Active', at: r.activatedAt },
        { tone: 'done', text: 'Ended: expired', at: r.endedAt },
      ];
    case 'revoked':
      return [
        { tone: 'done', text: 'Active', at: r.activatedAt },
        { tone: 'no', text: `Revoked by ${who(r.revokedBy)}`, at: r.endedAt, ...(r.reason ? { detail: r.reason } : {}) },
      ];
    case 'denied':
      return r.decidedBy === 'jitgate'
        ? [{ tone: 'no', text: 'Closed by jitgate', at: r.decidedAt, ...(r.reason ? { detail: r.reason } : {}) }]
        : [];
    case 'cancelled':
      return [{ tone: 'no', text: 'Cancelled by the requester', at: r.cancelledAt }];
    case 'timed_out':
      return [{ tone: 'no', text: 'Timed out: not decided in time', at: r.endedAt }];
    case 'failed':
      return [{ tone: 'no', text: 'Failed: the workflow stopped', at: r.endedAt, detail: r.failure.executionStatus }];
    case 'applied':
      return [{ tone: 'done', text: `Extension applied: the grant now ends ${r.expiresAt}`, at: r.appliedAt }];
  }
}
