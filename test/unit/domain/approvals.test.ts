import { approverGroupsOf, quorum, wouldCount } from '../../../shared/domain/approvals';
import { parseConfig } from '../../../shared/config/config';
import { toPrincipal } from '../../../shared/domain/identity';
import type { Requirements } from '../../../shared/domain/policy';
import type { Approval, JitRequest } from '../../../shared/domain/request';

const twoGroups: Requirements = {
  approvals: [
    { group: 'security-admins', required: 1 },
    { group: 'finance-approvers', required: 1 },
  ],
  approvalWindowSeconds: 3600,
  mfa: 'none',
  mfaWindowSeconds: 600,
  grant: { mode: 'once', useWithinSeconds: 300 },
  justification: { required: false, minLength: 0 },
};

const approval = (id: string, groups: string[], decision: 'approve' | 'deny' = 'approve'): Approval => ({
  approver: { id, issuer: 'i', sub: id },
  decision,
  groups,
  at: '2026-01-01T00:00:00Z',
  via: 'api',
});

describe('quorum', () => {
  it('counts carol (both groups) for finance when bob fills security, whatever the order', () => {
    expect(
      quorum(twoGroups, [approval('carol', ['security-admins', 'finance-approvers']), approval('bob', ['security-admins'])]).satisfied,
    ).toBe(true);
    expect(
      quorum(twoGroups, [approval('bob', ['security-admins']), approval('carol', ['security-admins', 'finance-approvers'])]).satisfied,
    ).toBe(true);
  });

  it('counts one approver once even when they are in both groups', () => {
    const q = quorum(twoGroups, [approval('carol', ['security-admins', 'finance-approvers'])]);
    expect(q.satisfied).toBe(false);
    expect(q.groups.reduce((n, g) => n + g.approvedBy.length, 0)).toBe(1);
  });

  it('ignores denials and lists who may still approve', () => {
    const q = quorum(
      twoGroups,
      [approval('bob', ['security-admins'])],
      [
        { id: 'bob', issuer: 'i', sub: 'bob', groups: ['security-admins'] },
        { id: 'carol', issuer: 'i', sub: 'carol', groups: ['security-admins', 'finance-approvers'] },
      ],
    );
    expect(q.groups.find((g) => g.group === 'finance-approvers')).toMatchObject({ remaining: 1, mayStillApprove: [{ id: 'carol' }] });
    expect(q.groups.find((g) => g.group === 'security-admins')).toMatchObject({ remaining: 0, mayStillApprove: [] });
  });

  it('knows when one more approval would fill a slot by re-matching', () => {
    const request = {
      requirements: twoGroups,
      approvals: [approval('carol', ['security-admins', 'finance-approvers'])],
    } as unknown as JitRequest;
    expect(wouldCount(request, { approver: { id: 'bob', issuer: 'i', sub: 'bob' }, groups: ['security-admins'] })).toBe(true);
    const full = { requirements: twoGroups, approvals: [approval('bob', ['security-admins'])] } as unknown as JitRequest;
    expect(wouldCount(full, { approver: { id: 'dan', issuer: 'i', sub: 'dan' }, groups: ['security-admins'] })).toBe(false);
  });
});

describe('approver groups from tokens', () => {
  const config = parseConfig({
    issuers: {
      corp: { issuer: 'https://corp.example.com', audience: ['a'] },
      partner: { issuer: 'https://partner.example.com', audience: ['a'] },
    },
    approverGroups: {
      'security-admins': { members: [{ issuer: 'corp', sub: 'bob', email: 'bob@corp.example.com' }] },
      auditors: { members: [], trustedIssuers: ['corp', 'partner'] },
    },
    policies: [{ action: 'a', approvals: { groups: { 'security-admins': 1 } }, grant: { mode: 'once' } }],
  });
  const as = (issuer: 'corp' | 'partner', groups: string[]) =>
    toPrincipal(issuer, config.issuers[issuer]!, { iss: config.issuers[issuer]!.issuer, sub: 'x', groups });

  it("are trusted only from the issuers the group trusts (by default its members' issuers)", () => {
    expect(approverGroupsOf(config, as('corp', ['security-admins', 'auditors']))).toEqual(['security-admins', 'auditors']);
    // A partner IdP cannot mint security admins by putting the name in its tokens.
    expect(approverGroupsOf(config, as('partner', ['security-admins', 'auditors']))).toEqual(['auditors']);
    expect(approverGroupsOf(config, as('corp', ['not-a-group']))).toEqual([]);
  });
});
