'use strict';
/**
 * What both build caches of local mode share: `npm start`'s own bundle (local/start.cjs, plain
 * CommonJS that runs before anything is compiled, hence this file's form) and the function
 * bundles (local/lambda/bundles.ts). A build records the files it read with their hashes; a later
 * start whose recorded files hash the same reuses it; what no start has used for a week goes.
 */
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync, rmSync, statSync } = require('node:fs');
const path = require('node:path');

/** SHA-256, hex. */
const sha = (data) => createHash('sha256').update(data).digest('hex');

/** Each file (relative to `root`) with its hash; undefined when one cannot be read (changed or gone). */
function hashInputs(root, files) {
  const out = {};
  for (const file of files) {
    try {
      out[file] = sha(readFileSync(path.join(root, file)));
    } catch {
      return undefined;
    }
  }
  return out;
}

/** Cache entries not used (their mtime touched) for this long are removed when a start builds. */
const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;

/** Removes the entries of `dir` (files or directories) unused for PRUNE_AFTER_MS, but those named in `keep`. */
function prune(dir, keep = new Set()) {
  const cutoff = Date.now() - PRUNE_AFTER_MS;
  for (const name of readdirSync(dir)) {
    // (A staging entry of a build under way is fresh; one left by a crash ages out like the rest.)
    if (keep.has(name)) continue;
    const file = path.join(dir, name);
    try {
      if (statSync(file).mtimeMs < cutoff) rmSync(file, { recursive: true, force: true });
    } catch {
      /* removed meanwhile by another start */
    }
  }
}

module.exports = { sha, hashInputs, prune };
