import { parseConfig, type Config, type ConfigInput } from '../../../shared/config/config';
import { commonMatch, compileGlob, specificity } from '../../../shared/domain/glob';
import { evaluate, globToRegex, matches, PolicyIndex, requirementsOf } from '../../../shared/domain/policy';
import { checkTicket, describeMfa, grantDuration, stillNeeded, ticketMatches } from '../../../shared/domain/request-checks';
import { describeCondition } from '../../../shared/domain/condition-text';
import { findTies } from '../../../shared/config/policy-config';
import { missingOn } from '../../../shared/usecases/authorize';
import type { JitRequest } from '../../../shared/domain/request';
import { config, demo } from '../../support/principals';

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
    expect(evaluate(index, demo('dave'), 'projects:delete', 'projects/42')).toMatchObject({
      outcome: 'denied',
      reason: 'contractors may not delete projects',
    });
    expect(evaluate(index, demo('erin'), 'projects:delete', 'projects/42')).toMatchObject({
      outcome: 'denied',
      reason: 'guests may not delete projects',
    });
  });

  it('ask for one security and one finance approval for payments', () => {
    const e = evaluate(index, demo('alice'), 'payments:approve', '*');
    expect(e.outcome === 'requestable' && e.requirements.approvals).toEqual([
      { group: 'security-admins', required: 1 },
      { group: 'finance-approvers', required: 1 },
    ]);
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
    [
      {
        all: [
          { claim: 'roles', contains: 'editor' },
          { claim: 'groups', contains: 'engineering' },
        ],
      },
      true,
    ],
    [
      {
        any: [
          { claim: 'roles', contains: 'guest' },
          { claim: 'groups', contains: 'nope' },
        ],
      },
      false,
    ],
  ])('%j is %s for alice', (condition, expected) => {
    expect(matches(condition as never, alice)).toBe(expected);
  });
});

describe('config validation', () => {
  it('names the path, the value and the fix', () => {
    expect(() =>
      parseConfig({
        issuers: { x: { issuer: 'not a url', audience: [] } },
        policies: [{ action: 'a', approvals: { groups: { nobody: 1 } }, grant: { mode: 'once' } }],
      }),
    ).toThrow(
      new RegExp(
        [
          String.raw`issuers\.x\.issuer: an absolute URL.*\(got "not a url"\)`,
          String.raw`issuers\.x\.audience: list at least one audience`,
          String.raw`policies\[0\]\.approvals\.groups\.nobody: approver group "nobody" is not defined`,
        ].join(String.raw`[\s\S]*`),
      ),
    );
  });
  it('refuses two policies for the same action and resource', () => {
    expect(() =>
      parseConfig({
        issuers: { x: { issuer: 'https://i.example', audience: ['a'] } },
        policies: [
          { action: 'a', autoApprove: true, grant: { mode: 'once' } },
          { action: 'a', autoApprove: true, grant: { mode: 'once' } },
        ],
      }),
    ).toThrow('same action and resource as policies[0]');
  });
  it('refuses a policy that neither names approvals nor auto-approves', () => {
    expect(() =>
      parseConfig({
        issuers: { x: { issuer: 'https://i.example', audience: ['a'] } },
        policies: [{ action: 'a', grant: { mode: 'once' } }],
      }),
    ).toThrow('neither names approvals nor sets autoApprove');
  });
});

