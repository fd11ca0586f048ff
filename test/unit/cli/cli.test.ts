import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../cli/cli';
import { DEMO_CONFIG_FILE } from '../../support/demo-config';

const ROOT = path.resolve(__dirname, '../../..');
let dataDir: string;
beforeAll(() => (dataDir = mkdtempSync(path.join(tmpdir(), 'jitgate-cli-claim-'))));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function token(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['token', ...args], {
    cwd: ROOT,
    env: { JITGATE_DATA_DIR: dataDir, JITGATE_CONFIG: DEMO_CONFIG_FILE },
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  const claims = code === 0 ? JSON.parse(Buffer.from(stdout.trim().split('.')[1]!, 'base64url').toString()) : undefined;
  return { code, stderr, claims };
}

describe('npx jitgate token <user> --claim name=json', () => {
  it("sets claims exactly as written, replacing the demo user's own", async () => {
    const { code, claims } = await token(
      'dave',
      '--claim',
      'employment=" contractor"',
      '--claim',
      'groups="Friends of security-admins"',
      '--claim',
      'roles=["editor","temp"]',
      '--claim',
      'sub="mallory"',
      '--claim',
      'level=3',
    );
    expect(code).toBe(0);
    expect(claims).toMatchObject({
      sub: 'mallory',
      employment: ' contractor',
      groups: 'Friends of security-admins',
      roles: ['editor', 'temp'],
      level: 3,
      email: 'dave@example.com',
    });
  });

  it('refuses what is not name=json, naming the fix', async () => {
    const bare = await token('dave', '--claim', 'employment=Contractor');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(
      '--claim employment: the value is JSON, and "Contractor" is not; quote a string for the shell and for JSON: ' +
        `--claim employment='"Contractor"'`,
    );
    expect((await token('dave', '--claim', 'employment')).stderr).toContain('--claim takes name=json');
    expect((await token('dave', '--claim', '=1')).code).toBe(2);
    expect((await token('dave', '--claim', 'a=1', '--claim', 'a=2')).stderr).toContain('--claim a is given twice');
    expect((await token('dave', '--claim', '__proto__={"x":1}')).stderr).toContain('not a claim name');
  });
});
