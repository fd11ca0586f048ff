/**
 * The approval page: what it shows (escaped), its headers and CSP, its wording of times, its message pages; and
 * how it marks an extension: which grant it lengthens, where that grant stands, and that the time is added to its end.
 */
import { parseConfig } from '../../../shared/config/config';
import { requirementsOf } from '../../../shared/domain/policy';
import { createHash } from 'node:crypto';
import {
  deadline,
  decisionPage,
  duration,
  messagePage,
  PAGE_HEADERS,
  type ExtendedGrant,
  type PendingRequest,
} from '../../../shared/web/approval-page';

const now = new Date('2026-11-23T12:00:00Z');
const config = parseConfig({
  issuers: { dev: { issuer: 'http://127.0.0.1:4000/dev/idp', audience: ['jitgate'], claims: {}, development: true } },
  approverGroups: { admins: { members: [{ issuer: 'dev', sub: 'bob', email: 'bob@example.com' }] } },
  policies: [{ action: 'prod:debug', approvals: { groups: { admins: 1 } }, grant: { mode: 'window', maxDuration: '30m' } }],
});

/** Alice asks for 10 more minutes on her prod:debug grant req-1. */
const extension = {
  id: 'req-2',
  extends: 'req-1',
  action: 'prod:debug',
  resource: 'cluster/eu-1',
  justification: 'the rollout needs longer',
  requester: { id: 'iss#alice', issuer: 'http://127.0.0.1:4000/dev/idp', sub: 'alice', name: 'Alice' },
  policy: { action: 'prod:debug' },
  requirements: requirementsOf(config.policies[0]!),
  durationSeconds: 600,
  createdAt: now.toISOString(),
  version: 2,
  mfa: { required: false, failures: 0 },
  approvals: [],
  notified: [],
  autoApproved: false,
  status: 'pending_approval',
  approvalDeadline: '2026-11-23T13:00:00.000Z',
} as unknown as PendingRequest;

/** The page's rows, as label → text. */
function rows(request: PendingRequest, extending?: ExtendedGrant): Record<string, string> {
  const html = decisionPage(request, { sub: 'bob' }, { kind: 'link', csrf: 'x' }, now, extending ? { extending } : {}).body;
  return Object.fromEntries([...html.matchAll(/<dt>([^<]*)<\/dt><dd[^>]*>([^<]*)<\/dd>/g)].map((m) => [m[1], m[2]]));
}

test('an extension of an active grant: the grant, its current end, and the time added to that end', () => {
  const shown = rows(extension, { id: 'req-1', status: 'active', expiresAt: '2026-11-23T12:12:00.000Z' });
  expect(shown.Extends).toBe('request req-1, active, ends in 12 minutes · 12:12 UTC, 23 Nov 2026');
  expect(shown.Access).toBe('10 minutes more, from the grant&#39;s current end');
});

test('a grant that ended meanwhile: said so, since approving then changes nothing', () => {
  expect(rows(extension, { id: 'req-1', status: 'expired', expiresAt: '2026-11-23T11:59:00.000Z' }).Extends).toBe(
    'request req-1, expired now: approving it changes nothing',
  );
});

test('a grant that could not be read: its id alone', () => {
  expect(rows(extension).Extends).toBe('request req-1');
});

test('a request that extends nothing has no such row', () => {
  const { extends: _, ...plain } = extension;
  const shown = rows(plain as PendingRequest);
  expect(shown.Extends).toBeUndefined();
  expect(shown.Access).toBe('10 minutes, from approval');
});

describe('the approval page', () => {
  const request = {
    id: 'req-1',
    action: 'prod:debug',
    resource: 'cluster/<eu-1>',
    justification: '<script>alert("x")</script> & "quotes"',
    requester: {
      id: 'iss#alice',
      issuer: 'http://127.0.0.1:4000/dev/idp',
      sub: 'alice',
      name: 'Alice <admin>',
      email: 'alice@example.com',
    },
    policy: { action: 'prod:debug' },
    requirements: requirementsOf(config.policies[0]!),
    durationSeconds: 1800,
    createdAt: now.toISOString(),
    version: 2,
    mfa: { required: false, failures: 0 },
    approvals: [],
    notified: [],
    autoApproved: false,
    status: 'pending_approval',
    approvalDeadline: '2026-11-23T12:30:00.000Z',
  } as unknown as PendingRequest;

  it('escapes everything the requester wrote, and loads nothing from anywhere', () => {
    const html = decisionPage(request, { sub: 'bob', name: 'Bob' }, { kind: 'link', csrf: 'tok"en' }, now).body;
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('Alice &lt;admin&gt;');
    expect(html).toContain('cluster/&lt;eu-1&gt;');
    expect(html).toContain('value="tok&quot;en"');
    expect(html).not.toMatch(/<img|<link|src=|https?:\/\//);
  });

  it('allows exactly its own stylesheet by hash, and nothing else', () => {
    const res = decisionPage(request, { sub: 'bob' }, { kind: 'link', csrf: 'x' }, now);
    const css = /<style>([\s\S]*?)<\/style>/.exec(res.body)![1]!;
    const hash = createHash('sha256').update(css).digest('base64');
    expect(res.headers!['content-security-policy']).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; img-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    expect(res.headers).toMatchObject({ 'referrer-policy': 'no-referrer', 'cache-control': 'no-store', 'x-frame-options': 'DENY' });
    expect(PAGE_HEADERS['content-security-policy']).not.toContain('unsafe');
  });

  it('labels the reason field and offers two buttons; with sso and no sign-in, only the sign-in link', () => {
    const form = decisionPage(request, { sub: 'bob' }, { kind: 'link', csrf: 'x' }, now).body;
    expect(form).toContain('<label for="reason">Reason (optional)</label>');
    expect(form).toMatch(/<textarea id="reason" name="reason"/);
    expect(form.match(/<button /g)).toHaveLength(2);
    const signin = decisionPage(
      request,
      { sub: 'bob' },
      { kind: 'signin', signInHref: 'abc.def/signin', issuer: 'idp.example.com' },
      now,
    ).body;
    expect(signin).not.toContain('<form');
    expect(signin).toContain('href="abc.def/signin"');
    expect(signin).toContain('Sign in to decide');
  });

  it('says things in words', () => {
    expect(duration(45)).toBe('45 seconds');
    expect(duration(300)).toBe('5 minutes');
    expect(duration(1800)).toBe('30 minutes');
    expect(duration(3600)).toBe('1 hour');
    expect(duration(5400)).toBe('90 minutes');
    expect(duration(28800)).toBe('8 hours');
    expect(deadline('2026-11-23T12:30:00.000Z', now)).toBe('in 30 minutes · 12:30 UTC, 23 Nov 2026');
    expect(deadline('2026-11-23T11:00:00.000Z', now)).toBe('passed · 11:00 UTC, 23 Nov 2026');
  });

  it('answers refusals with an alert and the status given', () => {
    const res = messagePage(409, 'Already decided', 'You have already decided this request.');
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('role="alert"');
    expect(messagePage(200, 'Approved', 'ok', { tone: 'ok', cookies: ['a=; Max-Age=0'] }).multiValueHeaders).toEqual({
      'Set-Cookie': ['a=; Max-Age=0'],
    });
  });
});
