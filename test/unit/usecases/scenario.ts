/**
 * The config the use-case tests run under: the demo's, plus a policy two security admins
 * must approve (quorum), one that needs only a TOTP code (MFA, then the grant at once),
 * and a user-wide MFA lockout after three wrong codes.
 */
import { parseConfig, type Config } from '../../../shared/config/config';
import type { Principal } from '../../../shared/domain/identity';
import type { Decider } from '../../../shared/usecases/decisions';
import { readDemoConfig } from '../../support/demo-config';
import { depsForTest } from '../../support/memory/deps-for-test';

const demoConfig = readDemoConfig();

export const config: Config = parseConfig({
  ...demoConfig,
  limits: { ...demoConfig.limits, mfaLockout: { failures: 3, window: '15m', lockFor: '15m', notify: 'security-admins' } },
  policies: [
    ...demoConfig.policies,
    { action: 'vault:open', approvals: { groups: { 'security-admins': 2 }, window: '1h' }, grant: { mode: 'once' } },
    { action: 'door:open', mfa: 'totp', autoApprove: true, grant: { mode: 'window', maxDuration: '1h' } },
  ],
});

export const LINK_BASE = 'http://127.0.0.1:4000/approve/';

export const world = () => depsForTest({ config });

export const by = (p: Principal): Decider => ({ person: p, groups: p.groups, via: 'api' });
