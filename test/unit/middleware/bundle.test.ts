/**
 * The middleware is typed structurally: bundled into an app, `jitgate/express` and
 * `jitgate/middy` must pull neither express, middy, aws-lambda types, zod nor the AWS SDK
 * (the app brings its own framework; the client brings only `fetch`).
 */
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '../../..');

test.each(['express', 'middy'])('jitgate/%s bundles with no package from node_modules', async (name) => {
  const result = await build({
    entryPoints: [path.join(ROOT, `middleware/${name}.ts`)],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    logLevel: 'silent',
  });
  expect(Object.keys(result.metafile.inputs).filter((i) => i.includes('node_modules'))).toEqual([]);
  expect(result.outputFiles[0]!.text).not.toMatch(/from ["'](express|@middy\/core|zod)["']|@aws-sdk/);
});

test('jitgate/express and jitgate/middy are what package.json exports', () => {
  const pkg = require(path.join(ROOT, 'package.json'));
  expect(pkg.exports['./express']).toEqual({ types: './middleware/express.ts', default: './middleware/express.ts' });
  expect(pkg.exports['./middy']).toEqual({ types: './middleware/middy.ts', default: './middleware/middy.ts' });
  expect(require.resolve('jitgate/express')).toBe(path.join(ROOT, 'middleware/express.ts'));
  expect(require.resolve('jitgate/middy')).toBe(path.join(ROOT, 'middleware/middy.ts'));
});
