/** Local mode's console story (local/narration.ts): one line per step of each request, tagged with its id. */
import { narrate } from '../../../local/narration';
import type { OutboxMessage } from '../../../local/outbox';

const EVENTS = 'arn:aws:sns:local:000000000000:EventsTopic';
const APPROVERS = 'arn:aws:sns:local:000000000000:ApproverTopic';
const ALICE = 'http://127.0.0.1:4000/dev/idp#alice';
const BOB = 'http://127.0.0.1:4000/dev/idp#bob';

const delivery = (topicArn: string, message: string, extra: Partial<OutboxMessage> = {}): OutboxMessage => ({
  id: 'd1',
  messageId: 'm1',
  at: '2026-11-26T10:00:00.000Z',
  topicArn,
  message,
  attributes: {},
  links: [],
  ...extra,
});

/** An event as the SNS notifier publishes it: `{type, ...body}`, the requester as an attribute. */
const event = (type: string, body: Record<string, unknown>) =>
  delivery(EVENTS, JSON.stringify({ type, requestId: 'r-1', action: 'prod:debug', resource: 'cluster/eu-1', ...body }), {
    attributes: { event: type, requester: ALICE },
  });

const approverText = (lead: string) =>
  [
    'Hello Bob,',
    '',
    lead,
    '',
    'Requester:     Alice <alice@example.com> (issuer http://127.0.0.1:4000/dev/idp)',
    'Action:        prod:debug',
    'Request:       r-1',
  ].join('\n');
const LINK = 'http://127.0.0.1:4000/approve/eyJyIjoici0xIn0.sig';

test.each<[string, OutboxMessage, string[]]>([
  [
    'a request waiting for MFA',
    event('request.created', { status: 'pending_mfa' }),
    ['[r-1] created by alice: prod:debug on cluster/eu-1', "[r-1] waiting for alice's MFA code"],
  ],
  [
    'a request waiting for approvers',
    event('request.created', { status: 'pending_approval' }),
    ['[r-1] created by alice: prod:debug on cluster/eu-1'],
  ],
  [
    'break-glass',
    event('request.created', { status: 'pending_approval', breakGlass: true }),
    ['[r-1] created by alice: prod:debug on cluster/eu-1 (break-glass)'],
  ],
  [
    'the break-glass notice',
    event('grant.break_glass', { notify: 'security-admins' }),
    ['[r-1] break-glass: no approval asked; security-admins told'],
  ],
  [
    'activation after approvals',
    event('grant.activated', { approvedBy: [BOB, 'x#carol'], expiresAt: '2026-11-26T10:30:00.000Z' }),
    ['[r-1] approved by bob, carol', '[r-1] active until 2026-11-26 10:30:00 UTC'],
  ],
  [
    'activation without approvals (auto-approved)',
    event('grant.activated', { expiresAt: '2026-11-26T10:30:00.000Z' }),
    ['[r-1] active until 2026-11-26 10:30:00 UTC'],
  ],
  [
    'an extension applied',
    event('grant.extended', { extension: 'r-2', from: '2026-11-26T10:30:00.000Z', expiresAt: '2026-11-26T10:45:00.000Z' }),
    ['[r-1] extended by r-2: active until 2026-11-26 10:45:00 UTC'],
  ],
  ['the expiry warning', event('grant.expiring', { expiresAt: '2026-11-26T10:30:00.000Z' }), ['[r-1] expiring at 2026-11-26 10:30:00 UTC']],
  [
    'expiry',
    event('grant.ended', { outcome: 'expired', expiresAt: '2026-11-26T10:30:00.000Z' }),
    ['[r-1] ended: expired at 2026-11-26 10:30:00 UTC'],
  ],
  ['a one-time use', event('grant.ended', { outcome: 'consumed' }), ['[r-1] ended: used (one-time grant)']],
  ['revocation', event('grant.ended', { outcome: 'revoked', revokedBy: BOB, reason: 'done' }), ['[r-1] ended: revoked by bob: done']],
  ['a denial', event('request.denied', { decidedBy: BOB, reason: 'use staging' }), ['[r-1] denied by bob: use staging']],
  ['a denial after MFA failures', event('request.denied', { reason: 'MFA failed too often' }), ['[r-1] denied: MFA failed too often']],
  ['cancellation', event('request.cancelled', {}), ['[r-1] ended: cancelled']],
  ['time out', event('request.timed_out', {}), ['[r-1] ended: timed out, nobody completed it in time']],
  ['failure', event('request.failed', { executionStatus: 'TIMED_OUT' }), ['[r-1] ended: failed (execution TIMED_OUT)']],
  [
    'a flagged break-glass',
    event('break_glass.flagged', { reviewer: BOB, reason: 'no incident' }),
    ['[r-1] break-glass flagged by bob: no incident'],
  ],
])('%s', (_, message, lines) => {
  expect(narrate(message)).toEqual(lines);
});

test('an MFA lockout belongs to no request: tagged with the person', () => {
  const locked = delivery(EVENTS, JSON.stringify({ type: 'mfa.locked', lockedUntil: '2026-11-26T10:15:00.000Z' }), {
    attributes: { requester: ALICE },
  });
  expect(narrate(locked)).toEqual(['[user alice] MFA locked until 2026-11-26 10:15:00 UTC']);
});

test("an approver's message: one ✉ line per personal link, naming whom and why", () => {
  const first = delivery(APPROVERS, `${approverText('Alice asks to prod:debug on cluster/eu-1.')}\n\n${LINK}`, {
    subject: 'Approval needed: prod:debug by Alice',
    deliveredTo: 'bob@example.com',
    links: [LINK],
  });
  expect(narrate(first)).toEqual([`[r-1] ✉ bob@example.com: ${LINK}`]);
  const reminder = { ...first, subject: 'Reminder: approval needed: prod:debug by Alice' };
  expect(narrate(reminder)).toEqual([`[r-1] ✉ bob@example.com (reminder): ${LINK}`]);
});

test('a message without a link gets no ✉ line, and no event ever does', () => {
  const notice = delivery(APPROVERS, approverText('Escalation: ...'), {
    subject: 'Escalation: prod:debug by Alice times out soon',
    deliveredTo: 'dave@example.com',
  });
  expect(narrate(notice)).toEqual(['[r-1] told dave@example.com (escalation), nothing to click']);
  // An event whose text holds a URL (a justification, say) is still told as an event.
  const created = event('request.created', { status: 'pending_approval', resource: 'see https://evil.example/x' });
  created.links = ['https://evil.example/x'];
  expect(narrate(created).join('\n')).not.toContain('✉');
});

test('what requesters wrote cannot forge a line or drive the terminal', () => {
  const denied = event('request.denied', { decidedBy: BOB, reason: 'no\n[r-2] approved by mallory\u001b[2J' });
  const [line, ...more] = narrate(denied);
  expect(more).toEqual([]);
  expect(line).not.toMatch(/[\n\u001b]/);
  expect(line).toContain('denied by bob: no [r-2] approved by mallory');
});
