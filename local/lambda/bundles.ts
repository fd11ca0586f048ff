/**
 * The function bundles local mode runs: built at start with esbuild's JS API and the
 * options of infra/bundling.ts (the very options `cdk synth` bundles with), the config
 * local mode validated inlined, one bundle per `jitgate:entry` of the template; plus
 * local mode's Lambda runtime bootstrap (worker.ts), which loads a bundle in a worker.
 *
 * Cache: node_modules/.cache/jitgate/bundles/<content hash>/, never changed once written
 * (running containers may start more workers from it). `<options hash>.json` next to it
 * records the files the last build read (esbuild's metafile) with their hashes; a start
 * whose options (config included), lockfile and esbuild version hash the same, and whose
 * recorded inputs are unchanged, reuses the directory and builds nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, version as esbuildVersion, type BuildOptions, type Metafile } from 'esbuild';
import { esbuildOptions, functionBundling } from '../../infra/bundling';
import type { ConfigMode } from '../../shared/config/issuer-issues';

const ROOT = path.resolve(__dirname, '../..');
export const BUNDLE_CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'jitgate', 'bundles');
/** Bundle directories not used for this long are removed at start. */
const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;
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
}

interface Manifest {
  dir: string;
  inputs: Record<string, string>;
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** `functions/api/index.ts` → `api/index` (the output path under the bundle directory). */
function outName(entry: string): string {
  const dir = path.posix.dirname(entry.replace(/\\/g, '/'));
  return `${dir.replace(/^functions\//, '').replace(/[^a-zA-Z0-9._-]+/g, '_')}/index`;
}

/** The bootstrap runs on this Node (not Lambda's), so it targets the running version. */
function workerOptions(): BuildOptions {
  return { bundle: true, platform: 'node', format: 'esm', target: `node${process.versions.node.split('.')[0]}`, logLevel: 'warning' };
}

function hashInputs(files: string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const file of files) {
    try {
      out[file] = sha(readFileSync(path.join(ROOT, file)));
    } catch {
      return undefined;
    }
  }
  return out;
}

function sourceInputs(metafile: Metafile): string[] {
  // Dependencies are pinned by the lockfile, which is part of the options hash.
  return Object.keys(metafile.inputs).filter((f) => !f.split('/').includes('node_modules'));
}

export async function buildBundles(options: BuildBundlesOptions): Promise<BuiltBundles> {
  const cacheDir = options.cacheDir ?? BUNDLE_CACHE_DIR;
  const entries = [...new Set(options.entries)].sort();
  const functionOptions = esbuildOptions(functionBundling(options.configJson, options.configMode));
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

/** Removes bundle directories (and their manifests) unused for a week. */
function prune(cacheDir: string, keep: Set<string>): void {
  const cutoff = Date.now() - PRUNE_AFTER_MS;
  for (const name of readdirSync(cacheDir)) {
    // (A staging directory of a build under way is fresh; one left by a crash ages out like the rest.)
    if (keep.has(name)) continue;
    const file = path.join(cacheDir, name);
    try {
      if (statSync(file).mtimeMs < cutoff) rmSync(file, { recursive: true, force: true });
    } catch {
      /* removed meanwhile by another start */
    }
  }
}
