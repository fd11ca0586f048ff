/**
 * The one test that runs CDK's esbuild (about 10 s for the functions): the stack
 * synthesizes with bundling, every function gets an ESM bundle, and the config is
 * inlined into it by `define`; local mode's bundler, given the same config, builds the
 * very same bytes. (Bundle sizes are checked by the bench, not here.) The bundles are
 * CDK's own, built with exactly the deployed (minifying) options, so they also show
 * what error names the state machine sees from a deployed function.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { deployedConfig } from '../../infra/deployed-config';
import { ENTRIES } from '../../infra/functions';
import { synthesizeTemplate } from '../../infra/stack';
import { buildBundles } from '../../local/lambda/bundles';
import { CORP_ISSUER, REPO_ROOT, configWithHttpsIssuer, resourcesOf } from './support';

let outdir: string;
let template: Record<string, any>;
const config = configWithHttpsIssuer();

beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-bundle-'));
  template = synthesizeTemplate(config, { bundle: true, outdir });
}, 180_000);

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

function bundleOf(fn: { Properties: Record<string, any> }): string {
  const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
  return path.join(outdir, `asset.${hash}`, 'index.mjs');
}

test('synth with bundling succeeds; each function is a bundle with the ' +
  'deployed config inlined, byte for byte what local mode builds', async () => {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-local-bundle-'));
  try {
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    const entries = functions.map(([, fn]) => fn.Metadata?.['jitgate:entry'] as string);
    const local = await buildBundles({
      entries,
      configJson: JSON.stringify(deployedConfig(config).config),
      configMode: 'deploy',
      cacheDir,
    });
    expect(functions).toHaveLength(ENTRIES.length);
    for (const [id, fn] of functions) {
      const bundle = fs.readFileSync(bundleOf(fn), 'utf8');
      expect([id, fn.Properties.Handler]).toEqual([id, 'index.handler']);
      expect(bundle.length).toBeGreaterThan(1000);
      if (!bundle.includes(CORP_ISSUER)) {
        throw new Error(
          `${id}: the bundle does not contain the deployed config. esbuild's define replaces only the literal ` +
            'expression process.env.JITGATE_CONFIG_JSON, so the code must read it that way (not process.env[name]).',
        );
      }
      // The AWS SDK is bundled (it starts faster than the runtime's; bench section 8): the minified ESM has no
      // import of it left (the SDK's own messages mention @aws-sdk/signature-v4-crt, for SigV4a only; not code).
      expect([id, bundle.match(/\bfrom"@aws-sdk\/[^"]+"|\bimport\("@aws-sdk\/[^"]+"\)/)?.[0]]).toEqual([id, undefined]);
      // Development issuers never reach AWS.
      expect([id, bundle.includes('"development":true')]).toEqual([id, false]);
      // One set of options (infra/bundling.ts): what local mode runs is what would be deployed.
      const localBundle = fs.readFileSync(local.bundles[fn.Metadata?.['jitgate:entry'] as string]!, 'utf8');
      expect([id, localBundle === bundle]).toEqual([id, true]);
    }
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}, 120_000);

// The Lambda runtime reports a thrown error's `name` as its errorType, which is what the
// state machine's Retry/Catch match (Remind retries `DependencyUnavailable`).
const THROW_FROM_BUNDLE = [
  'const { handler } = await import(process.env.JITGATE_TEST_BUNDLE);',
  'const names = [];',
  "for (const requestId of ['not a request id', 'r-1']) {",
  "  try { await handler({ requestId, outcome: 'expired' }); names.push('no error'); } catch (err) { names.push(err.name); }",
  '}',
  'process.stdout.write(JSON.stringify(names));',
].join('\n');

test('errors thrown from a minified deployed bundle keep their class names', () => {
  const [, endRequest] = resourcesOf(template, 'AWS::Lambda::Function').find(
    ([, fn]) => fn.Metadata?.['jitgate:entry'] === 'functions/end-request/index.ts',
  )!;
  expect(fs.readFileSync(bundleOf(endRequest), 'utf8')).not.toMatch(/class DependencyUnavailable\b/); // minified indeed
  // Inside the repository, so the external @aws-sdk/* resolves from node_modules as the Lambda runtime provides it.
  const dir = fs.mkdtempSync(path.join(REPO_ROOT, 'node_modules', '.cache', 'jitgate-bundle-'));
  try {
    fs.copyFileSync(bundleOf(endRequest), path.join(dir, 'index.mjs'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      JITGATE_TEST_BUNDLE: pathToFileURL(path.join(dir, 'index.mjs')).href,
      TABLE_NAME: 'jitgate',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      // Nothing listens on port 1: the database is unavailable.
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
    };
    const out = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', THROW_FROM_BUNDLE], {
      cwd: dir,
      env,
      timeout: 60_000,
    });
    expect(JSON.parse(out.toString())).toEqual(['NotFound', 'DependencyUnavailable']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
