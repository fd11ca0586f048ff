/**
 * Strict schemas refuse keys they do not know, and zod says only `Unrecognized key:
 * "duration"`. The key is usually a misspelling of one the schema does know; this
 * names it (`(did you mean "durationSeconds"?)`), for API bodies and the config alike.
 */
import type * as z from 'zod';
import { nearest } from '../domain/suggest';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Through optional, default, pipe and the like to the schema that holds the value. */
function unwrap(schema: z.ZodType): z.ZodType {
  for (let s = schema, i = 0; i < 20; i++) {
    const def = defOf(s);
    const next = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!next) return s;
    s = next;
  }
  return schema;
}

/** The keys the object schema at `path` accepts; none when the path leads elsewhere (a union, say). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    const def = defOf(s);
    if (def.type === 'object') s = def.shape?.[String(segment)];
    else if (def.type === 'array') s = def.element;
    else if (def.type === 'record') s = def.valueType;
    else s = undefined;
    if (!s) return [];
    s = unwrap(s);
  }
  const def = defOf(s);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** zod's message for an unrecognized key, with the nearest known key for each key it names. */
export function unknownKeysMessage(
  schema: z.ZodType,
  issue: { message: string; path: readonly PropertyKey[]; keys: readonly string[] },
): string {
  // A schema with its own message for this (a condition's, say) has said what to write instead.
  if (!issue.message.startsWith('Unrecognized key')) return issue.message;
  return withKnownKeys(issue.message, issue.keys, knownKeysAt(schema, issue.path));
}

/** An unrecognized-key message with the nearest known key for each key it names, or the known keys. */
export function withKnownKeys(message: string, keys: readonly string[], known: readonly string[]): string {
  const hints = keys.flatMap((key) => {
    const near = nearest(key, known);
    return near === undefined ? [] : [keys.length === 1 ? `did you mean "${near}"?` : `"${key}": did you mean "${near}"?`];
  });
  if (hints.length) return `${message} (${hints.join('; ')})`;
  return known.length ? `${message}; the keys here are ${known.join(', ')}` : message;
}
