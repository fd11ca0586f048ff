import { auditEvent } from '../../../shared/domain/audit';
import {
  canonicalForm,
  chainEvents,
  chainsFromExport,
  EMPTY_CHAIN,
  eventHash,
  GENESIS,
  JOURNAL,
  verifyChain,
  verifyChains,
  type ChainedEvent,
} from '../../../shared/domain/audit-chain';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const alice = 'https://idp.example.com#alice';

function chain(n = 4): { events: ChainedEvent[]; head: { seq: number; head: string } } {
  const events = Array.from({ length: n }, (_, i) =>
    auditEvent('r1', i === 0 ? 'created' : 'approved', alice, at(i), {
      reason: `step ${i}`,
      details: { i, nested: { b: 1, a: [1, 'x'] } },
    }),
  );
  return chainEvents(events, EMPTY_CHAIN);
}

test('the canonical form is versioned, sorted, and ignores key order and the hash itself', () => {
  const a = { type: 'activated', actor: 'jitgate', at: '2026-01-01T00:00:00.000Z', requestId: 'r1', seq: 5, prev: GENESIS };
  const b = {
    prev: GENESIS,
    seq: 5,
    requestId: 'r1',
    at: '2026-01-01T00:00:00.000Z',
    actor: 'jitgate',
    type: 'activated',
    hash: 'ignored',
  };
  expect(canonicalForm(a)).toBe(
    `jitgate-audit-v1;actor="jitgate";at="2026-01-01T00:00:00.000Z";prev="${GENESIS}";requestId="r1";seq=5;type="activated"`,
  );
  expect(canonicalForm(b)).toBe(canonicalForm(a));
  expect(canonicalForm({ details: { b: 1, a: 2 } })).toBe(canonicalForm({ details: { a: 2, b: 1 } }));
  // No ambiguity between fields: moving text from one field to the next changes the form.
  expect(canonicalForm({ a: 'x;b=', b: 'y' })).not.toBe(canonicalForm({ a: 'x', b: ';b=y' }));
  expect(eventHash(a)).toMatch(/^[0-9a-f]{64}$/);
});

test('events carry the actor issuer and link in order from the genesis', () => {
  const { events, head } = chain(3);
  expect(events[0]).toMatchObject({ issuer: 'https://idp.example.com', seq: 1, prev: GENESIS });
  expect(events[1]!.prev).toBe(events[0]!.hash);
  expect(head).toEqual({ seq: 3, head: events[2]!.hash });
  expect(auditEvent('r1', 'expired', 'jitgate', at(0)).issuer).toBeUndefined();
  expect(verifyChain({ chain: 'r1', head, events })).toBeUndefined();
});

test('each kind of tampering is named, with the first broken event', () => {
  const { events, head } = chain(5);
  const ok = () => events.map((e) => ({ ...e }));

  const edited = ok();
  edited[2]!.reason = 'nothing to see';
  expect(verifyChain({ chain: 'r1', head, events: edited })).toMatchObject({ id: 'r1/3', reason: 'edited' });

  const rehashed = ok();
  rehashed[1]!.reason = 'rewritten';
  rehashed[1]!.hash = eventHash(rehashed[1]! as unknown as Record<string, unknown>);
  expect(verifyChain({ chain: 'r1', head, events: rehashed })).toMatchObject({ id: 'r1/2', reason: 'edited' });

  const deleted = ok().filter((e) => e.seq !== 3);
  expect(verifyChain({ chain: 'r1', head, events: deleted })).toMatchObject({ id: 'r1/4', reason: 'deleted' });

  const tail = ok().slice(0, 4);
  expect(verifyChain({ chain: 'r1', head, events: tail })).toMatchObject({ id: 'r1/5', reason: 'deleted' });
  expect(verifyChain({ chain: 'r1', head, events: [] })).toMatchObject({ id: 'r1/1', reason: 'deleted' });
  expect(verifyChain({ chain: 'r1', events: ok() })).toMatchObject({ requestId: 'r1', reason: 'deleted' });

  const reordered = ok();
  [reordered[1], reordered[2]] = [reordered[2]!, reordered[1]!];
  expect(verifyChain({ chain: 'r1', head, events: reordered })).toMatchObject({ id: 'r1/3', reason: 'reordered' });

  // A forged event with a correct hash of its own, linked after event 2: off the chain that ends at the head.
  const forged = chainEvents([auditEvent('r1', 'approved', alice, at(9))], { seq: 2, head: events[1]!.hash }).events[0]!;
  const inserted = ok();
  inserted.splice(2, 0, forged);
  expect(verifyChain({ chain: 'r1', head, events: inserted })).toMatchObject({ id: 'r1/3', reason: 'inserted' });
  const appended = [...ok(), chainEvents([auditEvent('r1', 'approved', alice, at(9))], head).events[0]!];
  expect(verifyChain({ chain: 'r1', head, events: appended })).toMatchObject({ id: 'r1/6', reason: 'inserted' });
});

test('verifyChains reports the earliest break across chains; an export round-trips', () => {
  const a = chain(3);
  const journal = chainEvents([auditEvent('p1', 'denied_by_policy', alice, at(1))], EMPTY_CHAIN, JOURNAL);
  const lines = [
    { kind: 'head' as const, chain: 'r1', ...a.head },
    ...a.events.map((e) => ({ kind: 'event' as const, ...e })),
    { kind: 'head' as const, chain: JOURNAL, ...journal.head },
    ...journal.events.map((e) => ({ kind: 'event' as const, ...e })),
  ];
  const chains = chainsFromExport(JSON.parse(JSON.stringify(lines)));
  expect(verifyChains(chains)).toEqual({ ok: true, checked: 4, chains: 2 });
  chains.find((c) => c.chain === JOURNAL)!.events = [];
  expect(verifyChains(chains)).toMatchObject({ ok: false, firstBroken: { id: 'journal/1', reason: 'deleted' } });
});
