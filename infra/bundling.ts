/**
 * How every function is bundled, in one place: the NodejsFunction of infra/functions.ts
 * (CDK runs the esbuild CLI at synth) and local mode (local/lambda/bundles.ts runs the
 * esbuild JS API at start) both derive their options from `functionBundling`, so a
 * local bundle is byte for byte what would be deployed (test/infra/bundle.test.ts
 * compares them). Change an option here and both follow.
 */
import type { BuildOptions } from 'esbuild';
import type { ConfigMode } from '../shared/config/issuer-issues';

/**
 * esbuild output is ESM (top-level await allowed in handlers). Dependencies that are
 * still CommonJS may `require()` Node built-ins, which ESM output cannot do by itself,
 * so every bundle starts with a `require` made by `createRequire`.
 */
const ESM_REQUIRE_BANNER =
  "import{createRequire as __jitgateCreateRequire}from'node:module';const require=__jitgateCreateRequire(import.meta.url);";

/** The Lambda runtime the bundles target (infra/functions.ts deploys `nodejs22.x`). */
export const NODE_TARGET = 'node22';

export interface FunctionBundling {
  minify: boolean;
  sourceMap: boolean;
  target: string;
  format: 'esm';
  mainFields: string[];
  banner: string;
  externalModules: string[];
  define: Record<string, string>;
  legalComments: 'none';
  charset: 'utf8';
}

/**
 * The options for one bundle, with `configJson` (the validated config, JSON text) inlined
 * together with the rules it was validated under: `deploy` at synth, `local` at `npm start`
 * (which also accepts http issuers), so the function re-reads it under the same rules.
 */
export function functionBundling(configJson: string, configMode: ConfigMode = 'deploy'): FunctionBundling {
  return {
    minify: true,
    sourceMap: false,
    target: NODE_TARGET,
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: ESM_REQUIRE_BANNER,
    // The AWS SDK v3 inside the bundle, not the one the nodejs22.x runtime ships: measured by
    // `npm run bench` (section 8), every function starts faster with it bundled and minified
    // (authorize's import + first call ~1.7 s vs ~3.1 s on the bench machine) than loading the
    // runtime's unminified SDK from many files; the bundles grow from ~200 KB to ~600 KB.
    externalModules: [],
    // Replaces the expressions `process.env.JITGATE_CONFIG_JSON` / `..._MODE` (literally) with the config text and its rules.
    define: {
      'process.env.JITGATE_CONFIG_JSON': JSON.stringify(configJson),
      'process.env.JITGATE_CONFIG_MODE': JSON.stringify(configMode),
    },
    // Smaller bundles: UTF-8 instead of \u escapes, no license banners (Node 22 reads UTF-8 sources).
    legalComments: 'none',
    charset: 'utf8',
  };
}

/** The same options for esbuild's JS API, as CDK turns them into CLI flags (aws-lambda-nodejs `Bundling.buildEsbuildArgs`). */
export function esbuildOptions(bundling: FunctionBundling): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: bundling.target,
    format: bundling.format,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    mainFields: bundling.mainFields,
    banner: { js: bundling.banner },
    external: bundling.externalModules,
    define: bundling.define,
    legalComments: bundling.legalComments,
    charset: bundling.charset,
    logLevel: 'warning',
  };
}