describe('globs', () => {
  it('scores an exact name above every glob that matches it, and more literal characters above fewer', () => {
    expect(specificity('prod:debug')).toBeGreaterThan(specificity('prod:debu*'));
    expect(specificity('prod:debug')).toBeGreaterThan(specificity('prod:*'));
    expect(specificity('prod:db:*')).toBeGreaterThan(specificity('prod:*'));
    expect(specificity('*')).toBe(0);
  });
  it.each([
    ['prod:*', '*:debug', true],
    ['prod:*', 'test:*', false],
    ['a*b', 'a*c', false],
    ['*x*', '*y*', true],
    ['projects/*', 'projects/42', true],
    ['projects/4*', 'projects/5*', false],
    ['a*', 'ab*c', true],
    ['*', '*', true],
  ])('%s and %s can both match: %s (and the witness does)', (a, b, overlap) => {
    const w = commonMatch(a, b);
    expect(w !== undefined).toBe(overlap);
    if (w !== undefined) {
      expect(compileGlob(a)(w)).toBe(true);
      expect(compileGlob(b)(w)).toBe(true);
    }
  });
  it('agrees with brute force on random patterns', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const pattern = () => Array.from({ length: 1 + rnd(4) }, () => 'ab*'[rnd(3)]).join('');
    const strings: string[] = [''];
    for (let len = 1; len <= 6; len++) for (const s of strings.filter((x) => x.length === len - 1)) strings.push(`${s}a`, `${s}b`);
    for (let i = 0; i < 300; i++) {
      const [a, b] = [pattern(), pattern()];
      const brute = strings.some((s) => compileGlob(a)(s) && compileGlob(b)(s));
      expect([a, b, commonMatch(a, b) !== undefined]).toEqual([a, b, brute]);
    }
  });
});

describe('ties', () => {
  it('finds equally specific overlapping policies, with an example they both match', () => {
    expect(findTies([{ action: 'prod:*' }, { action: '*:prod' }])).toEqual([
      { first: 0, second: 1, action: 'prod:prod', resource: '', identical: false },
    ]);
    expect(
      findTies([
        { action: 'a', resource: 'x/*' },
        { action: 'a', resource: '*/y' },
      ]),
    ).toMatchObject([{ action: 'a', resource: 'x/y' }]);
    expect(findTies([{ action: 'a' }, { action: 'a', resource: '*' }])).toMatchObject([{ identical: true }]);
  });
  it('ignores overlaps that are not ties and ties that cannot overlap', () => {
    expect(
      findTies([
        { action: 'prod:*' },
        { action: 'prod:db:*' },
        { action: 'prod:db:drop' },
        { action: 'test:*' },
        { action: 'a', resource: 'x/*' },
        { action: 'a', resource: 'y/*' },
        { action: 'a' },
      ]),
    ).toEqual([]);
  });
  it('finds no tie among 1,000 policies that cannot overlap (bench/policy.ts times it)', () => {
    const policies = Array.from({ length: 1000 }, (_, i) => ({ action: i % 10 === 9 ? `team${i}:*` : `svc${i}:operate` }));
    expect(findTies(policies)).toEqual([]);
  });
});

describe('the index agrees with scanning every policy', () => {
  it('on random configs and queries', () => {
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const actions = ['a:x', 'a:y', 'a:xy', 'b:x', 'ab:x', 'a:', 'x'];
    const resources = ['*', 'r/1', 'r/12', 's/1', 'r/'];
    const actionPatterns = ['a:x', 'a:y', 'a:*', 'a:x*', '*:x', '*', 'b:*', 'a*', '*y', 'ab:x'];
    const resourcePatterns = [undefined, 'r/*', 'r/1', 's/*', 'r/1*', '*/1'];
    for (let round = 0; round < 150; round++) {
      const policies: NonNullable<ConfigInput['policies']> = [];
      for (let i = 0; i < 1 + rnd(8); i++) {
        const resource = resourcePatterns[rnd(resourcePatterns.length)];
        policies.push({
          action: actionPatterns[rnd(actionPatterns.length)]!,
          ...(resource ? { resource } : {}),
          autoApprove: true,
          grant: { mode: 'once' },
        });
      }
      if (findTies(policies).length) continue; // the config would be refused
      const cfg = parseConfig({ issuers: { x: { issuer: 'https://i.example', audience: ['a'] } }, policies });
      const idx = new PolicyIndex(cfg);
      for (const action of actions) {
        for (const resource of resources) {
          const scan = cfg.policies
            .map((p, i) => ({ p, i }))
            .filter(({ p }) => compileGlob(p.action)(action) && compileGlob(p.resource ?? '*')(resource))
            .sort(
              (x, y) =>
                specificity(y.p.action) - specificity(x.p.action) || specificity(y.p.resource ?? '*') - specificity(x.p.resource ?? '*'),
            )[0];
          expect([action, resource, idx.match(action, resource)?.index]).toEqual([action, resource, scan?.i]);
        }
      }
    }
  });
});

