/**
 * Small statistics and timing helpers for the benchmarks: medians and percentiles,
 * a per-call timing loop on `process.hrtime.bigint()`, interleaved batches (so two
 * things compared share the machine's noise), and the result/table shapes the
 * sections hand to `bench/main.ts`.
 */

// ---------------------------------------------------------------------------------
// Numbers

export function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

export function summarize(xs: readonly number[]): Summary {
  const s = sorted(xs);
  return { n: s.length, median: median(s), p95: percentile(s, 95), min: s[0] ?? Number.NaN, max: s.at(-1) ?? Number.NaN, mean: mean(s) };
}

// ---------------------------------------------------------------------------------
// Timing

export const now = (): bigint => process.hrtime.bigint();

/** Nanoseconds since `t0` as a number. */
export const since = (t0: bigint): number => Number(process.hrtime.bigint() - t0);

/**
 * Times each call of `fn` separately; returns nanoseconds per call. A promise is
 * awaited (inside the timing); a plain value is not, so a synchronous function pays
 * no microtask turn.
 */
export async function timeCalls(fn: () => unknown, iterations: number): Promise<number[]> {
  const out = new Array<number>(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    const r = fn();
    if (r instanceof Promise) await r;
    out[i] = Number(process.hrtime.bigint() - t0);
  }
  return out;
}

/** Synchronous variant: no `await` between calls (an `await` alone costs a microtask turn). */
export function timeCallsSync(fn: () => unknown, iterations: number): number[] {
  const out = new Array<number>(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    out[i] = Number(process.hrtime.bigint() - t0);
  }
  return out;
}

export interface InterleaveOptions {
  /** Calls of each contender before anything is recorded. */
  warmup: number;
  /** Recorded calls of each contender, in total. */
  iterations: number;
  /** Calls per batch; contenders take turns batch by batch (the order alternates). */
  batch: number;
  /** Synchronous functions: time them without awaiting. */
  sync?: boolean;
}

/**
 * Runs every contender `warmup` times, then `iterations` times in batches of `batch`,
 * taking turns (A B, then B A, ...) so slow drifts of the machine hit all of them alike.
 * Returns nanoseconds per call for each contender.
 */
export async function interleave<K extends string>(
  contenders: Record<K, () => unknown>,
  opts: InterleaveOptions,
): Promise<Record<K, number[]>> {
  const names = Object.keys(contenders) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  const run = async (name: K, count: number) =>
    opts.sync ? timeCallsSync(contenders[name], count) : await timeCalls(contenders[name], count);
  for (const name of names) await run(name, opts.warmup);
  let round = 0;
  while (samples[names[0]!].length < opts.iterations) {
    const count = Math.min(opts.batch, opts.iterations - samples[names[0]!].length);
    const order = round++ % 2 === 0 ? names : [...names].reverse();
    for (const name of order) samples[name].push(...(await run(name, count)));
  }
  return samples;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `worker` over `items` with at most `limit` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, worker: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await worker(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

// ---------------------------------------------------------------------------------
// Formatting

export const fmtMs = (ns: number, digits = 3) => `${(ns / 1e6).toFixed(digits)} ms`;
export const fmtUs = (ns: number, digits = 1) => `${(ns / 1e3).toFixed(digits)} µs`;
export const fmtNs = (ns: number) => `${ns.toFixed(0)} ns`;
export const fmtRatio = (r: number) => `${r.toFixed(2)}x`;
export const fmtKb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
export const fmtMb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const fmtUsd = (usd: number, digits = 4) => `$${usd.toFixed(digits)}`;

// ---------------------------------------------------------------------------------
// What a section returns

export interface Target {
  /** What the target says, e.g. "≤ 1.5x". */
  text: string;
  pass: boolean;
}

export interface Row {
  name: string;
  value: string;
  /** Extra columns (p95, details...). */
  detail?: string;
  target?: Target;
}

export interface SectionResult {
  title: string;
  rows: Row[];
  notes: string[];
}

export function target(text: string, pass: boolean): Target {
  return { text, pass };
}

/** A plain text table; columns sized to their content. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderSection(result: SectionResult): string {
  const rows = result.rows.map((r) => [
    r.name,
    r.value,
    r.detail ?? '',
    r.target?.text ?? '',
    r.target ? (r.target.pass ? 'PASS' : 'MISS') : '',
  ]);
  const out = [`== ${result.title} ==`, table(['measure', 'value', 'detail', 'target', ''], rows)];
  for (const note of result.notes) out.push(`  · ${note}`);
  return out.join('\n');
}
