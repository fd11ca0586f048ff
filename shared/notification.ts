/**
 * What an approver reads: enough to decide without opening anything else. Plain
 * text, since SNS email shows text; every value from the requester is passed
 * through `clean` so it cannot forge lines of the message.
 */
import { quorum } from './approvals';
import type { JitRequest, NotifiedApprover } from './request';

function clean(value: string, max = 500): string {
  // Control characters (newlines included) could fake extra lines such as a second "Approve:" link.
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').slice(0, max);
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export function approverMessage(request: Extract<JitRequest, { status: 'pending_approval' }>, approver: NotifiedApprover, link: string): { subject: string; text: string } {
  const who = clean(request.requester.name ?? request.requester.sub, 80);
  const q = quorum(request.requirements, request.approvals);
  const missing = q.groups.filter((g) => g.remaining > 0).map((g) => `${g.remaining} from ${g.group}`).join(', ');
  const grant = request.requirements.grant.mode === 'once' ? `one use within ${duration(request.durationSeconds)}` : `access for ${duration(request.durationSeconds)}`;
  const lines = [
    `Hello ${clean(approver.name ?? approver.sub, 80)},`,
    '',
    `${who} asks to ${clean(request.action, 100)} on ${clean(request.resource, 200)}.`,
    '',
    `Requester:     ${who} <${clean(request.requester.email ?? 'no email', 120)}> (issuer ${clean(request.requester.issuer, 200)})`,
    `Action:        ${clean(request.action, 100)}`,
    `Resource:      ${clean(request.resource, 200)}`,
    `Justification: ${request.justification ? clean(request.justification) : '(none given)'}`,
    `Grant:         ${grant}`,
    `Still needed:  ${missing || 'nothing'} (you count for ${approver.groups.join(', ')})`,
    `Decide before: ${request.approvalDeadline}`,
    '',
    `Review and decide (the page asks you to confirm; opening it changes nothing):`,
    link,
    '',
    `This link is yours alone, works once, and expires when the approval window closes.`,
  ];
  return { subject: `Approval needed: ${clean(request.action, 60)} by ${who}`, text: lines.join('\n') };
}
