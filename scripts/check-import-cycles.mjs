#!/usr/bin/env node
// Fails when the TypeScript sources import each other in a cycle (type-only imports included:
// a cycle of types still means two modules that cannot be understood one at a time).
// Usage: node scripts/check-import-cycles.mjs   (run by `npm run lint`)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const roots = ['shared', 'functions', 'infra', 'local', 'cli', 'client', 'middleware', 'bench'];
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...roots.map((r) => `${r}/*.ts`)], {
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => f.endsWith('.ts') && existsSync(f));

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"](\.{1,2}\/[^'"]+)['"]/g;

function resolve(from, spec) {
  const base = path.normalize(path.join(path.dirname(from), spec));
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const graph = new Map();
for (const file of files) {
  const targets = new Set();
  for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
    const target = resolve(file, match[1]);
    if (target) targets.add(target);
  }
  graph.set(file, [...targets]);
}

// Tarjan's strongly connected components: every component with more than one file is a cycle.
let index = 0;
const indices = new Map();
const lowlinks = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function connect(v) {
  indices.set(v, index);
  lowlinks.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!indices.has(w)) {
      connect(w);
      lowlinks.set(v, Math.min(lowlinks.get(v), lowlinks.get(w)));
    } else if (onStack.has(w)) {
      lowlinks.set(v, Math.min(lowlinks.get(v), indices.get(w)));
    }
  }
  if (lowlinks.get(v) === indices.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  }
}
for (const file of graph.keys()) if (!indices.has(file)) connect(file);

if (cycles.length > 0) {
  for (const cycle of cycles) process.stderr.write(`import cycle: ${cycle.join(' ↔ ')}\n`);
  process.stderr.write(`${cycles.length} import cycle(s): move what both sides need into a module of its own.\n`);
  process.exit(1);
}
process.stdout.write(`no import cycles among ${graph.size} modules\n`);
