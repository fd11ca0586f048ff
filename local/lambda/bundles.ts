/**
 * The function bundles local mode runs: built at start with esbuild's JS API and the
 * options of infra/bundling.ts (the very options `cdk synth` bundles with), the config
 * local mode validated inlined, one bundle per `jitgate:entry` of the template; plus
 * local mode's Lambda runtime bootstrap (worker.ts), which loads a bundle in a worker.
 *
 * Cache: node_modules/.cache/jitgate/bundles/<content hash>/, never changed once written
 * (running containers may start more workers from it). `<options hash>.json` next to it
 * records the files the last build read (esbuild's metafile) with their hashes; a start
 * whose options, lockfile and esbuild version hash the same, and whose recorded inputs are
 * unchanged, reuses the directory and builds nothing.
 *
 * The config is not part of that key. Local mode's config names its port (the development
 * issuer's URL), so a cache keyed on it rebuilt every bundle at each new port (~1.7 s of
 * esbuild) and kept 2 MB for every port ever used. The code is built once with a placeholder
 * inlined; each start writes a copy of the bundles with the config's own string literal in its
 * place, printed by esbuild's printer: the bytes a build with that config makes
 * (test/infra/bundle.test.ts compares them with CDK's).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, transform, version as esbuildVersion, type BuildOptions, type Metafile } from 'esbuild';
import { esbuildOptions, functionBundling } from '../../infra/bundling';
import { hashInputs as hashFiles, prune, sha } from '../build-cache.cjs';
import type { ConfigMode } from '../../shared/config/issuer-issues';

const ROOT = path.resolve(__dirname, '../..');
export const BUNDLE_CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'jitgate', 'bundles');
const WORKER_SOURCE = path.join(__dirname, 'worker.ts');

export interface BuiltBundles {
  /** Entry (`functions/api/index.ts`) → absolute path of its bundle (`.../api/index.mjs`). */
  bundles: Record<string, string>;
  /** The runtime bootstrap each worker runs. */
  worker: string;
  dir: string;
  /** False when the cache served every file. */
  built: boolean;
}

export interface BuildBundlesOptions {
  /** Repository-relative entries, e.g. `functions/api/index.ts`. */
  entries: string[];
  /** The config inlined into each bundle (JSON text) and the rules it was validated under. */
  configJson: string;
  configMode: ConfigMode;
  cacheDir?: string;
  /**
   * Where the copy with this config goes: a directory of its own, whose other entries are removed
   * (local mode passes one inside its data directory). By default, beside the cached code.
   */
  configDir?: string;
}

interface Manifest {
  dir: string;
  inputs: Record<string, string>;
}

/** Inlined in place of the config while the code is built; swapped for the config's literal after. */
const CONFIG_PLACEHOLDER = '{"jitgate-config-placeholder":"built once, the config is copied in per start"}';

/** `functions/api/index.ts` → `api/index` (the output path under the bundle directory). */
function outName(entry: string): string {
  const dir = path.posix.dirname(entry.replace(/\\/g, '/'));
  return `${dir.replace(/^functions\//, '').replace(/[^a-zA-Z0-9._-]+/g, '_')}/index`;
}

/** The bootstrap runs on this Node (not Lambda's), so it targets the running version. */
function workerOptions(): BuildOptions {
  return { bundle: true, platform: 'node', format: 'esm', target: `node${process.versions.node.split('.')[0]}`, logLevel: 'warning' };
}

const hashInputs = (files: string[]) => hashFiles(ROOT, files);

function sourceInputs(metafile: Metafile): string[] {
  // Dependencies are pinned by the lockfile, which is part of the options hash.
  return Object.keys(metafile.inputs).filter((f) => !f.split('/').includes('node_modules'));
}

