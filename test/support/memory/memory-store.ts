/**
 * The use cases' Store in memory, with the contracts of the DynamoDB one
 * (shared/adapters/): a write is refused with ConcurrentModification unless the version
 * read is still the stored one; a request claims its grant slot when it is created,
 * activates it when it becomes active and frees it when it ends; audit events are
 * hash-chained per request (the journal for events of no request), so `verifyChains`
 * holds here too. Everything is copied in and out, so a test cannot change what is
 * stored by holding on to a result.
 */
import type { AuditEvent } from '../../../shared/domain/audit';
import {
  chainEvents,
  EMPTY_CHAIN,
  JOURNAL,
  type ChainedEvent,
  type ChainHead,
  type ChainToCheck,
} from '../../../shared/domain/audit-chain';
import type { PageKey } from '../../../shared/domain/cursor';
import { ConcurrentModification } from '../../../shared/domain/errors';
import type { GrantSlot } from '../../../shared/domain/grant';
import { TERMINAL, type JitRequest } from '../../../shared/domain/request';
import type {
  AuditFilter,
  AuditPage,
  CreateOptions,
  CreateOutcome,
  PendingPage,
  RequestChange,
  RequesterPage,
  Store,
  StoredRequest,
  TaskTokens,
} from '../../../shared/usecases/ports';
import { MemoryUserRecords } from './memory-user-records';

const copy = <T>(value: T): T => structuredClone(value);
const slotOf = (r: { requester: { id: string }; action: string; resource: string }) => `${r.requester.id} ${r.action} ${r.resource}`;

export class MemoryStore extends MemoryUserRecords implements Store {
  private readonly requests = new Map<string, StoredRequest>();
  private readonly slots = new Map<string, GrantSlot>();
  private readonly idempotency = new Map<string, string>();
  private readonly chains = new Map<string, ChainedEvent[]>();
  private readonly journal: ChainedEvent[] = [];
  private journalHead: ChainHead = EMPTY_CHAIN;

  async getRequest(id: string): Promise<StoredRequest | undefined> {
    const stored = this.requests.get(id);
    return stored && copy(stored);
  }

  async getGrantSlot(principal: string, action: string, resource: string): Promise<GrantSlot | undefined> {
    const slot = this.slots.get(slotOf({ requester: { id: principal }, action, resource }));
    return slot && copy(slot);
  }

  async createRequest(request: JitRequest, audit: AuditEvent[], opts: CreateOptions): Promise<CreateOutcome> {
    const idemKey = opts.idempotencyKey && `${request.requester.id} ${opts.idempotencyKey}`;
    if (idemKey && this.idempotency.has(idemKey))
      return { created: false, existingRequestId: this.idempotency.get(idemKey)!, reason: 'idempotency' };
    const held = request.extends === undefined ? this.slots.get(slotOf(request)) : undefined;
    if (held && held.requestId !== opts.replaceSlotOf) return { created: false, existingRequestId: held.requestId, reason: 'slot' };
    if (!held && opts.replaceSlotOf) throw new ConcurrentModification();
    if (this.requests.has(request.id)) throw new ConcurrentModification();
    const chained = chainEvents(ownEvents(request.id, audit), EMPTY_CHAIN);
    this.requests.set(request.id, { request: copy(request), tokens: {}, chain: chained.head });
    this.chains.set(request.id, chained.events);
    // An extension holds no slot: the grant it extends keeps its own.
    if (request.extends === undefined)
      this.slots.set(slotOf(request), { requestId: request.id, status: 'pending', mode: request.requirements.grant.mode });
    if (idemKey) this.idempotency.set(idemKey, request.id);
    return { created: true };
  }

  async idempotentRequestId(principal: string, key: string): Promise<string | undefined> {
    return this.idempotency.get(`${principal} ${key}`);
  }

  async releaseIdempotencyKey(principal: string, key: string, requestId: string): Promise<void> {
    if (this.idempotency.get(`${principal} ${key}`) === requestId) this.idempotency.delete(`${principal} ${key}`);
  }

