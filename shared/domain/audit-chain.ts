/**
 * The tamper-evident audit trail: every audit event carries `seq`, `prev` (the hash of
 * the event before it on its chain) and `hash` = SHA-256 over its canonical form, so an
 * auditor can prove that no event was edited, deleted, inserted or reordered.
 *
 * Chains (docs/ARCHITECTURE.md, "The audit chain"):
 * - one per request: its head (`auditSeq`, `auditHead`) lives on the request item and
 *   moves in the same version-conditioned transaction as the change the events record,
 *   so requests never wait on each other (no global hot item);
 * - the journal: events that belong to no request (a policy denial before any request
 *   exists), through one head item; those events are rare, so serializing them is cheap.
 *
 * The canonical form is the one function below, used by the writer (the store) and the
 * verifier (API and CLI, online and on an exported file). It is
 * versioned (`jitgate-audit-v1`), covers every stored field but `hash`, in sorted key
 * order, each value as canonical JSON, so no two events share a canonical form.
 */
import { createHash } from 'node:crypto';
import type { AuditEvent } from './audit';

export const CANONICAL_VERSION = 'jitgate-audit-v1';
/** `prev` of the first event of a chain. */
export const GENESIS = '0'.repeat(64);
/** The chain of the events that belong to no request. */
export const JOURNAL = 'journal';

export interface ChainLink {
  /** Position on its chain, from 1. */
  seq: number;
  /** `hash` of the event before, or GENESIS. */
  prev: string;
  /** SHA-256 (hex) of `canonicalForm` of this event. */
  hash: string;
  /** Set to "journal" on journal events; absent on a request's own chain. */
  chain?: typeof JOURNAL;
}

export type ChainedEvent = AuditEvent & ChainLink;

export interface ChainHead {
  seq: number;
  head: string;
}

export const EMPTY_CHAIN: ChainHead = { seq: 0, head: GENESIS };

/** `jitgate-audit-v1;actor="...";at="...";...`: every field but `hash`, keys sorted, values as canonical JSON. */
export function canonicalForm(event: Record<string, unknown>): string {
  const keys = Object.keys(event)
    .filter((k) => k !== 'hash' && event[k] !== undefined)
    .sort();
  return CANONICAL_VERSION + keys.map((k) => `;${k}=${canonicalJson(event[k])}`).join('');
}

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`audit events hold finite numbers only, got ${value}`);
      return JSON.stringify(value);
    case 'object': {
      const o = value as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
    }
    default:
      throw new Error(`audit events cannot hold a ${typeof value}`);
  }
}

export function eventHash(event: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalForm(event), 'utf8').digest('hex');
}

/** Links `events` after `head`, in order: the events to store and the new head. */
export function chainEvents(events: AuditEvent[], head: ChainHead, chain?: typeof JOURNAL): { events: ChainedEvent[]; head: ChainHead } {
  let { seq, head: prev } = head;
  const out: ChainedEvent[] = [];
  for (const e of events) {
    seq += 1;
    const unhashed = { ...e, seq, prev, ...(chain ? { chain } : {}) };
    const hash = eventHash(unhashed as unknown as Record<string, unknown>);
    out.push({ ...unhashed, hash });
    prev = hash;
  }
  return { events: out, head: { seq, head: prev } };
}

/** The event's id in reports: `<requestId>/<seq>` on a request's chain, `journal/<seq>` on the journal. */
export function eventId(e: { requestId: string; seq: number; chain?: string }): string {
  return e.chain === JOURNAL ? `${JOURNAL}/${e.seq}` : `${e.requestId}/${e.seq}`;
}

export type BreakReason = 'edited' | 'deleted' | 'inserted' | 'reordered';

export interface BrokenLink {
  id: string;
  requestId: string;
  reason: BreakReason;
  /** Why, in words, for the report. */
  detail: string;
  at?: string;
}

export interface ChainToCheck {
  /** A request id, or JOURNAL. */
  chain: string;
  /** What the head item says; undefined when it is missing (deleted). */
  head?: ChainHead;
  /** As stored: a request's events in sort-key order, the journal's in `seq` order. */
  events: ChainedEvent[];
  /** The walk starts mid-chain (`--since` on the journal): trust the first event's `prev`. */
  partial?: boolean;
}

export interface VerifyReport {
  ok: boolean;
  /** Events checked. */
  checked: number;
  /** Chains checked (requests, plus the journal). */
  chains: number;
  firstBroken?: { id: string; requestId: string; reason: BreakReason; detail: string };
}

/**
 * Walks one chain in stored order and returns its first broken link:
 * - edited: the event's fields no longer hash to its `hash`;
 * - reordered: it links to an event stored after it;
 * - inserted: it claims a place already taken, or links to nothing while claiming the next one,
 *   or the chain runs past the head its request (or the journal) records;
 * - deleted: it links past a gap, or the chain stops short of the recorded head, or the head item is gone.
 */
