/**
 * Which config a command reads (shared/config/config-file.ts): yours when there is one, the demo
 * for local mode when there is none, never the demo for a deployment; and the demo tests read
 * the demo whatever a user keeps at the repository root.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigFileMissing, DEMO_CONFIG_FILE, locateConfig, readConfigFile } from '../../../shared/config/config-file';
import { ConfigError } from '../../../shared/domain/errors';
import { describeConfigChoice } from '../../../local/setup';
import { readDemoConfig } from '../../support/demo-config';
import { localModeEnv } from '../../support/local-mode';

const ROOT = path.resolve(__dirname, '../../..');
let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'jitgate-config-file-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A jitgate.config.json a user wrote and edited: no policies at all. */
function userConfig(at: string): string {
  const file = path.join(at, 'jitgate.config.json');
  writeFileSync(file, JSON.stringify({ ...readDemoConfig(), policies: [] }));
  return file;
}

describe('locateConfig', () => {
  test('--config first, then JITGATE_CONFIG, then ./jitgate.config.json', () => {
    const own = userConfig(dir);
    const env = { JITGATE_CONFIG: 'from-env.json' };
    expect(locateConfig({ cwd: dir, env, flag: 'flag.json', demo: true })).toEqual({ file: path.join(dir, 'flag.json'), from: 'flag' });
    expect(locateConfig({ cwd: dir, env, demo: true })).toEqual({ file: path.join(dir, 'from-env.json'), from: 'env' });
    expect(locateConfig({ cwd: dir, env: { JITGATE_CONFIG: '' }, demo: true })).toEqual({ file: own, from: 'cwd' });
  });

  test('no config of your own: the demo for local mode, your (missing) file for a deployment', () => {
    expect(locateConfig({ cwd: dir, env: {}, demo: true })).toEqual({ file: DEMO_CONFIG_FILE, from: 'demo' });
    const deploy = locateConfig({ cwd: dir, env: {}, demo: false });
    expect(deploy).toEqual({ file: path.join(dir, 'jitgate.config.json'), from: 'cwd' });
    expect(() => readConfigFile(deploy, 'deploy')).toThrow(/no config at .*jitgate\.config\.json; write one with `npx jitgate init`/);
  });
});

test("npm start's banner says which config runs, and for the demo how to get your own", () => {
  expect(describeConfigChoice({ file: DEMO_CONFIG_FILE, from: 'demo' }, ROOT)).toBe(
    'the demo, examples/demo/jitgate.config.json  (no ./jitgate.config.json here; `npx jitgate init` writes yours)',
  );
  expect(describeConfigChoice({ file: path.join(dir, 'jitgate.config.json'), from: 'cwd' }, dir)).toBe('jitgate.config.json');
  expect(describeConfigChoice({ file: path.join(dir, 'prod.json'), from: 'env' }, dir)).toBe('prod.json  (JITGATE_CONFIG)');
});

describe('readConfigFile', () => {
  test('a missing file names where it was looked for and how to fix that', () => {
    const err = (() => {
      try {
        readConfigFile({ file: path.join(dir, 'nope.json'), from: 'env' }, 'local');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigFileMissing);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`no config at ${path.join(dir, 'nope.json')}; check the path in JITGATE_CONFIG, or unset it`);
  });

  test('a config that is not valid names the file and the key', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ issuers: {}, policies: [{ action: 'x' }] }));
    expect(() => readConfigFile({ file, from: 'flag' }, 'local')).toThrow(/bad\.json is not valid/);
  });

  test('the demo config is valid under the rules local mode applies', () => {
    expect(readConfigFile({ file: DEMO_CONFIG_FILE, from: 'demo' }, 'local').policies.length).toBeGreaterThan(0);
  });
});

describe('a jitgate.config.json the user edits at the root', () => {
  test('is not what local mode started by the tests runs, nor what the tests read', () => {
    const root = mkdtempSync(path.join(dir, 'repo-'));
    userConfig(root);
    // npm start, with the environment test/support/local-mode.ts gives it, from a root that has the user's file.
    const env = localModeEnv({ port: 4000, dataDir: path.join(dir, 'data') });
    expect(locateConfig({ cwd: root, env, demo: true }).file).toBe(DEMO_CONFIG_FILE);
    expect(readDemoConfig().policies.length).toBeGreaterThan(0);
  });

  test('no test or benchmark names the root config file', () => {
    // The demo is reached through test/support/demo-config.ts (DEMO_CONFIG_FILE), never by a path to the root's file.
    const rootConfig = /(ROOT|root)[^\n]*['"]jitgate\.config\.json['"]|['"](\.\.\/)+jitgate\.config\.json['"]/;
    const offenders = [...sources(path.join(ROOT, 'test')), ...sources(path.join(ROOT, 'bench'))].filter((file) =>
      rootConfig.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});

function sources(at: string): string[] {
  return readdirSync(at).flatMap((name) => {
    const file = path.join(at, name);
    if (statSync(file).isDirectory()) return sources(file);
    return /\.(ts|json)$/.test(name) ? [file] : [];
  });
}
