/**
 * 1. Lambda bundles: minified size and cold module-load time, reported without a target
 * (the spec targets the cold start, section 8, not the size).
 *
 * The esbuild options are not copied here: they are read from infra/functions.ts at run
 * time by building each function's NodejsFunction in a throwaway stack with CDK's
 * `Bundling.bundle` intercepted, so whatever infra sets (externalModules, define,
 * banner, minify, target, ...) is what this bench bundles with. The bundles are then
 * built with esbuild's JS API, written under bench/.out/ (inside the repository, so an
 * external `@aws-sdk/*` resolves from node_modules as the Lambda runtime provides it),
 * and imported in fresh `node` processes to time the module load.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { ENTRIES, REPO_ROOT, jitgateFunction, type Entry } from '../infra/functions';
import { deployedConfig } from '../infra/deployed-config';
import { parseConfig } from '../shared/config/config';
import { fmtKb, median, type Row, type SectionResult } from './stats';
import { DEMO_CONFIG_FILE } from '../shared/config/config-file';

export const OUT_DIR = path.join(REPO_ROOT, 'bench', '.out');
const LOAD_RUNS = 5;

/** What NodejsFunction hands to CDK's Bundling (its `bundling` props plus entry, runtime, ...). */
export interface CapturedBundling {
  entry: string;
  runtime: lambda.Runtime;
  projectRoot: string;
  minify?: boolean;
  sourceMap?: boolean;
  target?: string;
  format?: string;
  mainFields?: string[];
  banner?: string;
  footer?: string;
  externalModules?: string[];
  nodeModules?: string[];
  bundleAwsSDK?: boolean;
  define?: Record<string, string>;
  loader?: Record<string, string>;
  charset?: string;
  keepNames?: boolean;
  tsconfig?: string;
  inject?: string[];
  logLevel?: string;
  esbuildArgs?: Record<string, string | boolean | string[]>;
}

interface BundlingModule {
  Bundling: {
    bundle(scope: unknown, options: CapturedBundling): lambda.Code;
    prototype: {
      buildEsbuildArgs(this: unknown, scope: unknown, inputDir: string, outputDir: string, pathJoin: (...p: string[]) => string): string[];
    };
  };
}

function cdkBundlingModule(): BundlingModule {
  // Not exported by aws-cdk-lib's package map; required by file so it is the very module
  // instance NodejsFunction uses (`require('./bundling')` from the same directory).
  const cdkRoot = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  return require(path.join(cdkRoot, 'aws-lambda-nodejs', 'lib', 'bundling.js')) as BundlingModule;
}

/** The deployed config JSON, as infra/stack.ts inlines it (development issuers dropped). */
export function demoConfigJson(): string {
  const file = DEMO_CONFIG_FILE;
  const config = parseConfig(JSON.parse(readFileSync(file, 'utf8')), 'jitgate.config.json');
  return JSON.stringify(deployedConfig(config).config);
}

/** Builds every entry's NodejsFunction with bundling intercepted; returns what CDK would bundle with. */
export function captureBundlingOptions(configJson: string): {
  options: Map<Entry, CapturedBundling>;
  cdkArgs: Map<Entry, string[] | undefined>;
} {
  const mod = cdkBundlingModule();
  const original = mod.Bundling.bundle;
  const captured: CapturedBundling[] = [];
  mod.Bundling.bundle = (_scope, options) => {
    captured.push(options);
    return lambda.Code.fromInline('export const handler = async () => undefined;');
  };
  const options = new Map<Entry, CapturedBundling>();
  const cdkArgs = new Map<Entry, string[] | undefined>();
  try {
    const stack = new Stack(new App(), 'JitgateBenchBundling');
    ENTRIES.forEach((entry, i) => {
      captured.length = 0;
      jitgateFunction(stack, `BenchFunction${i}`, { entry, description: `bench ${entry}`, configJson, environment: {} });
      const got = captured[0];
      if (!got) throw new Error(`NodejsFunction for ${entry} did not call Bundling.bundle (aws-cdk-lib internals changed?)`);
      options.set(entry, got);
      cdkArgs.set(entry, cdkCliArgs(mod, stack, got));
    });
  } finally {
    mod.Bundling.bundle = original;
  }
  return { options, cdkArgs };
}

/** The esbuild command-line arguments CDK itself derives from the same options (to spot options it drops). */
function cdkCliArgs(mod: BundlingModule, scope: unknown, o: CapturedBundling): string[] | undefined {
  try {
    const externals = [...(o.externalModules ?? ['@aws-sdk/*']), ...(o.nodeModules ?? [])];
    return mod.Bundling.prototype.buildEsbuildArgs.call({ props: o, externals }, scope, '/asset-input', '/asset-output', path.posix.join);
  } catch {
    return undefined;
  }
}

