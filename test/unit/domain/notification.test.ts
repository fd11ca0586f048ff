/**
 * Approver messages: complete enough to decide from, in text and HTML, with every
 * requester value made inert; and the SNS envelope that carries both.
 */
import { approverEnvelope } from '../../../shared/adapters/notifier';
import { approverMessage, clean, escalationNotice, outcomeEvent } from '../../../shared/domain/notification';
import type { Requirements } from '../../../shared/domain/policy';
import type { JitRequest, NotifiedApprover } from '../../../shared/domain/request';
import { findLinks, Outbox } from '../../../local/outbox';
import { LocalSns } from '../../../local/sns';

const NOW = new Date('2026-03-01T10:00:00Z');
const LINK = 'https://jitgate.example.com/approve/eyJyIjoiMSJ9.c2lnbmF0dXJl';

const requirements: Requirements = {
  approvals: [
    { group: 'security-admins', required: 1 },
    { group: 'finance-approvers', required: 1 },
  ],
  approvalWindowSeconds: 3600,
  mfa: 'totp',
  mfaWindowSeconds: 600,
  grant: { mode: 'window', maxDurationSeconds: 3600 },
  justification: { required: true, minLength: 0 },
};

function pending(overrides: Partial<JitRequest> = {}): Extract<JitRequest, { status: 'pending_approval' }> {
  return {
    id: 'req-1',
    action: 'payments:approve',
    resource: 'payments/7',
    justification: 'quarterly supplier run',
    ticket: 'CHG-42',
    requester: {
      id: 'https://idp.example.com#alice',
      issuer: 'https://idp.example.com',
      sub: 'alice',
      name: 'Alice',
      email: 'alice@example.com',
    },
    policy: { action: 'payments:approve' },
    requirements,
    durationSeconds: 1800,
    createdAt: '2026-03-01T09:50:00Z',
    version: 3,
    mfa: { required: true, passedAt: '2026-03-01T09:51:00Z', failures: 0 },
    approvals: [
      {
        approver: { id: 'i#carol', issuer: 'i', sub: 'carol', name: 'Carol' },
        decision: 'approve',
        groups: ['finance-approvers'],
        at: '2026-03-01T09:55:00Z',
        via: 'api',
      },
    ],
    notified: [],
    autoApproved: false,
    status: 'pending_approval',
    approvalDeadline: '2026-03-01T10:30:00Z',
    ...overrides,
  } as Extract<JitRequest, { status: 'pending_approval' }>;
}

const bob: NotifiedApprover = { id: 'i#bob', issuer: 'i', sub: 'bob', name: 'Bob', email: 'bob@example.com', groups: ['security-admins'] };

