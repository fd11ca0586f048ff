/**
 * On-demand capacity of counted DynamoDB calls, by AWS's documented rules: item sizes from
 * the attribute values as DynamoDB sizes them, and the writes each global secondary index
 * takes from the item before and after each write.
 */

/** An attribute value as sent on the wire (DynamoDB JSON): `{ S: 'x' }`, `{ N: '1' }`, `{ M: {...} }`, ... */
export type WireValue = Record<string, unknown>;
export type WireItem = Record<string, WireValue>;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** A number's size: 1 byte per two significant digits (leading and trailing zeroes trimmed), plus 1. */
function numberBytes(n: string): number {
  const digits = n
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** The bytes of a value without its name. */
function valueBytes(v: WireValue): number {
  const [type, x] = Object.entries(v)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return utf8(String(x));
    case 'N':
      return numberBytes(String(x));
    case 'B':
      return Buffer.from(String(x), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (x as string[]).reduce((s, e) => s + utf8(e), 0);
    case 'NS':
      return (x as string[]).reduce((s, e) => s + numberBytes(e), 0);
    case 'BS':
      return (x as string[]).reduce((s, e) => s + Buffer.from(e, 'base64').length, 0);
    case 'L':
      return 3 + (x as WireValue[]).reduce((s, e) => s + 1 + valueBytes(e), 0);
    case 'M':
      return 3 + Object.entries(x as WireItem).reduce((s, [name, e]) => s + 1 + utf8(name) + valueBytes(e), 0);
    default:
      throw new Error(`unknown DynamoDB attribute type ${type}`);
  }
}

/**
 * An item's size as DynamoDB bills it: each attribute's name plus its value; a number is 1 byte
 * per two significant digits plus 1; a boolean or null 1 byte; a list or map 3 bytes plus 1 byte per
 * element plus its elements (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 */
export function itemBytes(item: WireItem): number {
  return Object.entries(item).reduce((s, [name, v]) => s + utf8(name) + valueBytes(v), 0);
}

/** One counted call: what it did to which items (the Puts with the item written). */
export interface DynamoDbOp {
  /** GetItem, Query, PutItem, UpdateItem, DeleteItem, TransactWriteItems, ... */
  operation: string;
  /** What the keys name: request, grant slot, audit event, TOTP enrolment, idempotency key. */
  items: {
    action: 'Get' | 'Put' | 'Update' | 'Delete' | 'ConditionCheck' | 'Query';
    kind: string;
    key: string;
    bytes?: number;
    image?: WireItem;
  }[];
  transactional: boolean;
}

export interface CapacityLine {
  what: string;
  count: number;
  rru: number;
  wru: number;
}

/**
 * On-demand capacity units from the counted calls: a consistent read of up to 4 KB is
 * 1 RRU; a write is 1 WRU per KB of the item; in a transaction, twice that. Item sizes
 * come from the Puts seen (the largest version of each key); an item never seen is 1 KB.
 */
export function capacity(ops: readonly DynamoDbOp[]): { lines: CapacityLine[]; rru: number; wru: number } {
  const sizes = new Map<string, number>();
  for (const op of ops) for (const i of op.items) if (i.bytes !== undefined) sizes.set(i.key, Math.max(sizes.get(i.key) ?? 0, i.bytes));
  const lines = new Map<string, CapacityLine>();
  for (const op of ops) {
    for (const i of op.items) {
      const bytes = i.bytes ?? sizes.get(i.key) ?? 1024;
      const what = `${op.transactional ? 'TransactWriteItems: ' : ''}${i.action} ${i.kind}`;
      const line = lines.get(what) ?? { what, count: 0, rru: 0, wru: 0 };
      line.count++;
      if (i.action === 'Get' || i.action === 'Query') line.rru += Math.max(1, Math.ceil(bytes / 4096));
      else line.wru += Math.max(1, Math.ceil(bytes / 1024)) * (op.transactional ? 2 : 1);
      lines.set(what, line);
    }
  }
  const all = [...lines.values()].sort((a, b) => a.what.localeCompare(b.what));
  return { lines: all, rru: all.reduce((s, l) => s + l.rru, 0), wru: all.reduce((s, l) => s + l.wru, 0) };
}

/** A global secondary index as the template declares it. */
export interface IndexSpec {
  name: string;
  keys: string[];
  /** `ALL`, `KEYS_ONLY`, or the non-key attributes an `INCLUDE` projection copies. */
  projection: 'ALL' | 'KEYS_ONLY' | string[];
}

/** What a write puts in the index for an item: nothing when the item lacks the index's keys. */
function indexEntry(item: WireItem | undefined, index: IndexSpec, tableKeys: string[]): WireItem | undefined {
  if (!item || index.keys.some((k) => item[k] === undefined)) return undefined;
  if (index.projection === 'ALL') return item;
  const names = new Set([...tableKeys, ...index.keys, ...(index.projection === 'KEYS_ONLY' ? [] : index.projection)]);
  return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
}

const writeUnits = (entry: WireItem) => Math.max(1, Math.ceil(itemBytes(entry) / 1024));

/**
 * The write units one table write costs an index, from the item before and after it
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes):
 * an item entering the index is one write, one leaving it one write, a changed index key two (delete
 * and put), a change of projected attributes only one; a write that changes nothing the index holds,
 * or an item in the index neither before nor after, costs the index nothing. Each write is 1 WRU per
 * KB of the index entry.
 */
export function indexWriteUnits(before: WireItem | undefined, after: WireItem | undefined, index: IndexSpec, tableKeys: string[]): number {
  const was = indexEntry(before, index, tableKeys);
  const is = indexEntry(after, index, tableKeys);
  if (!was && !is) return 0;
  if (!was) return writeUnits(is!);
  if (!is) return writeUnits(was);
  const keyOf = (e: WireItem) => JSON.stringify(index.keys.map((k) => e[k]));
  if (keyOf(was) !== keyOf(is)) return writeUnits(was) + writeUnits(is);
  return canonical(was) === canonical(is) ? 0 : writeUnits(is);
}

/** JSON with every map's names in order, so two images compare by content, not by the order a writer listed them. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/**
 * The write units the indexes took over the counted calls, replayed in order: each Put against the
 * item the last Put of its key wrote (none: a new item), each Delete against it too. An Update's
 * result is not seen, so it is taken to change what the index holds of the item (the most it can
 * cost without moving the index key). Per index and per kind of item, as the capacity lines name it.
 */
export function indexWrites(
  ops: readonly DynamoDbOp[],
  indexes: readonly IndexSpec[],
  tableKeys: string[],
): { total: number; byIndex: Record<string, number>; byKind: Record<string, number> } {
  const images = new Map<string, WireItem>();
  const byIndex: Record<string, number> = Object.fromEntries(indexes.map((i) => [i.name, 0]));
  const byKind: Record<string, number> = {};
  for (const op of ops) {
    for (const i of op.items) {
      const before = images.get(i.key);
      for (const index of indexes) {
        const units =
          i.action === 'Put'
            ? indexWriteUnits(before, i.image, index, tableKeys)
            : i.action === 'Delete'
              ? indexWriteUnits(before, undefined, index, tableKeys)
              : i.action === 'Update' && before && indexEntry(before, index, tableKeys)
                ? writeUnits(indexEntry(before, index, tableKeys)!)
                : 0;
        byIndex[index.name] = (byIndex[index.name] ?? 0) + units;
        byKind[i.kind] = (byKind[i.kind] ?? 0) + units;
      }
      if (i.action === 'Put' && i.image) images.set(i.key, i.image);
      if (i.action === 'Delete') images.delete(i.key);
    }
  }
  return { total: Object.values(byIndex).reduce((s, n) => s + n, 0), byIndex, byKind };
}
