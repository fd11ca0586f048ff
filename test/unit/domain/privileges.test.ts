import { parseConfig } from '../../../shared/config/config';
import { toPrincipal } from '../../../shared/domain/identity';
import { hasPrivilege } from '../../../shared/domain/privileges';
import { deployedConfig } from '../../../infra/deployed-config';
import { DEMO_CONFIG_FILE } from '../../support/demo-config';

const issuers = {
  corp: { issuer: 'https://corp.example.com', audience: ['a'] },
  partner: { issuer: 'https://partner.example.com', audience: ['a'] },
};
const approverGroups = { 'security-admins': { members: [{ issuer: 'corp', sub: 'bob', email: 'bob@corp.example.com' }] } };
const policies = [{ action: 'a', approvals: { groups: { 'security-admins': 1 } }, grant: { mode: 'once' } }];

describe('auditor and admin groups are trusted from their issuers only', () => {
  const config = parseConfig({
    issuers,
    approverGroups,
    auditorGroups: [{ group: 'auditors', trustedIssuers: ['corp'] }],
    adminGroups: ['security-admins'],
    policies,
  });
  const as = (issuer: 'corp' | 'partner', groups: string[]) => toPrincipal(issuer, config.issuers[issuer]!, { sub: 'x', groups });

  it('a partner token naming the group gets nothing', () => {
    expect(hasPrivilege(config, as('corp', ['auditors']), 'auditor')).toBe(true);
    expect(hasPrivilege(config, as('partner', ['auditors']), 'auditor')).toBe(false);
    // A bare name that is also an approver group takes that group's trust (its members' issuers).
    expect(hasPrivilege(config, as('corp', ['security-admins']), 'admin')).toBe(true);
    expect(hasPrivilege(config, as('partner', ['security-admins']), 'admin')).toBe(false);
  });

  it('a bare name with several issuers and no approver group to go by is a config error naming the fix', () => {
    expect(() => parseConfig({ issuers, approverGroups, auditorGroups: ['auditors'], policies })).toThrow(
      'auditorGroups[0]: with several issuers, say which may vouch for group "auditors" (any of them could put the name in a ' +
        'token): {"group": "auditors", "trustedIssuers": ["corp"]}',
    );
    expect(() => parseConfig({ issuers, approverGroups, adminGroups: [{ group: 'x', trustedIssuers: ['nope'] }], policies })).toThrow(
      'adminGroups[0].trustedIssuers[0]: unknown issuer "nope"',
    );
  });

  it('a bare name with a single issuer trusts that issuer', () => {
    const one = parseConfig({ issuers: { corp: issuers.corp }, approverGroups, auditorGroups: ['auditors'], policies });
    expect(hasPrivilege(one, toPrincipal('corp', one.issuers.corp!, { sub: 'x', groups: ['auditors'] }), 'auditor')).toBe(true);
  });

  it('the deployed config drops development issuers from the trust and still validates', () => {
    const dev = parseConfig(
      {
        issuers: { ...issuers, dev: { issuer: 'http://127.0.0.1:4000/dev/idp', audience: ['a'], development: true } },
        approverGroups,
        auditorGroups: [{ group: 'auditors', trustedIssuers: ['dev', 'corp'] }],
        policies,
      },
      'x',
      { mode: 'local' },
    );
    const deployed = deployedConfig(dev).config;
    expect(deployed.auditorGroups).toEqual([{ group: 'auditors', trustedIssuers: ['corp'] }]);
    expect(
      deployedConfig(parseConfig(require(DEMO_CONFIG_FILE), 'x', { mode: 'local' })).config.policies.find((p) => p.breakGlass)?.breakGlass
        ?.who,
    ).toEqual({ claim: 'sub', exists: false });
    expect(() => parseConfig(JSON.parse(JSON.stringify(deployed)))).not.toThrow();
  });
});

describe('a string-valued groups claim is one value', () => {
  const config = parseConfig({
    issuers: { corp: issuers.corp, spaced: { issuer: 'https://spaced.example.com', audience: ['a'], claims: { separator: ' ' } } },
    approverGroups,
    auditorGroups: [{ group: 'auditors', trustedIssuers: ['corp'] }],
    policies,
  });

  it('is never split on spaces or commas unless the issuer names a separator', () => {
    expect(toPrincipal('corp', config.issuers.corp!, { sub: 'm', groups: 'Friends of security-admins' }).groups).toEqual([
      'Friends of security-admins',
    ]);
    expect(toPrincipal('corp', config.issuers.corp!, { sub: 'm', roles: 'guest,admin' }).roles).toEqual(['guest,admin']);
    expect(toPrincipal('spaced', config.issuers.spaced!, { sub: 'm', groups: 'engineering  auditors' }).groups).toEqual([
      'engineering',
      'auditors',
    ]);
  });
});