describe('what an approver reads', () => {
  const m = approverMessage(pending(), bob, LINK, { now: NOW });

  test('everything needed to decide, in the text', () => {
    expect(m.subject).toBe('Approval needed: payments:approve by Alice');
    for (const expected of [
      'Hello Bob,',
      'Alice asks to payments:approve on payments/7.',
      'Requester:     Alice <alice@example[.]com> (issuer https[:]//idp.example[.]com)',
      'Action:        payments:approve',
      'Resource:      payments/7',
      'Justification: quarterly supplier run',
      'Ticket:        CHG-42',
      'Duration:      access for 30 min (window grant, ends by itself)',
      'MFA:           authenticator code (TOTP): passed 2026-03-01 09:51:00 UTC',
      'Approvals:     1 from security-admins; 1 from finance-approvers (approved: Carol)',
      'Still needed:  1 from security-admins (you count for security-admins)',
      'Window closes: 2026-03-01 10:30:00 UTC (in 30 min)',
      'Request:       req-1',
      LINK,
    ])
      expect(m.text.split('\n')).toContain(expected);
    // The approval link is the only link a mail client can follow.
    expect(findLinks(m.text)).toEqual([LINK]);
  });

  test('the same content in HTML, with the link as the only anchor', () => {
    expect(m.html).toMatch(/^<!doctype html>/);
    expect(m.html).toContain('quarterly supplier run');
    expect(m.html).toContain('1 from security-admins (you count for security-admins)');
    expect(m.html.match(/<a /g)).toHaveLength(1);
    expect(m.html).toContain(`href="${LINK}"`);
    expect(m.html).not.toMatch(/<(script|img|link|iframe)/i);
    expect(m.html).not.toMatch(/src=|url\(/i);
  });

  test('one-time grants, denials needed, no justification', () => {
    const once = approverMessage(
      pending({
        justification: undefined,
        ticket: undefined,
        requirements: { ...requirements, grant: { mode: 'once', useWithinSeconds: 300 }, denials: 2, mfa: 'none' },
        durationSeconds: 300,
      }),
      bob,
      LINK,
      { now: NOW },
    );
    const lines = once.text.split('\n');
    expect(lines).toContain('Justification: (none given)');
    expect(lines).toContain('Duration:      one use within 5 min (one-time grant)');
    expect(lines).toContain('MFA:           none');
    expect(lines).toContain('Denials:       2 denials end the request (0 so far)');
    expect(lines.some((l) => l.startsWith('Ticket:'))).toBe(false);
  });

  test('reminder and escalation say so in the subject and the first line', () => {
    const reminder = approverMessage(pending(), bob, LINK, { kind: 'reminder', now: NOW });
    expect(reminder.subject).toBe('Reminder: approval needed: payments:approve by Alice');
    expect(reminder.text).toContain('Reminder: Alice still waits for a decision to payments:approve on payments/7.');
    const escalation = approverMessage(pending(), bob, LINK, { kind: 'escalation', group: 'security-leads', now: NOW });
    expect(escalation.subject).toBe('Escalation: payments:approve by Alice times out soon');
    expect(escalation.text).toContain(
      'still needs 1 from security-admins and times out in 30 min. You are told because you are in security-leads.',
    );
    expect(findLinks(escalation.text)).toEqual([LINK]);
  });

  test('the informational escalation has no link and names who can still approve', () => {
    const notice = escalationNotice(pending({ notified: [bob] }), { name: 'Audrey', sub: 'audrey' }, 'security-leads', NOW);
    expect(findLinks(notice.text)).toEqual([]);
    expect(notice.html).not.toContain('<a ');
    expect(notice.text).toContain('You cannot decide it yourself');
    expect(notice.text).toContain('who can still approve: Bob');
  });
});

describe('hostile requester values', () => {
  const hostile = pending({
    justification:
      'routine <script>alert(document.cookie)</script>\r\n\r\nApprove: https://evil.example/approve/x\u2028Deny: www.evil.example',
    resource: 'payments/7"><img src=x onerror=alert(1)>',
    requester: {
      id: 'x#mallory',
      issuer: 'https://idp.example.com',
      sub: 'mallory',
      name: 'Mallory\u202Egnp.exe\nApprove: http://evil.example',
      email: 'm@example.com',
    },
    ticket: 'CHG-1\u2066\u200bhidden\u2069',
  });
  const m = approverMessage(hostile, bob, LINK, { now: NOW });

  test('text: nobody can forge a line or a link', () => {
    const lines = m.text.split('\n');
    // No line of the message starts with a forged label; the justification stays on its own line.
    expect(lines.filter((l) => /^\s*(Approve|Deny):/.test(l))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('Justification:'))).toHaveLength(1);
    expect(lines.find((l) => l.startsWith('Justification:'))).toBe(
      'Justification: routine <script>alert(document[.]cookie)</script>    Approve: https[:]//evil[.]example/approve/x Deny: ' +
        'www[.]evil[.]example',
    );
    // Only jitgate's own link survives as a link.
    expect(findLinks(m.text)).toEqual([LINK]);
    // Direction overrides and invisible characters are gone.
    expect(m.text).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2028\u2029\r]/);
    expect(m.text).toContain('Mallory\ufffdgnp[.]exe Approve: http[:]//evil[.]example');
    expect(m.text).toContain('Ticket:        CHG-1\ufffdhidden\ufffd');
    expect(m.subject).not.toMatch(/[\n\r\u202e]/);
  });

  test('HTML: everything escaped, no element or attribute from the requester', () => {
    expect(m.html).not.toContain('<script');
    expect(m.html).toContain('&lt;script&gt;alert(document[.]cookie)&lt;/script&gt;');
    expect(m.html).not.toContain('<img');
    expect(m.html).toContain('payments/7&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(m.html.match(/<a /g)).toHaveLength(1);
    expect(m.html).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(m.html).not.toContain('https://evil');
  });

  test('clean: one line, bounded, and surrogate pairs are not cut in half', () => {
    expect(clean('a\nb\tc\u0085d')).toBe('a b c d');
    expect(clean('x'.repeat(600))).toHaveLength(500);
    expect(clean('😀'.repeat(10), 3)).toBe('😀😀…');
    expect(clean('see javascript://x and HTTPS://y')).toBe('see javascript[:]//x and HTTPS[:]//y');
  });
});

describe('delivery: text for email, HTML in the JSON envelope for everything else', () => {
  test('the envelope', () => {
    const m = approverMessage(pending(), bob, LINK, { now: NOW });
    const body = JSON.parse(approverEnvelope(m.subject, m.text, m.html));
    expect(body.email).toBe(m.text);
    expect(JSON.parse(body.default)).toEqual({ type: 'jitgate.approver-message', subject: m.subject, text: m.text, html: m.html });
  });

  test("local mode's SNS gives an email subscriber the text, an HTTPS subscriber the envelope", () => {
    const outbox = new Outbox();
    const topic = 'arn:aws:sns:local:000000000000:ApproverTopic';
    const sns = new LocalSns({
      outbox,
      subscriptions: [
        { topicArn: topic, endpoint: 'bob@example.com', protocol: 'email', filterPolicy: { approver: ['i#bob'] } },
        { topicArn: topic, endpoint: 'https://forwarder.example.com/ses', protocol: 'https' },
      ],
    });
    const m = approverMessage(pending(), bob, LINK, { now: NOW });
    sns.publish({
      TopicArn: topic,
      Subject: m.subject,
      MessageStructure: 'json',
      Message: approverEnvelope(m.subject, m.text, m.html),
      MessageAttributes: { approver: { DataType: 'String', StringValue: 'i#bob' } },
    });
    const [email, https] = outbox.list();
    expect(email).toMatchObject({ deliveredTo: 'bob@example.com', message: m.text, links: [LINK] });
    expect(JSON.parse(https!.message).html).toBe(m.html);
  });
});

describe('what the requester is told', () => {
  test('an outcome event names the request, the requester, the action and resource, and how it ended', () => {
    const event = outcomeEvent(pending(), 'activated', { expiresAt: '2026-03-01T11:00:00Z' });
    expect(event).toEqual({
      requestId: 'req-1',
      requester: 'https://idp.example.com#alice',
      requesterEmail: 'alice@example.com',
      action: 'payments:approve',
      resource: 'payments/7',
      outcome: 'activated',
      expiresAt: '2026-03-01T11:00:00Z',
      summary: 'Approved: payments:approve on payments/7 is active until 2026-03-01 11:00:00 UTC.',
    });
    expect(outcomeEvent(pending(), 'denied', { reason: 'use\nstaging' }).summary).toBe(
      'Denied: payments:approve on payments/7: use staging.',
    );
  });
});
