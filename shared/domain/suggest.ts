/**
 * Nearest-name suggestions for error messages ("did you mean durationSeconds?"): a
 * misspelt action, body key or group name is the commonest mistake of a new user,
 * and a message that names the right spelling saves a trip to the docs.
 */

/**
 * Damerau-Levenshtein distance, optimal string alignment variant: insertions,
 * deletions, substitutions and transpositions of two adjacent characters each cost 1
 * (`delte` → `delete` is 1, `dleete` → `delete` is 1).
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  // Three rows suffice: the transposition looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current[j] = d;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/**
 * The candidate closest to `word`, if one is close enough to be a likely intent:
 * within a quarter of the longer name's length (1 to 3 edits), compared without case,
 * or one a prefix of the other (`duration` for `durationSeconds`). Ties go to the
 * earlier candidate; `word` itself is never suggested.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const name of candidates) {
    if (name === word) continue;
    const n = name.toLowerCase();
    const distance = editDistance(w, n);
    // A quarter of the longer name, 1 to 3 edits: enough for a slip of the fingers, not enough to turn
    // `projects:create` into `projects:delete` (4 edits), a suggestion worse than none.
    const limit = Math.min(3, Math.max(1, Math.floor(Math.max(w.length, n.length) / 4)));
    const prefix = Math.min(w.length, n.length) >= 3 && (n.startsWith(w) || w.startsWith(n));
    if (distance > limit && !prefix) continue;
    // A prefix match ranks as if it were one edit away: closer than a typo of two letters.
    const score = prefix ? Math.min(distance, 1) : distance;
    if (!best || score < best.score) best = { name, score };
  }
  return best?.name;
}

/** ` (did you mean "x"?)` to follow the name in a message, or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const name = nearest(word, candidates);
  return name === undefined ? '' : ` (did you mean "${name}"?)`;
}
