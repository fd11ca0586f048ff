/**
 * Globs in policies: `*` matches any run of characters (none included, `:` and `/`
 * included); every other character is literal. Also the arithmetic the config
 * validation needs: how specific a pattern is, and whether two patterns can both
 * match some string (decided exactly, not guessed).
 */

export function isGlob(pattern: string): boolean {
  return pattern.includes('*');
}

/**
 * How specific a pattern is: 2 points per literal character, plus 1 for a pattern
 * without `*`. So an exact name always beats every glob that matches it (a glob
 * matching an n-character name has at most n literal characters), and a longer
 * literal glob beats a shorter one (`prod:db:*` over `prod:*`).
 */
export function specificity(pattern: string): number {
  let literals = 0;
  for (const c of pattern) if (c !== '*') literals++;
  return literals * 2 + (isGlob(pattern) ? 0 : 1);
}

/** The literal text before the first `*` (the whole pattern when it has none). */
export function literalPrefix(pattern: string): string {
  const i = pattern.indexOf('*');
  return i < 0 ? pattern : pattern.slice(0, i);
}

/** The literal text after the last `*` (the whole pattern when it has none). */
export function literalSuffix(pattern: string): string {
  const i = pattern.lastIndexOf('*');
  return i < 0 ? pattern : pattern.slice(i + 1);
}

const regexCache = new Map<string, RegExp>();

/** The whole string must match; regex metacharacters other than `*` are literal. */
export function globToRegex(glob: string): RegExp {
  let re = regexCache.get(glob);
  if (!re) {
    re = new RegExp(
      `^${glob
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^]*')}$`,
    );
    regexCache.set(glob, re);
  }
  return re;
}

/** A matcher for one pattern: string equality for exact names, a regex for globs. */
export function compileGlob(pattern: string): (value: string) => boolean {
  if (!isGlob(pattern)) return (value) => value === pattern;
  if (pattern === '*') return () => true;
  const re = globToRegex(pattern);
  return (value) => re.test(value);
}

/**
 * A string both patterns match, or undefined when no string does. Walks the product
 * of the two patterns' automata breadth first (states: a position in each pattern),
 * O(|a|·|b|). The witness is built from literal characters only, so it is short.
 */
export function commonMatch(a: string, b: string): string | undefined {
  if (!isGlob(a)) return compileGlob(b)(a) ? a : undefined;
  if (!isGlob(b)) return compileGlob(a)(b) ? b : undefined;
  // Cheap necessary conditions first: literal prefixes and suffixes must agree.
  const [pa, pb] = [literalPrefix(a), literalPrefix(b)];
  if (!pa.startsWith(pb) && !pb.startsWith(pa)) return undefined;
  const [sa, sb] = [literalSuffix(a), literalSuffix(b)];
  if (!sa.endsWith(sb) && !sb.endsWith(sa)) return undefined;

  const width = b.length + 1;
  const parent = new Int32Array((a.length + 1) * width).fill(-2); // -2 unvisited, -1 start
  const via: string[] = new Array((a.length + 1) * width);
  const queue: number[] = [0];
  parent[0] = -1;
  via[0] = '';
  const goal = a.length * width + b.length;
  const visit = (from: number, i: number, j: number, c: string) => {
    const s = i * width + j;
    if (parent[s] !== -2) return;
    parent[s] = from;
    via[s] = c;
    queue.push(s);
  };
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!;
    if (s === goal) {
      let out = '';
      for (let t = s; t > 0; t = parent[t]!) out = via[t] + out;
      return out;
    }
    const i = Math.floor(s / width);
    const j = s % width;
    const ca = a[i];
    const cb = b[j];
    // A `*` may match nothing more: step past it.
    if (ca === '*') visit(s, i + 1, j, '');
    if (cb === '*') visit(s, i, j + 1, '');
    if (ca === undefined || cb === undefined) continue;
    if (ca !== '*' && cb !== '*') {
      if (ca === cb) visit(s, i + 1, j + 1, ca);
    } else if (ca === '*' && cb !== '*') visit(s, i, j + 1, cb);
    else if (ca !== '*' && cb === '*') visit(s, i + 1, j, ca);
  }
  return undefined;
}