  async saveRequest(before: StoredRequest, after: JitRequest, audit: AuditEvent[], tokens: TaskTokens = before.tokens): Promise<void> {
    await this.saveRequests([{ before, after, audit, tokens }]);
  }

  /** All or nothing, as DynamoDB's transaction: every version is checked before anything is written. */
  async saveRequests(changes: RequestChange[]): Promise<void> {
    for (const { before, after } of changes) {
      const current = this.requests.get(after.id);
      if (!current || current.request.version !== before.request.version) throw new ConcurrentModification();
      // As DynamoDB's condition on the slot: an activation needs the slot to be this request's.
      const activates = after.status === 'active' && before.request.status !== 'active';
      if (activates && this.slots.get(slotOf(after))?.requestId !== after.id) throw new ConcurrentModification();
    }
    for (const change of changes) this.apply(change);
  }

  private apply({ before, after, audit, tokens = before.tokens }: RequestChange): void {
    const chained = chainEvents(ownEvents(after.id, audit), before.chain ?? EMPTY_CHAIN);
    this.requests.set(after.id, { request: copy(after), tokens: copy(tokens), chain: chained.head });
    this.chains.get(after.id)!.push(...chained.events);
    const slot = this.slots.get(slotOf(after));
    if (after.status !== before.request.status && TERMINAL.includes(after.status) && slot?.requestId === after.id)
      this.slots.delete(slotOf(after));
    // Activated: the slot too, with the end authorize reads.
    if (slot && after.status === 'active' && before.request.status !== 'active')
      this.slots.set(slotOf(after), { ...slot, status: 'active', expiresAt: after.expiresAt });
    // An extended grant: authorize reads the slot's end.
    if (slot && after.status === 'active' && before.request.status === 'active' && slot.requestId === after.id)
      this.slots.set(slotOf(after), { ...slot, expiresAt: after.expiresAt });
  }

  async recordAudit(events: AuditEvent[]): Promise<void> {
    for (const e of events) {
      const stored = this.requests.get(e.requestId);
      if (stored) {
        const chained = chainEvents([e], stored.chain ?? EMPTY_CHAIN);
        // Like the DynamoDB store: the head moves and the version goes up, so a writer that read before loses.
        this.requests.set(e.requestId, {
          ...stored,
          request: { ...stored.request, version: stored.request.version + 1 },
          chain: chained.head,
        });
        this.chains.get(e.requestId)!.push(...chained.events);
      } else {
        const chained = chainEvents([e], this.journalHead, JOURNAL);
        this.journalHead = chained.head;
        this.journal.push(...chained.events);
      }
    }
  }

  /** A request as earlier steps left it, for a test that starts mid-way; its chain starts here. */
  put(stored: StoredRequest): void {
    const r = stored.request;
    this.requests.set(r.id, copy({ ...stored, chain: stored.chain ?? EMPTY_CHAIN }));
    if (!this.chains.has(r.id)) this.chains.set(r.id, []);
    // Its slot, as createRequest (and Activate) left it.
    if (r.extends === undefined && !TERMINAL.includes(r.status) && !this.slots.has(slotOf(r))) {
      const mode = r.requirements.grant.mode;
      this.slots.set(
        slotOf(r),
        r.status === 'active'
          ? { requestId: r.id, status: 'active', mode, expiresAt: r.expiresAt }
          : { requestId: r.id, status: 'pending', mode },
      );
    }
  }

  /** The request as stored now, for assertions that need no await. */
  peek(id: string): JitRequest | undefined {
    const stored = this.requests.get(id);
    return stored && copy(stored.request);
  }

  /**
   * Reads every stored request in place, in the order stored, without peek's copy: for a check over
   * every request after each of thousands of steps (the fuzz's "a refusal changed nothing").
   */
  summarize<T>(read: (request: Readonly<JitRequest>) => T): T[] {
    return [...this.requests.values()].map((stored) => read(stored.request));
  }

