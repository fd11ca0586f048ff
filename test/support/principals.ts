/** Principals as the demo IdP would vouch for them, for unit tests of the domain. */
import { parseConfig, type Config } from '../../shared/config/config';
import { toPrincipal, type Principal } from '../../shared/domain/identity';
import { readDemoConfig } from './demo-config';

export const config: Config = parseConfig(readDemoConfig());
const dev = config.issuers.dev!;

const claims: Record<string, Record<string, unknown>> = {
  alice: { groups: ['engineering'], roles: ['editor'], email: 'alice@example.com', name: 'Alice' },
  bob: { groups: ['security-admins'], roles: ['admin'], email: 'bob@example.com', name: 'Bob' },
  carol: { groups: ['security-admins', 'finance-approvers'], email: 'carol@example.com', name: 'Carol' },
  dave: { roles: ['editor'], employment: 'contractor', email: 'dave@example.com', name: 'Dave' },
  erin: { roles: ['guest'], email: 'erin@example.com', name: 'Erin' },
  audrey: { groups: ['auditors'], email: 'audrey@example.com', name: 'Audrey' },
};

export function demo(user: keyof typeof claims | string): Principal {
  return toPrincipal('dev', dev, { sub: user, iss: dev.issuer, ...(claims[user] ?? {}) });
}

/** A principal of the development IdP of `config` (a running local mode's), with the claims a test chooses. */
export function devPerson(config: Config, sub: string, claims: Record<string, unknown> = {}): Principal {
  const issuer = config.issuers.dev!;
  return toPrincipal('dev', issuer, { iss: issuer.issuer, sub, ...claims });
}
