import { parseConfig } from '../../shared/config';
import { evaluate, grantDuration, globToRegex, matches, PolicyIndex } from '../../shared/policy';
import { config, demo } from '../support/principals';

const index = new PolicyIndex(config);

describe('the demo policies', () => {
  it('let alice ask to delete a project with 1 security approval, TOTP, a one-time grant and a justification', () => {
    const e = evaluate(index, demo('alice'), 'projects:delete', 'projects/42');
    expect(e.outcome).toBe('requestable');
    if (e.outcome !== 'requestable') return;
    expect(e.requirements.approvals).toEqual([{ group: 'security-admins', required: 1 }]);
    expect(e.requirements.mfa).toBe('totp');
    expect(e.requirements.grant).toEqual({ mode: 'once', useWithinSeconds: 300 });
    expect(e.requirements.justification.required).toBe(true);
  });

  it('deny contractors and guests from deleting projects, naming the reason', () => {
    expect(evaluate(index, demo('dave'), 'projects:delete', 'projects/42')).toMatchObject({ outcome: 'denied', reason: 'contractors may not delete projects' });
    expect(evaluate(index, demo('erin'), 'projects:delete', 'projects/42')).toMatchObject({ outcome: 'denied', reason: 'guests may not delete projects' });
  });

  it('ask for one security and one finance approval for payments', () => {
    const e = evaluate(index, demo('alice'), 'payments:approve', '*');
    expect(e.outcome === 'requestable' && e.requirements.approvals).toEqual([{ group: 'security-admins', required: 1 }, { group: 'finance-approvers', required: 1 }]);
  });

  it('auto-approve reports for alice but deny guests', () => {
    expect(evaluate(index, demo('alice'), 'reports:read', '*')).toMatchObject({ outcome: 'requestable', autoApproved: true });
    expect(evaluate(index, demo('erin'), 'reports:read', '*')).toMatchObject({ outcome: 'denied' });
  });

  it('deny actions no policy names (fail closed)', () => {
    expect(evaluate(index, demo('bob'), 'projects:create', '*')).toMatchObject({ outcome: 'denied', rule: 'default' });
  });

  it('cap window grants at the maximum and refuse durations for one-time grants', () => {
    const debug = config.policies.find((p) => p.action === 'prod:debug')!;
    expect(grantDuration(debug, 60)).toBe(60);
    expect(grantDuration(debug, undefined)).toBe(1800);
    expect(() => grantDuration(debug, 1801)).toThrow('maximum of 1800');
    const del = config.policies.find((p) => p.action === 'projects:delete')!;
    expect(() => grantDuration(del, 60)).toThrow('one use');
  });
});

describe('matching', () => {
  const cfg = parseConfig({
    issuers: { x: { issuer: 'https://idp.example.com', audience: ['a'] } },
    policies: [
      { action: 'prod:*', autoApprove: true, grant: { mode: 'window', maxDuration: '1h' } },
      { action: 'prod:db:*', autoApprove: true, grant: { mode: 'window', maxDuration: '2h' } },
      { action: 'prod:db:drop', resource: 'tables/*', autoApprove: true, grant: { mode: 'window', maxDuration: '3h' } },
      { action: 'prod:db:drop', autoApprove: true, grant: { mode: 'window', maxDuration: '4h' } },
    ],
  });
  const idx = new PolicyIndex(cfg);
  it('prefers exact names, then the most specific glob, then a matching resource pattern', () => {
    expect(idx.match('prod:web', '*')?.index).toBe(0);
    expect(idx.match('prod:db:read', '*')?.index).toBe(1);
    expect(idx.match('prod:db:drop', 'tables/users')?.index).toBe(2);
    expect(idx.match('prod:db:drop', 'views/x')?.index).toBe(3);
    expect(idx.match('dev:x', '*')).toBeUndefined();
  });
  it('treats glob metacharacters literally except *', () => {
    expect(globToRegex('a.b*').test('axb')).toBe(false);
    expect(globToRegex('a.b*').test('a.bc')).toBe(true);
  });
});

describe('conditions', () => {
  const alice = demo('alice');
  it.each([
    [{ claim: 'groups', contains: 'engineering' }, true],
    [{ claim: 'groups', contains: 'finance' }, false],
    [{ claim: 'email', equals: 'alice@example.com' }, true],
    [{ claim: 'roles', oneOf: ['admin', 'editor'] }, true],
    [{ claim: 'employment', exists: true }, false],
    [{ claim: 'employment', exists: false }, true],
    [{ not: { claim: 'roles', contains: 'editor' } }, false],
    [{ all: [{ claim: 'roles', contains: 'editor' }, { claim: 'groups', contains: 'engineering' }] }, true],
    [{ any: [{ claim: 'roles', contains: 'guest' }, { claim: 'groups', contains: 'nope' }] }, false],
  ])('%j is %s for alice', (condition, expected) => {
    expect(matches(condition as never, alice)).toBe(expected);
  });
});

describe('config validation', () => {
  it('names the path, the value and the fix', () => {
    expect(() => parseConfig({ issuers: { x: { issuer: 'not a url', audience: [] } }, policies: [{ action: 'a', approvals: { groups: { nobody: 1 } }, grant: { mode: 'once' } }] }))
      .toThrow(/issuers\.x\.issuer: an absolute URL.*\(got "not a url"\)[\s\S]*issuers\.x\.audience: list at least one audience[\s\S]*policies\[0\]\.approvals\.groups\.nobody: approver group "nobody" is not defined/);
  });
  it('refuses two policies for the same action and resource', () => {
    expect(() => parseConfig({ issuers: { x: { issuer: 'https://i.example', audience: ['a'] } }, policies: [
      { action: 'a', autoApprove: true, grant: { mode: 'once' } },
      { action: 'a', autoApprove: true, grant: { mode: 'once' } },
    ] })).toThrow('same action and resource as policies[0]');
  });
  it('refuses a policy that neither names approvals nor auto-approves', () => {
    expect(() => parseConfig({ issuers: { x: { issuer: 'https://i.example', audience: ['a'] } }, policies: [{ action: 'a', grant: { mode: 'once' } }] })).toThrow('neither names approvals nor sets autoApprove');
  });
});
