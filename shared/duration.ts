/** Durations in config: a number of seconds, or "90s", "30m", "8h", "2d". */
import * as z from 'zod';

/** "90s", "30m", "8h", "2d" or a number of seconds. */
export const durationSchema = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(s|m|h|d)$/, 'use a number of seconds or a string like "90s", "30m", "8h", "2d"')])
  .transform((v) => (typeof v === 'number' ? v : parseDuration(v)));

export function parseDuration(text: string): number {
  const n = Number(text.slice(0, -1));
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[text.slice(-1) as 's' | 'm' | 'h' | 'd'];
  return n * unit;
}