const KNOWN_ESBUILD_ARGS = new Set(['--legal-comments', '--charset', '--tree-shaking', '--drop', '--pure', '--log-limit']);

/** CDK bundling options → esbuild JS API options (the same mapping CDK makes to CLI flags). */
export function toEsbuildOptions(o: CapturedBundling, notes: Set<string>): BuildOptions {
  const args = o.esbuildArgs ?? {};
  for (const key of Object.keys(args))
    if (!KNOWN_ESBUILD_ARGS.has(key)) notes.add(`esbuildArgs ${key} is not mapped by bench/bundles.ts; add it there`);
  const runtimeMajor = /nodejs(\d+)/.exec(o.runtime.name)?.[1] ?? '22';
  const options: BuildOptions = {
    entryPoints: [o.entry],
    absWorkingDir: o.projectRoot,
    bundle: true,
    write: false,
    metafile: true,
    outfile: path.join(OUT_DIR, 'index.mjs'),
    platform: 'node',
    target: o.target ?? `node${runtimeMajor}`,
    format: (o.format as BuildOptions['format']) ?? 'cjs',
    minify: o.minify ?? false,
    sourcemap: o.sourceMap ?? false,
    // CDK's default for Node 18+ runtimes when externalModules is unset: the SDK v3 the runtime provides.
    external: [...(o.externalModules ?? (o.bundleAwsSDK ? [] : ['@aws-sdk/*'])), ...(o.nodeModules ?? [])],
    logLevel: 'warning',
  };
  if (o.mainFields) options.mainFields = o.mainFields;
  if (o.banner) options.banner = { js: o.banner };
  if (o.footer) options.footer = { js: o.footer };
  if (o.define) options.define = o.define;
  if (o.loader) options.loader = o.loader as BuildOptions['loader'];
  if (o.charset) options.charset = o.charset as BuildOptions['charset'];
  if (o.keepNames) options.keepNames = true;
  if (o.tsconfig) options.tsconfig = o.tsconfig;
  if (o.inject) options.inject = o.inject;
  if (typeof args['--charset'] === 'string') options.charset = args['--charset'] as BuildOptions['charset'];
  if (typeof args['--legal-comments'] === 'string') options.legalComments = args['--legal-comments'] as BuildOptions['legalComments'];
  if (args['--tree-shaking'] !== undefined) options.treeShaking = args['--tree-shaking'] === true || args['--tree-shaking'] === 'true';
  if (typeof args['--log-limit'] === 'string') options.logLimit = Number(args['--log-limit']);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);
  if (args['--drop']) options.drop = list(args['--drop']) as BuildOptions['drop'];
  if (args['--pure']) options.pure = list(args['--pure']);
  return options;
}

/** Bytes in the output per package (node_modules/<pkg>) or "jitgate source". */
function contributors(metafile: Metafile): [string, number][] {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = m ? m[1]! : 'jitgate source';
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()].sort((a, b) => b[1] - a[1]);
}

const LOADER = [
  'const t0 = performance.now();',
  'await import(process.env.JITGATE_BENCH_MODULE);',
  'const ms = performance.now() - t0;',
  'process.stdout.write(JSON.stringify({ ms }));',
  'process.exit(0);',
].join('\n');

/** Milliseconds to `await import()` the module, in a fresh node process. */
function coldImportMs(file: string): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, JITGATE_BENCH_MODULE: pathToFileURL(file).href, AWS_REGION: 'us-east-1' };
  delete env.NODE_OPTIONS; // tsx's loader must not be in the child: it would load a plain .mjs slower than Lambda does
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--no-warnings', '--input-type=module', '-e', LOADER],
      { cwd: REPO_ROOT, env, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`importing ${path.relative(REPO_ROOT, file)} failed: ${stderr || err.message}`));
        try {
          resolve((JSON.parse(stdout) as { ms: number }).ms);
        } catch {
          reject(new Error(`unexpected output importing ${file}: ${stdout} ${stderr}`));
        }
      },
    );
  });
}

