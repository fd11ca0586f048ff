/**
 * The one test that runs CDK's esbuild (about 10 s for the six functions): the stack
 * synthesizes with bundling, every function gets an ESM bundle, and the config is
 * inlined into it by `define`; local mode's bundler, given the same config, builds the
 * very same bytes. (Bundle sizes are checked by the bench, not here.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deployedConfig } from '../../infra/deployed-config';
import { synthesizeTemplate } from '../../infra/stack';
import { buildBundles } from '../../local/lambda/bundles';
import { CORP_ISSUER, configWithHttpsIssuer, resourcesOf } from './support';

test('synth with bundling succeeds; each function is a bundle with the deployed config inlined, byte for byte what local mode builds', async () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-bundle-'));
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-local-bundle-'));
  try {
    const config = configWithHttpsIssuer();
    const template = synthesizeTemplate(config, { bundle: true, outdir });
    const entries = resourcesOf(template, 'AWS::Lambda::Function').map(([, fn]) => fn.Metadata?.['jitgate:entry'] as string);
    const local = await buildBundles({ entries, configJson: JSON.stringify(deployedConfig(config).config), configMode: 'deploy', cacheDir });
    const functions = resourcesOf(template, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(6);
    for (const [id, fn] of functions) {
      const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
      const bundle = fs.readFileSync(path.join(outdir, `asset.${hash}`, 'index.mjs'), 'utf8');
      expect([id, fn.Properties.Handler]).toEqual([id, 'index.handler']);
      expect(bundle.length).toBeGreaterThan(1000);
      if (!bundle.includes(CORP_ISSUER)) {
        throw new Error(
          `${id}: the bundle does not contain the deployed config. esbuild's define replaces only the literal ` +
            'expression process.env.JITGATE_CONFIG_JSON, so the code must read it that way (not process.env[name]).',
        );
      }
      // Development issuers never reach AWS.
      expect([id, bundle.includes('"development":true')]).toEqual([id, false]);
      // One set of options (infra/bundling.ts): what local mode runs is what would be deployed.
      const localBundle = fs.readFileSync(local.bundles[fn.Metadata?.['jitgate:entry'] as string]!, 'utf8');
      expect([id, localBundle === bundle]).toEqual([id, true]);
    }
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}, 120_000);
