/**
 * Page cursors: opaque to clients (base64url of the DynamoDB LastEvaluatedKey), and
 * checked on the way back in. A cursor is accepted only with exactly the key fields
 * of the query it came from and that query's own partition, so a forged cursor cannot
 * start a page in someone else's partition or make DynamoDB fail: it is a 400.
 */
import { ValidationFailed } from './errors';

export type PageKey = Record<string, string>;

/** The key fields a query's cursor has, and the values fixed by the query (its partition). */
export interface CursorShape {
  fields: readonly string[];
  fixed: Record<string, string>;
}

const MAX_FIELD = 2048;

export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, shape: CursorShape): PageKey {
  const refuse = (why: string) =>
    new ValidationFailed(
      `cursor is not valid (${why}); pass the "cursor" of the previous page of the same query unchanged, or start again without it`,
      [{ path: 'cursor', message: 'not a cursor of this query' }],
    );
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw refuse('not base64url');
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(cursor, 'base64url')));
  } catch {
    throw refuse('not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refuse('not an object');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== shape.fields.length || !shape.fields.every((f) => Object.hasOwn(value as object, f))) throw refuse('wrong fields');
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_FIELD) throw refuse(`bad ${k}`);
    if (Object.hasOwn(shape.fixed, k) && shape.fixed[k] !== v) throw refuse('from another query');
  }
  const key = value as PageKey;
  if (!/^REQ#[A-Za-z0-9-]{1,64}$/.test(key.pk ?? '')) throw refuse('bad pk');
  return key;
}

/** The `limit` and `cursor` query parameters every list takes. */
export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 200;
