/** `npx jitgate init`: the file it writes is a config `cdk synth` accepts, it keeps an existing file, and bad flags exit 2. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../cli/cli';
import { parseConfig } from '../../../shared/config/config';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'jitgate-init-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function init(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['init', ...args], {
    cwd: dir,
    env: {},
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

const file = () => path.join(dir, 'jitgate.config.json');
const written = () => parseConfig(JSON.parse(readFileSync(file(), 'utf8')), 'jitgate.config.json', { mode: 'deploy' });
const OKTA = ['--issuer-preset', 'okta', '--domain', 'acme.okta.com', '--audience', 'api://jitgate'];
const APPROVERS = ['--approver', 'security-admins=00u1:bob@example.com,00u2:carol@example.com'];

describe('npx jitgate init', () => {
  it('writes a config that parses for a deployment, with the issuer, approvers and an example policy', async () => {
    const { code, stdout, stderr } = await init(...OKTA, ...APPROVERS, '--approver', 'finance=00u3:dan@example.com');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(file());
    expect(stderr).toMatch(/npx cdk deploy/);
    expect(stderr).toMatch(/npx jitgate subscriptions/);
    const config = written();
    expect(config.issuers.okta).toMatchObject({ issuer: 'https://acme.okta.com/oauth2/default', audience: ['api://jitgate'] });
    expect(config.approverGroups['security-admins']?.members).toEqual([
      { issuer: 'okta', sub: '00u1', email: 'bob@example.com' },
      { issuer: 'okta', sub: '00u2', email: 'carol@example.com' },
    ]);
    expect(config.approverGroups.finance?.members).toHaveLength(1);
    expect(config.policies[0]).toMatchObject({ action: 'prod:deploy', approvals: { groups: { 'security-admins': 1 } } });
  });

  it.each([
    [['--issuer-preset', 'cognito', '--user-pool-id', 'eu-west-1_AbCdEf123', '--client-id', 'abc123']],
    [['--issuer-preset', 'entra', '--tenant-id', '72f988bf-86f1-41af-91ab-2d7cd011db47', '--audience', 'api://jitgate']],
    [
      [
        '--issuer-preset',
        'auth0',
        '--domain',
        'acme.eu.auth0.com',
        '--audience',
        'https://api.acme.com',
        '--namespace',
        'https://acme.com/',
      ],
    ],
    [['--issuer-url', 'https://idp.example.com', '--audience', 'jitgate', '--issuer-name', 'corp', '--token-use', 'access']],
  ])('writes a valid config for %j', async (issuer) => {
    const { code } = await init(...issuer, ...APPROVERS);
    expect(code).toBe(0);
    expect(Object.keys(written().issuers)).toHaveLength(1);
  });

  it('refuses to replace an existing file without --force, and replaces it with', async () => {
    writeFileSync(file(), '{"mine": true}\n');
    const refused = await init(...OKTA, ...APPROVERS);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/exists.*--force/);
    expect(readFileSync(file(), 'utf8')).toBe('{"mine": true}\n');

    expect((await init(...OKTA, ...APPROVERS, '--force')).code).toBe(0);
    expect(written().issuers.okta).toBeDefined();
  });

  it('writes where --config says, or prints with --print', async () => {
    expect((await init(...OKTA, ...APPROVERS, '--config', 'prod.json')).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'prod.json'), 'utf8')).issuers.okta.preset).toBe('okta');
    const printed = await init(...OKTA, ...APPROVERS, '--print');
    expect(printed.code).toBe(0);
    expect(parseConfig(JSON.parse(printed.stdout)).issuers.okta).toBeDefined();
  });

  it.each([
    ['an unknown flag', [...OKTA, ...APPROVERS, '--approvers', 'x'], /Unknown option '--approvers'/],
    ['an unknown preset', ['--issuer-preset', 'keycloak', ...APPROVERS], /--issuer-preset is one of cognito, okta, entra, auth0/],
    ['no issuer', APPROVERS, /name the issuer/],
    ['no approver', OKTA, /name at least one approver/],
    ['a flag of another preset', [...OKTA, '--tenant-id', 'x', ...APPROVERS], /--tenant-id is for entra/],
    ['a missing identifier', ['--issuer-preset', 'okta', '--audience', 'a', ...APPROVERS], /--domain is needed for okta/],
    ['an approver without an email', [...OKTA, '--approver', 'admins=bob'], /not <sub>:<email>/],
    ['a bad email', [...OKTA, '--approver', 'admins=bob:not-an-email'], /email/],
    ['an http issuer', ['--issuer-url', 'http://idp.example.com', '--audience', 'a', ...APPROVERS], /must be https/],
  ])('%s is a usage error (exit 2) and writes nothing', async (_what, args, message) => {
    const { code, stderr } = await init(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/Usage: jitgate init/);
    expect(() => readFileSync(file())).toThrow();
  });
});
