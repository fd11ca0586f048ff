'use strict';
/**
 * The content hashes both build caches of local mode key on: `npm start`'s own bundle
 * (local/start.cjs, plain CommonJS that runs before anything is compiled, hence this file's
 * form) and the function bundles (local/lambda/bundles.ts). A build records the files it read
 * with their hashes; a later start whose recorded files hash the same reuses it.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
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

module.exports = { sha, hashInputs };
