/**
 * The cost model's DynamoDB rules (bench/dynamodb-capacity.ts), on items small enough to count
 * by hand: sizes as AWS's "Item sizes and formats" page counts them, index writes as its GSI page.
 */
import { indexWriteUnits, indexWrites, itemBytes, type DynamoDbOp, type IndexSpec } from '../../../bench/dynamodb-capacity';

const TABLE_KEYS = ['pk', 'sk'];
const byRequester: IndexSpec = { name: 'gsi1', keys: ['gsi1pk', 'gsi1sk'], projection: 'ALL' };
const pending: IndexSpec = { name: 'gsi2', keys: ['gsi2pk', 'gsi2sk'], projection: 'KEYS_ONLY' };

describe('item sizes', () => {
  test('names and values; a number by its significant digits; a list or map 3 bytes plus 1 per element', () => {
    expect(itemBytes({ pk: { S: 'REQ#1' } })).toBe(2 + 5);
    // 12300 → "123": 2 bytes for three digits, plus 1.
    expect(itemBytes({ n: { N: '12300' } })).toBe(1 + 2 + 1);
    expect(itemBytes({ ok: { BOOL: true } })).toBe(2 + 1);
    // A map of one string: 3 + (1 + name + value).
    expect(itemBytes({ m: { M: { a: { S: 'xy' } } } })).toBe(1 + 3 + (1 + 1 + 2));
    // A list of two numbers: 3 + 2 × (1 + 2).
    expect(itemBytes({ l: { L: [{ N: '1' }, { N: '22' }] } })).toBe(1 + 3 + 2 * (1 + 2));
    expect(itemBytes({ s: { SS: ['ab', 'c'] } })).toBe(1 + 3);
  });
});

describe('index writes', () => {
  const request = (version: string, extra: Record<string, { S: string }> = {}) => ({
    pk: { S: 'REQ#1' },
    sk: { S: 'REQUEST' },
    gsi1pk: { S: 'REQUESTER#alice' },
    gsi1sk: { S: '2026-11-26' },
    version: { N: version },
    ...extra,
  });
  const inInbox = { gsi2pk: { S: 'PENDING' }, gsi2sk: { S: '2026-11-26' } };

  test('an item outside the index, before and after, costs it nothing', () => {
    expect(indexWriteUnits(request('1'), request('2'), pending, TABLE_KEYS)).toBe(0);
  });

  test('entering and leaving are one write each; a moved key two', () => {
    expect(indexWriteUnits(request('1'), request('2', inInbox), pending, TABLE_KEYS)).toBe(1);
    expect(indexWriteUnits(request('2', inInbox), request('3'), pending, TABLE_KEYS)).toBe(1);
    const moved = { ...request('2'), gsi1sk: { S: '2026-11-27' } };
    expect(indexWriteUnits(request('1'), moved, byRequester, TABLE_KEYS)).toBe(2);
  });

  test('a change of projected attributes only is one write; of attributes the index does not hold, none', () => {
    expect(indexWriteUnits(request('1'), request('2'), byRequester, TABLE_KEYS)).toBe(1);
    expect(indexWriteUnits(request('1', inInbox), request('2', inInbox), pending, TABLE_KEYS)).toBe(0);
  });

  test('a write is 1 WRU per KB of the index entry', () => {
    const big = request('2', { note: { S: 'x'.repeat(1500) } });
    expect(indexWriteUnits(undefined, big, byRequester, TABLE_KEYS)).toBe(2);
  });

  test('replayed over calls: each Put against the last image of its key, a Delete against it too', () => {
    const put = (image: ReturnType<typeof request>): DynamoDbOp => ({
      operation: 'PutItem',
      items: [{ action: 'Put', kind: 'request', key: 'REQ#1|REQUEST', image }],
      transactional: false,
    });
    const ops: DynamoDbOp[] = [
      put(request('1')),
      put(request('2', inInbox)),
      put(request('3')),
      { operation: 'DeleteItem', items: [{ action: 'Delete', kind: 'request', key: 'REQ#1|REQUEST' }], transactional: false },
    ];
    // gsi1: enters, changes twice, leaves; gsi2: enters, leaves.
    expect(indexWrites(ops, [byRequester, pending], TABLE_KEYS)).toEqual({
      total: 6,
      byIndex: { gsi1: 4, gsi2: 2 },
      byKind: { request: 6 },
    });
  });
});