export async function buildBundles(options: BuildBundlesOptions): Promise<BuiltBundles> {
  const code = await buildCode(options);
  const functionOptions = esbuildOptions(functionBundling(options.configJson, options.configMode));
  const placeholder = await stringLiteral(CONFIG_PLACEHOLDER, functionOptions);
  const literal = await stringLiteral(options.configJson, functionOptions);
  const configDir = path.resolve(options.configDir ?? path.join(code.dir, 'configs'));
  const dir = path.join(configDir, sha(code.dir + literal).slice(0, 32));
  if (!existsSync(dir)) {
    const staging = `${dir}.staging-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      for (const file of Object.values(code.bundles)) {
        const target = path.join(staging, path.relative(code.dir, file));
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, readFileSync(file, 'utf8').split(placeholder).join(literal));
      }
      renameSync(staging, dir);
    } catch (err) {
      // Another start with the same config and code may have written it first.
      if (!existsSync(dir)) throw err;
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  touch(dir);
  if (options.configDir) removeOthers(configDir, path.basename(dir));
  return {
    ...code,
    bundles: Object.fromEntries(Object.entries(code.bundles).map(([e, f]) => [e, path.join(dir, path.relative(code.dir, f))])),
  };
}

/**
 * A string as esbuild prints it in a minified bundle with these options (its quotes and escapes):
 * what `define` puts where the code reads `process.env.JITGATE_CONFIG_JSON`.
 */
async function stringLiteral(text: string, options: BuildOptions): Promise<string> {
  const { code } = await transform(`x(${JSON.stringify(text)})`, {
    minify: true,
    charset: options.charset,
    target: options.target,
    platform: options.platform,
    format: options.format,
  });
  const printed = /^x\(([\s\S]*)\);\n$/.exec(code)?.[1];
  if (!printed) throw new Error(`esbuild printed an unexpected call: ${code.slice(0, 80)}`);
  return printed;
}

/** The code, with the placeholder config: cached by everything but the config. */
async function buildCode(options: BuildBundlesOptions): Promise<BuiltBundles> {
  const cacheDir = options.cacheDir ?? BUNDLE_CACHE_DIR;
  const entries = [...new Set(options.entries)].sort();
  const functionOptions = esbuildOptions(functionBundling(CONFIG_PLACEHOLDER, options.configMode));
  const optionsHash = sha(
    JSON.stringify({ esbuildVersion, entries, functionOptions, worker: workerOptions() }) +
      sha(readFileSync(path.join(ROOT, 'package-lock.json'))),
  ).slice(0, 32);
  const manifestFile = path.join(cacheDir, `${optionsHash}.json`);
  const located = (dir: string, built: boolean): BuiltBundles => ({
    dir,
    built,
    worker: path.join(dir, 'worker.mjs'),
    bundles: Object.fromEntries(entries.map((e) => [e, path.join(dir, `${outName(e)}.mjs`)])),
  });

  const cached = readManifest(manifestFile);
  if (cached) {
    const dir = path.join(cacheDir, cached.dir);
    const current = hashInputs(Object.keys(cached.inputs));
    if (current && existsSync(dir) && JSON.stringify(current) === JSON.stringify(cached.inputs)) {
      touch(dir);
      return located(dir, false);
    }
  }

  mkdirSync(cacheDir, { recursive: true });
  const staging = path.join(cacheDir, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const functions = await build({
      ...functionOptions,
      absWorkingDir: ROOT,
      entryPoints: entries.map((e) => ({ in: e, out: outName(e) })),
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      metafile: true,
    });
    const worker = await build({
      ...workerOptions(),
      absWorkingDir: ROOT,
      entryPoints: [WORKER_SOURCE],
      outfile: path.join(staging, 'worker.mjs'),
      metafile: true,
    });
    const files = [...new Set([...sourceInputs(functions.metafile), ...sourceInputs(worker.metafile)])].sort();
    const inputs = hashInputs(files);
    if (!inputs) throw new Error('a source file changed or vanished while local mode was bundling; start again');
    const name = sha(optionsHash + JSON.stringify(inputs)).slice(0, 32);
    const dir = path.join(cacheDir, name);
    if (existsSync(dir)) rmSync(staging, { recursive: true, force: true });
    else renameSync(staging, dir);
    writeAtomically(manifestFile, JSON.stringify({ dir: name, inputs } satisfies Manifest));
    touch(dir);
    prune(cacheDir, new Set([name]));
    return located(dir, true);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Local mode's data directory keeps only the bundles it runs now. */
function removeOthers(dir: string, keep: string): void {
  for (const name of readdirSync(dir)) if (name !== keep) rmSync(path.join(dir, name), { recursive: true, force: true });
}

function readManifest(file: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    return typeof m.dir === 'string' && m.inputs && typeof m.inputs === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function touch(dir: string): void {
  const now = new Date();
  utimesSync(dir, now, now);
}