  /** The request whose step waits on this task token, if any. */
  requestWaitingOn(token: string): string | undefined {
    for (const [id, { tokens }] of this.requests) if (tokens.mfaTaskToken === token || tokens.approvalTaskToken === token) return id;
    return undefined;
  }

  /** Every audit event stored, each chain in order: what a test asserts on. */
  auditTrail(requestId?: string): ChainedEvent[] {
    const events = requestId ? (this.chains.get(requestId) ?? []) : [...[...this.chains.values()].flat(), ...this.journal];
    return copy(events);
  }

  async pageByRequester(principal: string, opts: { limit: number; status?: string; cursor?: PageKey }): Promise<RequesterPage> {
    const mine = this.newestFirst().filter((r) => r.requester.id === principal);
    const page = pageAfter(mine, opts.cursor, opts.limit);
    const next = page.more ? requesterKey(page.items.at(-1)!) : undefined;
    // Filtered after the limit, as DynamoDB applies a FilterExpression: a page can come back short.
    return { requests: page.items.filter((r) => !opts.status || r.status === opts.status), ...(next ? { next } : {}) };
  }

  async pagePendingApproval(opts: { limit: number; cursor?: PageKey }): Promise<PendingPage> {
    const pending = this.newestFirst().filter((r) => r.status === 'pending_approval');
    const page = pageAfter(pending, opts.cursor, opts.limit);
    const entries = page.items.map((request) => ({ request, key: pendingKey(request) }));
    return { entries, ...(page.more ? { next: entries.at(-1)!.key } : {}) };
  }

  /** One page only: no use-case test pages through the trail yet. */
  async listAudit(filter: AuditFilter): Promise<AuditPage> {
    const inRange = (e: AuditEvent) =>
      (!filter.since || e.at >= filter.since) && (!filter.until || e.at.slice(0, filter.until.length) <= filter.until);
    const events = this.auditTrail(filter.requestId)
      .filter((e) => (filter.requestId ? true : inRange(e)) && (!filter.actor || e.actor === filter.actor))
      .map(({ seq: _s, prev: _p, hash: _h, chain: _c, ...e }) => e as AuditEvent);
    return { events: events.slice(0, filter.limit) };
  }

  async readChains(since?: string): Promise<ChainToCheck[]> {
    const chains: ChainToCheck[] = [];
    for (const [id, events] of this.chains) {
      if (since && this.requests.get(id)!.request.createdAt < since) continue;
      chains.push({ chain: id, head: copy(this.requests.get(id)!.chain ?? EMPTY_CHAIN), events: copy(events) });
    }
    if (this.journal.length) chains.push({ chain: JOURNAL, head: copy(this.journalHead), events: copy(this.journal) });
    return chains;
  }

  private newestFirst(): JitRequest[] {
    return [...this.requests.values()].map((s) => copy(s.request)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
}

/** The keys the use cases' cursors are checked against (shared/domain/cursor.ts): the shape the DynamoDB indexes give. */
function requesterKey(r: JitRequest): PageKey {
  return { pk: `REQ#${r.id}`, sk: 'REQUEST', gsi1pk: `REQUESTER#${r.requester.id}`, gsi1sk: r.createdAt };
}

function pendingKey(r: JitRequest): PageKey {
  return { pk: `REQ#${r.id}`, sk: 'REQUEST', gsi2pk: 'PENDING', gsi2sk: r.createdAt };
}

function pageAfter(requests: JitRequest[], cursor: PageKey | undefined, limit: number): { items: JitRequest[]; more: boolean } {
  const start = cursor ? requests.findIndex((r) => `REQ#${r.id}` === cursor.pk) + 1 : 0;
  return { items: requests.slice(start, start + limit), more: start + limit < requests.length };
}

/** As in the DynamoDB store: a request's own write chains only its own events. */
function ownEvents(requestId: string, events: AuditEvent[]): AuditEvent[] {
  const foreign = events.find((e) => e.requestId !== requestId);
  if (foreign)
    throw new Error(`audit event ${foreign.type} names request ${foreign.requestId}, not ${requestId}; record it with recordAudit`);
  return events;
}
