'use strict';
/**
 * `npm start`: runs local mode (local/main.ts) from one CommonJS file of its own code, built by
 * esbuild and cached, rather than through tsx. tsx transpiles each file at run time on a loader
 * thread of its own, with esbuild's service and the transformed sources kept: about 35 MB of
 * local mode's memory and 2 s of its start (bench section 5). The code is the same TypeScript,
 * compiled as tsx compiles it (CommonJS, dependencies required from node_modules); stack traces
 * still name the .ts files and lines (source maps).
 *
 * Cache: node_modules/.cache/jitgate/local-mode/. `<options hash>.json` records the files the
 * last build read (esbuild's metafile) with their hashes; a start whose options, lockfile and
 * esbuild version hash the same, and whose recorded files are unchanged, builds nothing.
 */
const { existsSync, mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const ENTRY = 'local/main.ts';
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'jitgate', 'local-mode');

const { hashInputs: hashFiles, prune, sha } = require('./build-cache.cjs');

/**
 * A module finds files next to its source (`__dirname`: the demo config, the worker's source, the
 * DynamoDB launcher's Java file); in one bundle each file's `__dirname` is still its own folder.
 */
const ownDirname = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.split(path.sep).includes('node_modules')) return undefined;
      const source = readFileSync(args.path, 'utf8');
      return { contents: source.replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path))), loader: 'ts' };
    });
  },
};

function buildOptions(outfile) {
  return {
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    packages: 'external',
    sourcemap: true,
    sourcesContent: false,
    // Names stay as written: error classes are matched by `name`, and stack traces read as the source.
    keepNames: true,
    logLevel: 'warning',
    metafile: true,
    plugins: [ownDirname],
  };
}

const hashInputs = (files) => hashFiles(ROOT, files);

function readManifest(file) {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8'));
    return typeof m.bundle === 'string' && m.inputs && typeof m.inputs === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The bundle to run: the cached one when its inputs are unchanged, else a new build. */
async function localModeBundle() {
  const esbuild = require('esbuild');
  const { outfile: _outfile, plugins: _plugins, ...options } = buildOptions('');
  const optionsHash = sha(
    // This file too: it holds the plugin.
    JSON.stringify({ esbuild: esbuild.version, root: ROOT, options }) +
      sha(readFileSync(path.join(ROOT, 'package-lock.json'))) +
      sha(readFileSync(__filename)),
  ).slice(0, 32);
  const manifestFile = path.join(CACHE_DIR, `${optionsHash}.json`);
  const cached = readManifest(manifestFile);
  if (cached) {
    const current = hashInputs(Object.keys(cached.inputs));
    // The bundle and its map must still be there (a cache cleaned by hand keeps no promise of the manifest's).
    const kept = [cached.bundle, `${cached.bundle}.map`].every((f) => existsSync(path.join(CACHE_DIR, f)));
    if (kept && current && JSON.stringify(current) === JSON.stringify(cached.inputs)) return used(cached.bundle, manifestFile);
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  // Named after its inputs, so a bundle another start is running is never overwritten.
  const staging = path.join(CACHE_DIR, `.staging-${process.pid}.cjs`);
  let result;
  try {
    result = await esbuild.build(buildOptions(staging));
  } catch (err) {
    rmSync(staging, { force: true });
    rmSync(`${staging}.map`, { force: true });
    throw err;
  } finally {
    // esbuild's service is a process of its own; local mode starts it again if its functions need bundling.
    await esbuild.stop();
  }
  const files = Object.keys(result.metafile.inputs)
    .filter((f) => !f.split('/').includes('node_modules'))
    .sort();
  const inputs = hashInputs(files);
  if (!inputs) throw new Error('a source file changed or vanished while local mode was being built; start again');
  const bundle = `${sha(optionsHash + JSON.stringify(inputs)).slice(0, 32)}.cjs`;
  renameSync(`${staging}.map`, path.join(CACHE_DIR, `${bundle}.map`));
  const text = readFileSync(staging, 'utf8').replace(/sourceMappingURL=.*$/m, `sourceMappingURL=${bundle}.map`);
  writeFileSync(staging, text);
  renameSync(staging, path.join(CACHE_DIR, bundle));
  writeFileSync(`${manifestFile}.${process.pid}`, JSON.stringify({ bundle, inputs }));
  renameSync(`${manifestFile}.${process.pid}`, manifestFile);
  // The bundles and manifests of older sources, once unused for a week.
  prune(CACHE_DIR);
  return used(bundle, manifestFile);
}

/** Marks a bundle, its map and its manifest used now (prune keeps them). */
function used(bundle, manifestFile) {
  const now = new Date();
  for (const file of [bundle, `${bundle}.map`]) utimesSync(path.join(CACHE_DIR, file), now, now);
  utimesSync(manifestFile, now, now);
  return path.join(CACHE_DIR, bundle);
}

localModeBundle().then(
  (bundle) => {
    process.setSourceMapsEnabled(true);
    require(bundle);
  },
  (err) => {
    console.error(`jitgate local mode failed to build: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
