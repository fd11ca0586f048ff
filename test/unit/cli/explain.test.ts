/** `npx jitgate explain`: the policy decision for one caller, offline; exit 0 allowed/requestable, 3 denied, 2 usage, 1 bad config. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../cli/cli';
import { DEMO_CONFIG_FILE } from '../../support/demo-config';

const ROOT = path.resolve(__dirname, '../../..');

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(['explain', ...args], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    cwd: ROOT,
    env: { JITGATE_CONFIG: DEMO_CONFIG_FILE, ...env },
  });
  return { code, stdout, stderr };
}

/** An unsigned JWT with these claims: explain decodes tokens, it never verifies them. */
function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}.c2lnbmF0dXJl`;
}

test('a requestable action: the rule, the reason and what it takes, exit 0', async () => {
  const r = await run(['--user', 'alice', '--action', 'projects:delete', '--resource', 'projects/42']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('decision         REQUESTABLE (approval needed)');
  expect(r.stdout).toMatch(/rule +policies\[\d+\] projects:delete on projects\/\*/);
  expect(r.stdout).toContain('1. request (POST /v1/requests)');
  expect(r.stdout).toContain('approval from security-admins x1');
  expect(r.stdout).toContain('mfa totp');
});

test('a denied action exits 3 and names the rule and reason', async () => {
  const r = await run(['--user', 'dave', '--action', 'projects:delete', '--resource', 'projects/42']);
  expect(r.code).toBe(3);
  expect(r.stdout).toContain('DENIED');
  expect(r.stdout).toMatch(/rule +policies\[\d+\] projects:delete on projects\/\*, deny\[0\]/);
  expect(r.stdout).toContain('contractors may not delete projects');
});

test('an unknown action is denied by default', async () => {
  const r = await run(['--user', 'bob', '--action', 'nothing:here', '--json']);
  expect(r.code).toBe(3);
  expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'denied', rule: 'default' });
});

test('--json prints the same decision as data, with what is missing and the less specific policies that also match', async () => {
  const r = await run(['--user', 'alice', '--action', 'prod:debug', '--resource', 'cluster/eu-1', '--json']);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out).toMatchObject({
    decision: 'requestable',
    missing: ['request', 'approval from security-admins x1'],
    breakGlass: { allowed: true, maxDurationSeconds: 900, notify: 'security-admins' },
  });
  expect(out.alsoMatching).toEqual([expect.stringMatching(/prod:\*$/)]);
  expect(out.caller).toMatchObject({ source: 'demo user', verified: false, groups: ['engineering'] });
});

test('auto-approved: exit 0', async () => {
  const r = await run(['--user', 'alice', '--action', 'reports:read']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('AUTO-APPROVED');
});

test('a token: its claims are decoded, not verified, and the output says so', async () => {
  const token = jwt({ iss: 'http://127.0.0.1:4000/dev/idp', sub: 'zoe', groups: ['engineering'], employment: 'contractor' });
  const r = await run(['--user', token, '--action', 'prod:restart']);
  expect(r.code).toBe(3);
  expect(r.stdout).toContain('claims taken from the token, not verified');
  expect(r.stdout).toContain('may only be requested by callers where');
  // local mode on another port: the same development issuer
  const elsewhere = await run([
    '--user',
    jwt({ iss: 'http://127.0.0.1:4555/dev/idp', sub: 'zoe', groups: ['engineering'] }),
    '--action',
    'prod:restart',
  ]);
  expect(elsewhere.code).toBe(0);
});

test('claims as JSON', async () => {
  const r = await run(['--user', '{"sub":"x","groups":["auditors"]}', '--action', 'data:export', '--resource', 'datasets/sales', '--json']);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ decision: 'requestable', caller: { source: 'claims' } });
});

test('usage errors exit 2 with a message naming the problem', async () => {
  const noAction = await run(['--user', 'alice']);
  expect(noAction.code).toBe(2);
  expect(noAction.stderr).toContain('name the action with --action');
  const noUser = await run(['--action', 'a']);
  expect(noUser.code).toBe(2);
  expect(noUser.stderr).toContain('name the caller with --user');
  const unknownUser = await run(['--user', 'zed', '--action', 'a']);
  expect(unknownUser.code).toBe(2);
  expect(unknownUser.stderr).toContain('unknown user "zed"');
  const unknownFlag = await run(['--user', 'alice', '--action', 'a', '--verbose']);
  expect(unknownFlag.code).toBe(2);
  const foreign = await run(['--user', jwt({ iss: 'https://elsewhere.example', sub: 'x' }), '--action', 'a']);
  expect(foreign.code).toBe(2);
  expect(foreign.stderr).toContain('issuer "https://elsewhere.example" is not in the config');
  const noConfig = await run(['--user', 'alice', '--action', 'a', '--config', 'nope.json']);
  expect(noConfig.code).toBe(2);
  expect(noConfig.stderr).toContain('no config at');
});

test('a config that is not valid exits 1 with the validation messages', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jitgate-explain-'));
  const raw = JSON.parse(readFileSync(DEMO_CONFIG_FILE, 'utf8'));
  raw.policies.push({ action: '*:prod', autoApprove: true, grant: { mode: 'once' } }); // as specific as prod:*, and both match prod:prod
  const file = path.join(dir, 'changed.json');
  writeFileSync(file, JSON.stringify(raw));
  const r = await run(['--user', 'alice', '--action', 'prod:debug'], { JITGATE_CONFIG: file });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('changed.json is not valid');
  expect(r.stderr).toContain('ties with policies[');
});
