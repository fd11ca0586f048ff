/**
 * Characters that change how text looks without being seen: bidirectional controls
 * (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C), which can make text read
 * backwards (Trojan Source, CVE-2021-42574), and zero-width ones (U+200B-U+200D,
 * U+2060, U+FEFF, the soft hyphen U+00AD), which make two strings look alike.
 * An approver must see them, and they must not count as something written.
 */
const HIDDEN = /[\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Each hidden character shown as its code point, e.g. `[U+202E]`, so an approver sees it is there. */
export function showHidden(text: string): string {
  return text.replace(HIDDEN, (c) => `[U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
}

/**
 * Made on first use, not at module scope: a Segmenter loads ICU's break rules, ~15 ms of the
 * authorize function's cold start (bench section 8), which imports this module through
 * request-checks.ts and never counts (justifications are counted when a request is created).
 */
let graphemes: Intl.Segmenter | undefined;

/**
 * How many characters a reader sees: user-perceived characters (a letter with its
 * combining marks is one), without hidden characters or controls, with each run of
 * whitespace counted once and none at the ends.
 */
export function visibleLength(text: string): number {
  const seen = text.replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim();
  let n = 0;
  // Segmented first: a zero-width joiner inside an emoji sequence belongs to it; one on its own shows nothing.
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(seen)) if (segment.replace(HIDDEN, '').length > 0) n++;
  return n;
}