export async function benchBundles(log: (line: string) => void): Promise<SectionResult> {
  const notes = new Set<string>();
  const configJson = demoConfigJson();
  const { options, cdkArgs } = captureBundlingOptions(configJson);

  const first = options.get(ENTRIES[0])!;
  const externals = first.externalModules ?? (first.bundleAwsSDK ? [] : ['@aws-sdk/* (CDK default)']);
  notes.add(
    `options read from infra/functions.ts: target ${first.target ?? 'runtime default'}, format ${first.format}, ` +
      `minify ${first.minify}, externalModules ${JSON.stringify(externals)}, charset ` +
      `${first.charset ?? (typeof first.esbuildArgs?.['--charset'] === 'string' ? first.esbuildArgs['--charset'] : 'ascii')}, ` +
      `mainFields ${first.mainFields?.join(',')}`,
  );

  // Options infra declares that CDK does not turn into esbuild arguments.
  const args = cdkArgs.get(ENTRIES[0]);
  if (args === undefined) notes.add("could not cross-check CDK's own esbuild arguments (aws-cdk-lib internals changed)");
  else if (first.charset && !args.some((a) => a.startsWith('--charset'))) {
    notes.add(
      `infra sets charset ${first.charset}, but this aws-cdk-lib passes no --charset to esbuild: ` +
        `deployed bundles are built with esbuild's default (ascii); measured here with ${first.charset} as infra intends`,
    );
  }

  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  type Built = { file: string; bytes: number; configInlined: boolean; top: [string, number][] };
  const built = new Map<string, Built>();
  // A text only the config carries (a policy description), to see that `define` inlined it.
  const marker = JSON.parse(configJson).policies?.[0]?.description as string | undefined;
  const buildOne = async (label: string, esbuildOptions: BuildOptions) => {
    const result = await build(esbuildOptions);
    for (const w of result.warnings) notes.add(`esbuild warning in ${label}: ${w.text}`);
    const output = result.outputFiles![0]!;
    const file = path.join(OUT_DIR, `${label.replace(/[^a-z0-9-]+/gi, '-')}.mjs`);
    writeFileSync(file, output.contents);
    built.set(label, {
      file,
      bytes: output.contents.byteLength,
      configInlined: marker === undefined || output.text.includes(marker),
      top: contributors(result.metafile!),
    });
  };
  try {
    for (const entry of ENTRIES) await buildOne(entry, toEsbuildOptions(options.get(entry)!, notes));
    // For comparison, when infra leaves the SDK to the runtime: the hot path's bundle with the SDK inside.
    const hot: Entry = 'authorize';
    const comparison = `${hot}, SDK bundled`;
    const hotOptions = toEsbuildOptions(options.get(hot)!, new Set());
    const externalSdk = (hotOptions.external ?? []).some((e) => e.startsWith('@aws-sdk'));
    if (externalSdk)
      await buildOne(comparison, { ...hotOptions, external: (hotOptions.external ?? []).filter((e) => !e.startsWith('@aws-sdk')) });
    const labels = [...built.keys()];
    log(`  bundles built; timing cold imports (${LOAD_RUNS} runs each, round-robin)`);

    // One unrecorded import each (file system cache), then LOAD_RUNS rounds over all bundles.
    const loads = new Map<string, number[]>(labels.map((l) => [l, []]));
    for (const label of labels) await coldImportMs(built.get(label)!.file);
    for (let run = 0; run < LOAD_RUNS; run++) {
      for (const label of labels) loads.get(label)!.push(await coldImportMs(built.get(label)!.file));
    }

    const rows: Row[] = [];
    for (const label of labels) {
      const b = built.get(label)!;
      const ms = loads.get(label)!;
      const top = b.top
        .slice(0, 3)
        .map(([name, bytes]) => `${name} ${fmtKb(bytes)}`)
        .join(', ');
      const isEntry = (ENTRIES as readonly string[]).includes(label);
      rows.push({
        name: isEntry ? `${label} bundle` : `(${label}, for comparison)`,
        value: fmtKb(b.bytes),
        // A figure, not a target: the spec targets the cold start (section 8), which bundling the SDK speeds up at the cost of size.
        detail: `cold import median ${median(ms).toFixed(1)} ms (min ${Math.min(...ms).toFixed(1)}); largest: ${top}`,
      });
    }
    const notInlined = ENTRIES.filter((e) => !built.get(e)!.configInlined);
    if (notInlined.length > 0) {
      notes.add(
        `WARNING the config is NOT inlined in: ${notInlined.join(', ')}. esbuild's define replaces only the literal expression ` +
          'process.env.JITGATE_CONFIG_JSON; ' +
          'code that reads the variable any other way (env[name], destructuring) gets nothing, ' +
          'and the deployed functions have no such environment variable',
      );
    }
    if (externalSdk) {
      const hotMs = median(loads.get(hot)!);
      const bundledMs = median(loads.get(comparison)!);
      notes.add(
        `with @aws-sdk/* external the ${hot} bundle is ${fmtKb(built.get(hot)!.bytes)} instead of ` +
          `${fmtKb(built.get(comparison)!.bytes)}, and its cold import ${hotMs.toFixed(0)} ms instead of ${bundledMs.toFixed(0)} ` +
          'ms here: the external SDK loads from many unminified files',
      );
    }
    notes.add(
      `cold import = time to await import() the .mjs in a fresh node ${process.version} process (Lambda runs Node 22); ` +
        'external @aws-sdk/* resolves from node_modules, as the runtime provides it',
    );
    return { title: '1. Lambda bundles (esbuild, options from infra/functions.ts)', rows, notes: [...notes] };
  } finally {
    rmSync(OUT_DIR, { recursive: true, force: true });
  }
}
