/** infra/app.ts: a config that does not validate stops the app with the message, no stack trace. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './support';

test('an invalid config file: the message and exit code 1', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-app-'));
  const file = path.join(dir, 'bad.json');
  fs.writeFileSync(file, JSON.stringify({ issuers: { corp: { issuer: 'not a url', audience: [] } } }));
  const env: NodeJS.ProcessEnv = { ...process.env, JITGATE_CONFIG: file };
  delete env.CDK_OUTDIR;
  try {
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'infra/app.ts'], {
      cwd: REPO_ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('is not valid');
    expect(run.stderr).toContain('issuers.corp.issuer');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no config: the app stops and points at `npx jitgate init`, never deploying the demo by default', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-app-none-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CDK_OUTDIR;
  delete env.JITGATE_CONFIG;
  try {
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(REPO_ROOT, 'infra/app.ts')], {
      cwd: dir,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`no config at ${path.join(dir, 'jitgate.config.json')}`);
    expect(run.stderr).toContain('npx jitgate init');
    expect(run.stderr).toContain('JITGATE_CONFIG=examples/demo/jitgate.config.json');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
