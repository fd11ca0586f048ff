/**
 * `jitgate/client` runs on the global `fetch` alone: bundled for a browser or an app, it must
 * not pull zod (its types come from the zod schemas, imported as types only) or the AWS SDK.
 */
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '../../..');

test('the client bundle holds no zod and no AWS SDK code, and stays small', async () => {
  const result = await build({
    entryPoints: [path.join(ROOT, 'client/index.ts')],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((i) => /node_modules\/(zod|@aws-sdk|@smithy)\//.test(i))).toEqual([]);
  expect(inputs.filter((i) => i.includes('node_modules'))).toEqual([]);
  const code = result.outputFiles[0]!.text;
  expect(code).not.toMatch(/from ["']zod["']|require\(["']zod["']\)|@aws-sdk/);
  expect(code).toContain('JitgateClient');
  expect(code.length).toBeLessThan(40_000);
});

test('jitgate/client is what package.json exports', () => {
  const pkg = require(path.join(ROOT, 'package.json'));
  expect(pkg.exports['./client']).toEqual({ types: './client/index.ts', default: './client/index.ts' });
  expect(pkg.bin.jitgate).toBe('bin/jitgate.cjs');
  expect(require.resolve('jitgate/client')).toBe(path.join(ROOT, 'client/index.ts'));
});