export function verifyChain(c: ChainToCheck): BrokenLink | undefined {
  const first = c.events[0];
  let expectedPrev = c.partial && first ? first.prev : GENESIS;
  let expectedSeq = c.partial && first ? first.seq : 1;
  const seen = new Set<string>();
  const onPath = pathFromHead(c);
  for (let i = 0; i < c.events.length; i++) {
    const e = c.events[i]!;
    const id = eventId(e);
    const base = { id, requestId: e.requestId, at: e.at };
    if (typeof e.hash !== 'string' || eventHash(e as unknown as Record<string, unknown>) !== e.hash) {
      return { ...base, reason: 'edited', detail: 'its fields do not match its hash' };
    }
    if (onPath && !onPath.has(e.hash))
      return { ...base, reason: 'inserted', detail: 'it is not on the chain that ends at the recorded head' };
    if (e.prev === expectedPrev && e.seq === expectedSeq) {
      seen.add(e.hash);
      expectedPrev = e.hash;
      expectedSeq += 1;
      continue;
    }
    if (c.events.slice(i + 1).some((later) => later.prev === expectedPrev)) {
      return { ...base, reason: 'reordered', detail: `stored before the event that should come at position ${expectedSeq}` };
    }
    const before = c.events[i - 1];
    if (e.seq === expectedSeq && before && !seen.has(e.prev) && !c.events.some((x) => x.hash === e.prev)) {
      return {
        id: eventId(before),
        requestId: before.requestId,
        at: before.at,
        reason: 'edited',
        detail: 'it was changed and hashed again: the next event links to its old hash',
      };
    }
    if (seen.has(e.prev) || e.seq <= expectedSeq) {
      return { ...base, reason: 'inserted', detail: `position ${expectedSeq} is already taken or it links to no event on the chain` };
    }
    return { ...base, reason: 'deleted', detail: `event(s) ${expectedSeq}..${e.seq - 1} before it are missing` };
  }
  const chainId = (seq: number) => (c.chain === JOURNAL ? `${JOURNAL}/${seq}` : `${c.chain}/${seq}`);
  const last = c.events[c.events.length - 1];
  if (!c.head) {
    return {
      id: chainId(0),
      requestId: c.chain,
      reason: 'deleted',
      detail: c.chain === JOURNAL ? 'the journal head is missing' : 'the request item is missing',
      ...(last ? { at: last.at } : {}),
    };
  }
  const walked = expectedSeq - 1;
  if (c.head.seq > walked) {
    return {
      id: chainId(walked + 1),
      requestId: c.chain === JOURNAL ? (last?.requestId ?? c.chain) : c.chain,
      reason: 'deleted',
      detail: `the head records ${c.head.seq} event(s); the chain stops at ${walked}`,
      ...(last ? { at: last.at } : {}),
    };
  }
  if (c.head.seq < walked || c.head.head !== expectedPrev) {
    return {
      id: last ? eventId(last) : chainId(walked),
      requestId: last?.requestId ?? c.chain,
      reason: 'inserted',
      detail: `the head records ${c.head.seq} event(s) ending in ${c.head.head.slice(0, 12)}…`,
      ...(last ? { at: last.at } : {}),
    };
  }
  return undefined;
}

/**
 * The hashes on the way back from the recorded head to the first event, when that way is
 * whole: then any event off it was inserted. (With a gap, the forward walk names the break.)
 */
function pathFromHead(c: ChainToCheck): Set<string> | undefined {
  if (!c.head) return undefined;
  const byHash = new Map(c.events.map((e) => [e.hash, e]));
  const start = c.partial ? c.events[0]?.prev : GENESIS;
  const path = new Set<string>();
  for (let h = c.head.head; h !== start; ) {
    const e = byHash.get(h);
    if (!e || path.has(h)) return undefined;
    path.add(h);
    h = e.prev;
  }
  return path;
}

/** Every chain; the first broken link is the earliest (by time, then id) of each chain's first break. */
export function verifyChains(chains: ChainToCheck[]): VerifyReport {
  let checked = 0;
  const breaks: BrokenLink[] = [];
  for (const c of chains) {
    checked += c.events.length;
    const b = verifyChain(c);
    if (b) breaks.push(b);
  }
  breaks.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? '') || a.id.localeCompare(b.id));
  const first = breaks[0];
  return {
    ok: !first,
    checked,
    chains: chains.length,
    ...(first ? { firstBroken: { id: first.id, requestId: first.requestId, reason: first.reason, detail: first.detail } } : {}),
  };
}

/** One line of an export (`jitgate audit export`): a chain's head, or an event with its hash. */
export type ExportLine = { kind: 'head'; chain: string; seq: number; head: string } | ({ kind: 'event' } & ChainedEvent);

/** Groups exported lines back into chains, keeping the stored order of the file. */
export function chainsFromExport(lines: ExportLine[], opts: { partialJournal?: boolean } = {}): ChainToCheck[] {
  const chains = new Map<string, ChainToCheck>();
  const get = (id: string) => {
    let c = chains.get(id);
    if (!c) chains.set(id, (c = { chain: id, events: [], ...(id === JOURNAL && opts.partialJournal ? { partial: true } : {}) }));
    return c;
  };
  for (const line of lines) {
    if (line.kind === 'head') get(line.chain).head = { seq: line.seq, head: line.head };
    else {
      const { kind: _kind, ...event } = line;
      get(event.chain === JOURNAL ? JOURNAL : event.requestId).events.push(event as ChainedEvent);
    }
  }
  return [...chains.values()];
}
