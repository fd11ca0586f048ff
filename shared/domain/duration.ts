/**
 * Durations in config: a number of seconds, or "90s", "30m", "8h", "2d".
 *
 * Every duration ends up as a Step Functions wait or timeout, so it is bounded by what
 * Step Functions honours: at least 1 second (a timeout of 0 fails the execution with
 * States.Runtime), and at most one year, the longest a Standard execution lives; a
 * longer grant would never reach its Expire step.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
import * as z from 'zod';

export const MIN_DURATION_SECONDS = 1;
/** A Standard execution's maximum duration: one year (365 days). */
export const MAX_EXECUTION_SECONDS = 365 * 86400;

const FORMAT = 'use a number of seconds or a string like "90s", "30m", "8h", "2d"';

function bounded(schema: z.ZodNumber): z.ZodNumber {
  return schema
    .min(MIN_DURATION_SECONDS, {
      error: (issue) =>
        `${String(issue.input)} s is too short: Step Functions waits and times out in whole seconds from 1 (a timeout of 0 fails ` +
        'the execution with States.Runtime); use at least "1s"',
    })
    .max(MAX_EXECUTION_SECONDS, {
      error: (issue) =>
        `${String(issue.input)} s is longer than a request's workflow can live (a Step Functions Standard execution: ` +
        `at most one year, ${MAX_EXECUTION_SECONDS} s); use at most "365d"`,
    });
}

/** "90s", "30m", "8h", "2d" or a number of seconds, from 1 second to one year. */
export const durationSchema = z
  .union([bounded(z.number().int(FORMAT)), z.string().regex(/^\d+(s|m|h|d)$/, FORMAT)])
  .transform((v) => (typeof v === 'number' ? v : parseDuration(v)))
  .pipe(bounded(z.number()));

export function parseDuration(text: string): number {
  const n = Number(text.slice(0, -1));
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[text.slice(-1) as 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

/** "3 d 4 h" style, for messages. */
export function describeSeconds(seconds: number): string {
  const parts: string[] = [];
  let rest = seconds;
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join(' ') || '0s';
}
