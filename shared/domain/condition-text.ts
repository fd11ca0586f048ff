/**
 * Conditions in words, for reasons and listings. Apart from the schema in
 * config/condition-config.ts, so the functions that only describe a condition (authorize's
 * reasons) do not evaluate zod at every cold start.
 */
import type { Condition } from '../config/condition-config';

/** A condition in words: `groups contains "engineering" and not employment equals "contractor"`. */
export function describeCondition(c: Condition): string {
  if ('all' in c) return c.all.map((d) => wrap(d, 'all')).join(' and ');
  if ('any' in c) return c.any.map((d) => wrap(d, 'any')).join(' or ');
  if ('not' in c) return `not ${wrap(c.not, 'not')}`;
  const from = c.issuers ? ` (from ${c.issuers.join(' or ')})` : '';
  if ('equals' in c) return `${c.claim} equals ${JSON.stringify(c.equals)}${from}`;
  if ('oneOf' in c) return `${c.claim} is one of ${c.oneOf.map((v) => JSON.stringify(v)).join(', ')}${from}`;
  if ('contains' in c) return `${c.claim} contains ${JSON.stringify(c.contains)}${from}`;
  return (c.exists ? `${c.claim} is present` : `${c.claim} is absent`) + from;
}

function wrap(c: Condition, parent: 'all' | 'any' | 'not'): string {
  const text = describeCondition(c);
  const compound = ('all' in c && c.all.length > 1) || ('any' in c && c.any.length > 1);
  return compound && !(parent === 'all' && 'all' in c) && !(parent === 'any' && 'any' in c) ? `(${text})` : text;
}