describe('an index of 1,000 policies', () => {
  function configWith(n: number): Config {
    const policies = Array.from({ length: n }, (_, i) => ({
      action: i % 10 === 9 ? `team${i}:*` : `svc${i}:operate`,
      approvals: { groups: { g: 1 } },
      grant: { mode: 'window' as const, maxDuration: '1h' },
    }));
    return parseConfig({
      issuers: { x: { issuer: 'https://i.example', audience: ['a'] } },
      approverGroups: { g: { members: [] } },
      policies,
    });
  }
  it('with 1,000 policies, each ask finds its own policy or none (bench/policy.ts measures the cost against 10)', () => {
    const p = demo('alice');
    const idx = new PolicyIndex(configWith(1000));
    const ruleOf = (action: string) => {
      const e = evaluate(idx, p, action, '*');
      return e.outcome === 'denied' ? e.rule : e.policy.action;
    };
    expect(['svc0:operate', 'svc5:operate', 'team999:read', 'nobody:here'].map(ruleOf)).toEqual([
      'svc0:operate',
      'svc5:operate',
      'team999:*',
      'default',
    ]);
  });
});

describe('words', () => {
  it('describes conditions the way a reviewer reads them', () => {
    expect(
      describeCondition({ all: [{ claim: 'groups', oneOf: ['a', 'b'] }, { not: { claim: 'employment', equals: 'contractor' } }] }),
    ).toBe('groups is one of "a", "b" and not employment equals "contractor"');
    expect(
      describeCondition({
        not: {
          any: [
            { claim: 'roles', contains: 'guest' },
            { claim: 'x', exists: true },
          ],
        },
      }),
    ).toBe('not (roles contains "guest" or x is present)');
    expect(describeCondition({ claim: 'x', exists: false })).toBe('x is absent');
  });
  it('lists what is still needed, from nothing', () => {
    const r = requirementsOf(config.policies.find((p) => p.action === 'prod:*')!);
    expect(stillNeeded(r)).toEqual([
      'request',
      'justification (at least 20 characters)',
      'ticket matching ^(INC|CHG)-\\d+$',
      'mfa totp',
      'approval from security-admins x1',
    ]);
    expect(describeMfa({ stepUp: { amr: ['mfa'], acr: ['gold'], maxAge: 300 } })).toBe(
      'mfa step-up (amr mfa, acr gold, signed in within 300 s)',
    );
  });
  it('lists what a pending request still waits for', () => {
    const base = {
      requirements: { ...requirementsOf(config.policies.find((p) => p.action === 'payments:approve')!) },
      approvals: [],
      mfa: { required: true, failures: 0 },
    };
    expect(missingOn(base as unknown as JitRequest)).toEqual([
      'mfa totp',
      'approval from security-admins x1',
      'approval from finance-approvers x1',
    ]);
    const approved = {
      ...base,
      mfa: { required: true, failures: 0, passedAt: 'now' },
      approvals: [{ approver: { id: 'c' }, decision: 'approve', groups: ['finance-approvers'] }],
    };
    expect(missingOn(approved as unknown as JitRequest)).toEqual(['approval from security-admins x1']);
  });
});

describe('tickets', () => {
  const r = requirementsOf(config.policies.find((p) => p.action === 'prod:*')!);
  it('match the whole pattern', () => {
    expect(ticketMatches('^(INC|CHG)-\\d+$', 'INC-1')).toBe(true);
    expect(ticketMatches('(INC|CHG)-\\d+', 'xINC-1')).toBe(false);
    expect(() => checkTicket(r, 'CHG-7')).not.toThrow();
  });
  it('are named with the pattern in the 400', () => {
    expect(() => checkTicket(r, undefined)).toThrow('needs a ticket reference matching ^(INC|CHG)-\\d+$');
    expect(() => checkTicket(r, 'TICKET-1')).toThrow('"TICKET-1" does not match ^(INC|CHG)-\\d+$');
    const optional = { ...r, ticket: { required: false, pattern: 'T-\\d+' } };
    expect(() => checkTicket(optional, undefined)).not.toThrow();
    expect(() => checkTicket(optional, 'X')).toThrow('does not match');
  });
});
