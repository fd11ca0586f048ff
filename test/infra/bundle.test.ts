/**
 * The one test that runs esbuild (about 10 s for the six functions): the stack
 * synthesizes with bundling, every function gets an ESM bundle, and the config is
 * inlined into it by `define`. (Bundle sizes are checked by the bench, not here.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesizeTemplate } from '../../infra/stack';
import { CORP_ISSUER, configWithHttpsIssuer, resourcesOf } from './support';

test('synth with bundling succeeds; each function is a bundle with the deployed config inlined', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-bundle-'));
  try {
    const template = synthesizeTemplate(configWithHttpsIssuer(), { bundle: true, outdir });
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
      // The AWS SDK is bundled (it starts faster than the runtime's; bench section 8): the minified ESM has no
      // import of it left (the SDK's own messages mention @aws-sdk/signature-v4-crt, for SigV4a only; not code).
      expect([id, bundle.match(/\bfrom"@aws-sdk\/[^"]+"|\bimport\("@aws-sdk\/[^"]+"\)/)?.[0]]).toEqual([id, undefined]);
      // Development issuers never reach AWS.
      expect([id, bundle.includes('"development":true')]).toEqual([id, false]);
    }
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}, 120_000);
