#!/usr/bin/env node
/**
 * `npm run lint` runs this after Biome: no line over 140 characters in the repository's code and JSON.
 * Biome's formatter wraps code to that width, but not comments or string literals; those are wrapped
 * by hand. Files are the ones git tracks or would track (ignored files are skipped).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 140;
const CHECKED = /\.(ts|js|mjs|cjs|json)$/;
// Generated, not written: the lock by npm, the schema by `npm run schema` (from the zod schema's descriptions).
const SKIPPED = new Set(['package-lock.json', 'jitgate.schema.json']);

const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
  .split('\0')
  .filter((f) => CHECKED.test(f) && !SKIPPED.has(f));

const long = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the work tree but not yet in the index
  }
  text.split('\n').forEach((line, i) => {
    const width = [...line].length; // characters, not UTF-16 units or bytes
    if (width > MAX) long.push(`${file}:${i + 1}: ${width} characters`);
  });
}

if (long.length) {
  console.error(`${long.length} line(s) over ${MAX} characters; wrap them (Biome does not wrap comments or strings):\n${long.join('\n')}`);
  process.exitCode = 1; // not process.exit(): that can cut the list short when stderr is a pipe
} else {
  console.log(`line length: ${files.length} files, no line over ${MAX} characters`);
}
