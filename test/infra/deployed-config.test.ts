import { parseConfig } from '../../shared/config/config';
import { approvers, deployedConfig } from '../../infra/deployed-config';
import { CORP_ISSUER, configWithHttpsIssuer, demoConfig } from './support';

test('development issuers and the members they vouch for are not deployed', () => {
  const { config, droppedIssuers, droppedMembers } = deployedConfig(configWithHttpsIssuer());
  expect(droppedIssuers).toEqual(['dev']);
  expect(Object.keys(config.issuers)).toEqual(['corp']);
  expect(droppedMembers).toEqual(['security-admins: dev#bob', 'security-admins: dev#carol', 'finance-approvers: dev#carol']);
  expect(config.approverGroups['security-admins']!.members.map((m) => m.sub)).toEqual(['dana']);
  // What is deployed is itself a valid config (the functions parse it at cold start).
  expect(() => parseConfig(JSON.parse(JSON.stringify(config)))).not.toThrow();
});

test('the demo config deploys no issuer at all (fail closed)', () => {
  const { config, droppedIssuers } = deployedConfig(demoConfig());
  expect(droppedIssuers).toEqual(['dev']);
  expect(config.issuers).toEqual({});
  expect(() => parseConfig(JSON.parse(JSON.stringify(config)))).toThrow(/at least one issuer/);
});

test('$schema is not inlined', () => {
  const raw = { $schema: './schema.json', issuers: { corp: { issuer: CORP_ISSUER, audience: ['a'] } }, policies: [] };
  expect(deployedConfig(parseConfig(raw)).config).not.toHaveProperty('$schema');
});

test('approvers: one per principal and email, principal id = <issuer URL>#<sub>', () => {
  expect(approvers(configWithHttpsIssuer())).toEqual([
    { principalId: `${CORP_ISSUER}#dana`, email: 'dana@example.com' },
    { principalId: `${CORP_ISSUER}#erik`, email: 'erik@example.com' },
  ]);
  expect(approvers(demoConfig())).toEqual([]);
});

test('approver sign-in through a development issuer is refused at synth when a policy needs it', () => {
  const raw = JSON.parse(JSON.stringify(configWithHttpsIssuer()));
  raw.approverSignIn = { issuer: 'dev', clientId: 'jitgate-approver' };
  expect(deployedConfig(parseConfig(raw)).config).not.toHaveProperty('approverSignIn');
  raw.policies[0].approverAuth = 'sso';
  expect(deployedConfig(parseConfig(raw)).errors).toEqual([
    expect.stringContaining('approverSignIn.issuer: "dev" is a development issuer'),
  ]);
});

test('console sign-in through a development issuer is not deployed: the console then says sign-in is not configured', () => {
  const raw = JSON.parse(JSON.stringify(configWithHttpsIssuer()));
  raw.consoleSignIn = { issuer: 'dev', clientId: 'jitgate-console' };
  const deployed = deployedConfig(parseConfig(raw));
  expect(deployed.config).not.toHaveProperty('consoleSignIn');
  expect(deployed.errors).toEqual([]);
  raw.consoleSignIn = { issuer: 'corp', clientId: 'jitgate-console' };
  expect(deployedConfig(parseConfig(raw)).config.consoleSignIn).toMatchObject({ issuer: 'corp' });
});

test('functions deployed with no issuer left still start, and refuse every token', async () => {
  const { createTokenVerifier } = await import('../../shared/adapters/tokens');
  const { config } = deployedConfig(demoConfig());
  const bundled = parseConfig(JSON.parse(JSON.stringify(config)), 'the bundled config', { allowNoIssuer: true });
  await expect(createTokenVerifier(bundled).verify('Bearer a.b.c')).rejects.toMatchObject({ status: 401 });
});
