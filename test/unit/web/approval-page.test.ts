/** The approval page marks an extension: which grant it lengthens, where that grant stands, and that the time is added to its end. */
import { parseConfig } from '../../../shared/config/config';
import { requirementsOf } from '../../../shared/domain/policy';
import { decisionPage, type ExtendedGrant, type PendingRequest } from '../../../shared/web/approval-page';

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
