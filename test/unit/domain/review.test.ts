import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../../shared/config/config';
import { breakGlassMessage } from '../../../shared/domain/notification';
import { linkPurpose, signLink, verifyLink } from '../../../shared/domain/links';
import type { JitRequest } from '../../../shared/domain/request';
import { reviewerOf, reviewInputProblem, reviewRefusal } from '../../../shared/domain/review';
import { reviewPage } from '../../../shared/web/review-page';

const key = randomBytes(32);
const now = new Date('2026-11-23T12:00:00Z');
const claims = { r: 'req-1', a: 'iss#bob', g: ['security-admins'], e: now.getTime() / 1000 + 60 };

describe('review links and approval links never stand in for each other', () => {
  const approval = signLink(claims, key);
  const review = signLink(claims, key, 'review');

  it('each verifies for its own purpose only', () => {
    expect(linkPurpose(approval)).toBe('approve');
    expect(linkPurpose(review)).toBe('review');
    expect(verifyLink(review, key, now, 'review')).toMatchObject({ r: 'req-1', a: 'iss#bob', p: 'review' });
    expect(() => verifyLink(review, key, now)).toThrow('not issued by jitgate');
    expect(() => verifyLink(approval, key, now, 'review')).toThrow('not issued by jitgate');
  });

  it('an approval link edited to claim the review purpose fails its signature', () => {
    const [payload, sig] = approval.split('.') as [string, string];
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), p: 'review' })).toString(
      'base64url',
    );
    expect(linkPurpose(`${edited}.${sig}`)).toBe('review');
    expect(() => verifyLink(`${edited}.${sig}`, key, now, 'review')).toThrow('not issued by jitgate');
  });
});

describe('who reviews a break-glass grant', () => {
  const config = parseConfig({
    issuers: { corp: { issuer: 'https://corp.example.com', audience: ['a'] } },
    approverGroups: {
      sec: {
        members: [
          { issuer: 'corp', sub: 'bob', email: 'bob@corp.example.com', name: 'Bob' },
          { issuer: 'corp', sub: 'alice', email: 'alice@corp.example.com' },
        ],
      },
    },
    policies: [
      {
        action: 'a',
        autoApprove: true,
        grant: { mode: 'window', maxDuration: '1h' },
        breakGlass: { maxDuration: '15m', notify: 'sec', who: { claim: 'groups', contains: 'oncall' } },
      },
    ],
  });
  const request = {
    id: 'req-1',
    action: 'prod:debug',
    resource: 'cluster/<eu>',
    justification: 'db <down>',
    breakGlass: true,
    status: 'active',
    createdAt: now.toISOString(),
    activatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 900_000).toISOString(),
    durationSeconds: 900,
    requester: { id: 'https://corp.example.com#alice', issuer: 'https://corp.example.com', sub: 'alice', name: 'Alice' },
    requirements: {
      approvals: [],
      grant: { mode: 'window', maxDurationSeconds: 3600 },
      breakGlass: { maxDurationSeconds: 900, notify: 'sec' },
    },
    reviews: [],
  } as unknown as JitRequest;

  it('a member of the notify group, as the config knows them now; never the requester; once each', () => {
    expect(reviewerOf(config, request, 'https://corp.example.com#bob')).toMatchObject({ sub: 'bob', name: 'Bob' });
    expect(reviewerOf(config, request, 'https://corp.example.com#mallory')).toBeUndefined();
    expect(reviewerOf(config, { ...request, breakGlass: undefined } as JitRequest, 'https://corp.example.com#bob')).toBeUndefined();
    expect(reviewRefusal(request, 'https://corp.example.com#bob')).toBeUndefined();
    expect(reviewRefusal(request, 'https://corp.example.com#alice')).toMatchObject({ status: 403 });
    const reviewed = {
      ...request,
      reviews: [{ reviewer: { id: 'https://corp.example.com#bob' }, outcome: 'confirmed', at: '' }],
    } as JitRequest;
    expect(reviewRefusal(reviewed, 'https://corp.example.com#bob')).toMatchObject({ status: 409 });
  });

  it('a flag needs a reason; the outcome must be one of the two', () => {
    expect(reviewInputProblem('flagged', undefined)).toContain('Say why');
    expect(reviewInputProblem('flagged', 'not an incident')).toBeUndefined();
    expect(reviewInputProblem('confirmed', undefined)).toBeUndefined();
    expect(reviewInputProblem('approve', 'x')).toContain('confirm or flag');
  });

  it('the message carries the personal review link, except to the requester; the page escapes what the request says', () => {
    expect(breakGlassMessage(request, { sub: 'bob' }, 'sec', 'https://x/approve/L.S').text).toContain(
      'Review (personal, works once): https://x/approve/L.S',
    );
    expect(breakGlassMessage(request, { sub: 'alice' }, 'sec').text).toContain('You broke glass yourself');
    const html = reviewPage(request, { id: 'i#bob', issuer: 'i', sub: 'bob', name: 'Bob' }, 'tok', now).body;
    expect(html).toContain('cluster/&lt;eu&gt;');
    expect(html).toContain('db &lt;down&gt;');
    expect(html).toContain('name="outcome" value="flagged"');
    expect(html).not.toContain('<script');
  });
});
