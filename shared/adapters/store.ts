/**
 * DynamoDB: requests, grant slots, audit events, idempotency keys and TOTP
 * enrolments in one table (layout in docs/ARCHITECTURE.md). Every change is a
 * conditional write inside a transaction with its audit events: a request is
 * written only if its version is still the one read, so two racing writers can
 * never both win.
 */
import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../domain/audit';
import { chainEvents, EMPTY_CHAIN, JOURNAL, type ChainedEvent, type ChainHead, type ChainToCheck } from '../domain/audit-chain';
import { DependencyUnavailable } from '../domain/errors';
import type { GrantSlot } from '../domain/grant';
import { TERMINAL, type JitRequest } from '../domain/request';
import { auditIndexes, keys } from './keys';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface TaskTokens {
  mfaTaskToken?: string;
  approvalTaskToken?: string;
}

export interface StoredRequest {
  request: JitRequest;
  tokens: TaskTokens;
  /** The head of the request's audit chain as read (shared/domain/audit-chain.ts); absent on a request not yet stored. */
  chain?: ChainHead;
}

export interface Enrolment {
  secret: string;
  confirmed: boolean;
  lastUsedStep?: number;
  createdAt: string;
}

/** Another writer changed the item between our read and our write; re-read and decide again. */
export class ConcurrentModification extends Error {
  constructor() {
    super('the item changed while we were writing it');
    this.name = 'ConcurrentModification';
  }
}

/** A user's wrong-code record: each failure (or answer being checked) as `<epoch ms>#<nonce>`, and the lock. */
export interface MfaGuard {
  attempts: string[];
  lockedUntil?: number;
}

const KEY_FIELDS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl', 'mfaTaskToken', 'approvalTaskToken', 'auditSeq', 'auditHead', 'chainNext'];
/** A burst of journal events (parallel enrolments, step-up failures) queues on one head item: enough tries, with backoff, for all to get through. */
const RECORD_ATTEMPTS = 25;

export class Store {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly table: string) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async getRequest(id: string): Promise<StoredRequest | undefined> {
    const { Item } = await this.call(() => this.doc.send(new GetCommand({ TableName: this.table, Key: keys.request(id), ConsistentRead: true })));
    return Item ? fromItem(Item) : undefined;
  }

  async getGrantSlot(principal: string, action: string, resource: string): Promise<GrantSlot | undefined> {
    const { Item } = await this.call(() => this.doc.send(new GetCommand({ TableName: this.table, Key: keys.grantSlot(principal, action, resource), ConsistentRead: true })));
    return Item as GrantSlot | undefined;
  }

  /**
   * Creates a request, claims its grant slot and records its audit events in one
   * transaction. When the slot is held by another live request, returns that request's id.
   * `replaceSlotOf` takes over a slot whose request has ended but was not released.
   */
  async createRequest(request: JitRequest, audit: AuditEvent[], opts: { idempotencyKey?: string; replaceSlotOf?: string; idempotencyTtl: number }): Promise<{ created: true } | { created: false; existingRequestId: string; reason: 'slot' | 'idempotency' }> {
    const slotKey = keys.grantSlot(request.requester.id, request.action, request.resource);
    const slot: GrantSlot = { requestId: request.id, status: 'pending', mode: request.requirements.grant.mode };
    const chained = chainEvents(ownEvents(request.id, audit), EMPTY_CHAIN);
    const items: TransactItem[] = [
      { Put: { TableName: this.table, Item: toItem(request, {}, chained.head), ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Put: {
          TableName: this.table,
          Item: { ...slotKey, ...slot },
          ...(opts.replaceSlotOf
            ? { ConditionExpression: 'requestId = :old', ExpressionAttributeValues: { ':old': opts.replaceSlotOf } }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        },
      },
      ...chained.events.map((e) => this.auditPut(e)),
    ];
    if (opts.idempotencyKey) {
      items.push({ Put: { TableName: this.table, Item: { ...keys.idempotency(request.requester.id, opts.idempotencyKey), requestId: request.id, ttl: opts.idempotencyTtl }, ConditionExpression: 'attribute_not_exists(pk)' } });
    }
    try {
      await this.call(() => this.doc.send(new TransactWriteCommand({ TransactItems: items })));
      return { created: true };
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const reasons = err.CancellationReasons?.map((r) => r.Code) ?? [];
      if (opts.idempotencyKey && reasons[items.length - 1] === 'ConditionalCheckFailed') {
        const existing = await this.idempotentRequestId(request.requester.id, opts.idempotencyKey);
        if (existing) return { created: false, existingRequestId: existing, reason: 'idempotency' };
      }
      if (reasons[1] === 'ConditionalCheckFailed') {
        const held = await this.getGrantSlot(request.requester.id, request.action, request.resource);
        if (held) return { created: false, existingRequestId: held.requestId, reason: 'slot' };
      }
      throw new ConcurrentModification();
    }
  }

  async idempotentRequestId(principal: string, key: string): Promise<string | undefined> {
    const { Item } = await this.call(() => this.doc.send(new GetCommand({ TableName: this.table, Key: keys.idempotency(principal, key), ConsistentRead: true })));
    return Item?.requestId as string | undefined;
  }

  /**
   * Writes the next version of a request if nobody else wrote since `before`, with
   * its audit events; releases the grant slot when the request has ended.
   */
  async saveRequest(before: StoredRequest, after: JitRequest, audit: AuditEvent[], tokens: TaskTokens = before.tokens): Promise<void> {
    const chained = chainEvents(ownEvents(after.id, audit), before.chain ?? EMPTY_CHAIN);
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.table,
          Item: toItem(after, tokens, chained.head),
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': before.request.version },
        },
      },
      ...chained.events.map((e) => this.auditPut(e)),
    ];
    // Released on the move into an end state only: a later write to an ended request (a
    // break-glass review) must not touch the slot, which a newer request may hold by then.
    if (after.status !== before.request.status && TERMINAL.includes(after.status)) {
      items.push({
        Delete: {
          TableName: this.table,
          Key: keys.grantSlot(after.requester.id, after.action, after.resource),
          ConditionExpression: 'attribute_not_exists(pk) OR requestId = :id',
          ExpressionAttributeValues: { ':id': after.id },
        },
      });
    }
    try {
      await this.call(() => this.doc.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (err) {
      if (err instanceof TransactionCanceledException) throw new ConcurrentModification();
      throw err;
    }
  }

  /**
   * Audit events that change no request (a policy denial, a refused decision). Events of
   * an existing request join its chain: the head moves and the version goes up, in one
   * transaction conditioned on the version read, so they never fork the chain a
   * concurrent `saveRequest` (or Activate) extends. Events of no stored request join the
   * journal. One transaction per request the events name.
   */
  async recordAudit(events: AuditEvent[]): Promise<void> {
    const byRequest = new Map<string, AuditEvent[]>();
    for (const e of events) byRequest.set(e.requestId, [...(byRequest.get(e.requestId) ?? []), e]);
    for (const [requestId, group] of byRequest) await this.appendAudit(requestId, group);
  }

  private async appendAudit(requestId: string, events: AuditEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { Item } = await this.call(() => this.doc.send(new GetCommand({ TableName: this.table, Key: keys.request(requestId), ConsistentRead: true, ProjectionExpression: '#v, auditSeq, auditHead', ExpressionAttributeNames: { '#v': 'version' } })));
      let items: TransactItem[];
      if (Item) {
        const version = Item.version as number;
        const chained = chainEvents(events, chainOf(Item));
        items = [
          {
            Update: {
              TableName: this.table,
              Key: keys.request(requestId),
              UpdateExpression: 'SET #v = :next, auditSeq = :seq, auditHead = :head, chainNext = :chainNext',
              ConditionExpression: '#v = :version',
              ExpressionAttributeNames: { '#v': 'version' },
              ExpressionAttributeValues: { ':version': version, ':next': version + 1, ':seq': chained.head.seq, ':head': chained.head.head, ':chainNext': chainNext(chained.head) },
            },
          },
          ...chained.events.map((e) => this.auditPut(e)),
        ];
      } else {
        const { Item: journal } = await this.call(() => this.doc.send(new GetCommand({ TableName: this.table, Key: keys.journalHead(), ConsistentRead: true })));
        const head = journal ? chainOf(journal) : EMPTY_CHAIN;
        const chained = chainEvents(events, head, JOURNAL);
        items = [
          {
            Put: {
              TableName: this.table,
              Item: { ...keys.journalHead(), auditSeq: chained.head.seq, auditHead: chained.head.head },
              ...(journal ? { ConditionExpression: 'auditSeq = :seq', ExpressionAttributeValues: { ':seq': head.seq } } : { ConditionExpression: 'attribute_not_exists(pk)' }),
            },
          },
          // The request must not appear meanwhile: its events would then belong on its own chain.
          { ConditionCheck: { TableName: this.table, Key: keys.request(requestId), ConditionExpression: 'attribute_not_exists(pk)' } },
          ...chained.events.map((e) => this.auditPut(e)),
        ];
      }
      try {
        await this.call(() => this.doc.send(new TransactWriteCommand({ TransactItems: items })));
        return;
      } catch (err) {
        if (!(err instanceof TransactionCanceledException) || attempt >= RECORD_ATTEMPTS) throw err instanceof TransactionCanceledException ? new ConcurrentModification() : err;
        // Full jitter, capped: writers that collided spread out instead of colliding again.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(250, 10 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  /**
   * Everything `audit verify` walks: each request's chain with the head on its item, and
   * the journal. A Scan, paged: verification reads the whole trail (or the requests
   * created since `since`), which only auditors do.
   */
  async readChains(since?: string): Promise<ChainToCheck[]> {
    const heads = new Map<string, { head: ChainHead; createdAt: string }>();
    type Stored = ChainedEvent & { sk: string };
    const events = new Map<string, Stored[]>();
    const journal: Stored[] = [];
    let journalHead: ChainHead | undefined;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.call(() => this.doc.send(new ScanCommand({ TableName: this.table, ConsistentRead: true, ExclusiveStartKey: start })));
      for (const item of page.Items ?? []) {
        const pk = String(item.pk);
        const sk = String(item.sk);
        if (pk === keys.journalHead().pk && sk === keys.journalHead().sk) journalHead = chainOf(item);
        else if (pk.startsWith('REQ#') && sk === 'REQUEST') heads.set(pk.slice(4), { head: chainOf(item), createdAt: String(item.createdAt) });
        else if (pk.startsWith('REQ#') && sk.startsWith('EVT#')) {
          const event = { ...stripKeys(item), sk } as unknown as Stored;
          if (event.chain === JOURNAL) journal.push(event);
          else events.set(pk.slice(4), [...(events.get(pk.slice(4)) ?? []), event]);
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);

    const chains: ChainToCheck[] = [];
    for (const id of new Set([...heads.keys(), ...events.keys()])) {
      const own = (events.get(id) ?? []).sort((a, b) => bySortKey(a, b));
      const created = heads.get(id)?.createdAt ?? own[0]?.at ?? '';
      if (since && created < since) continue;
      chains.push({ chain: id, ...(heads.has(id) ? { head: heads.get(id)!.head } : {}), events: own.map(withoutSortKey) });
    }
    journal.sort((a, b) => a.seq - b.seq);
    const inRange = since ? journal.filter((e) => e.at >= since) : journal;
    if (inRange.length || journalHead) chains.push({ chain: JOURNAL, ...(journalHead ? { head: journalHead } : {}), events: inRange.map(withoutSortKey), ...(since && inRange.length < journal.length ? { partial: true } : {}) });
    return chains;
  }

  async listAudit(filter: { requestId?: string; actor?: string; since?: string; until?: string; limit: number; cursor?: Record<string, unknown> }): Promise<{ events: AuditEvent[]; cursor?: Record<string, unknown> }> {
    const range = (field: string) => {
      const since = filter.since ?? '0000';
      const until = filter.until ? `${filter.until}\uffff` : '9999';
      return { expr: `${field} BETWEEN :since AND :until`, values: { ':since': since, ':until': until } };
    };
    let input;
    if (filter.requestId) {
      input = { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :evt)', ExpressionAttributeValues: { ':pk': `REQ#${filter.requestId}`, ':evt': 'EVT#' } };
    } else if (filter.actor) {
      const r = range('gsi2sk');
      input = { IndexName: 'gsi2', KeyConditionExpression: `gsi2pk = :pk AND ${r.expr}`, ExpressionAttributeValues: { ':pk': `ACTOR#${filter.actor}`, ...r.values } };
    } else {
      const r = range('gsi1sk');
      input = { IndexName: 'gsi1', KeyConditionExpression: `gsi1pk = :pk AND ${r.expr}`, ExpressionAttributeValues: { ':pk': 'AUDIT', ...r.values } };
    }
    const out = await this.call(() => this.doc.send(new QueryCommand({ TableName: this.table, ...input, Limit: filter.limit, ExclusiveStartKey: filter.cursor })));
    return { events: (out.Items ?? []).map((i) => stripKeys(i) as unknown as AuditEvent), cursor: out.LastEvaluatedKey };
  }

  /** The requester's own requests, newest first, a page at a time (`cursor`: the LastEvaluatedKey, validated by the caller). */
  async pageByRequester(principal: string, opts: { limit: number; status?: string; cursor?: Record<string, string> }): Promise<{ requests: JitRequest[]; next?: Record<string, string> }> {
    const out = await this.call(() => this.doc.send(new QueryCommand({
      TableName: this.table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ...(opts.status ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } } : {}),
      ExpressionAttributeValues: { ':pk': `REQUESTER#${principal}`, ...(opts.status ? { ':status': opts.status } : {}) },
      ScanIndexForward: false,
      Limit: opts.limit,
      ExclusiveStartKey: opts.cursor,
    })));
    return { requests: (out.Items ?? []).map((i) => fromItem(i).request), ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey as Record<string, string> } : {}) };
  }

  /** Requests waiting for approval (everyone's), newest first, each with its index key so a page can end after any of them. */
  async pagePendingApproval(opts: { limit: number; cursor?: Record<string, string> }): Promise<{ entries: { request: JitRequest; key: Record<string, string> }[]; next?: Record<string, string> }> {
    const out = await this.call(() => this.doc.send(new QueryCommand({ TableName: this.table, IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: { ':pk': 'PENDING' }, ScanIndexForward: false, Limit: opts.limit, ExclusiveStartKey: opts.cursor })));
    const entries = (out.Items ?? []).map((i) => ({ request: fromItem(i).request, key: { pk: i.pk as string, sk: i.sk as string, gsi2pk: i.gsi2pk as string, gsi2sk: i.gsi2sk as string } }));
    return { entries, ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey as Record<string, string> } : {}) };
  }

  async getEnrolment(principal: string): Promise<Enrolment | undefined> {
    const { Item } = await this.call(() => this.doc.send(new GetCommand({ TableName: this.table, Key: keys.enrolment(principal), ConsistentRead: true })));
    return Item ? (stripKeys(Item) as unknown as Enrolment) : undefined;
  }

  /** A new, unconfirmed enrolment; refused (false) when a confirmed one exists. */
  async putEnrolment(principal: string, enrolment: Enrolment): Promise<boolean> {
    try {
      await this.call(() => this.doc.send(new PutCommand({ TableName: this.table, Item: { ...keys.enrolment(principal), ...enrolment }, ConditionExpression: 'attribute_not_exists(pk) OR confirmed = :false', ExpressionAttributeValues: { ':false': false } })));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** Replaces a confirmed enrolment (its current code was checked); refused (false) when the secret changed meanwhile. */
  async replaceEnrolment(principal: string, enrolment: Enrolment, previousSecret: string): Promise<boolean> {
    return this.conditional(new UpdateCommand({
      TableName: this.table,
      Key: keys.enrolment(principal),
      UpdateExpression: 'SET #secret = :secret, #confirmed = :false, #createdAt = :at REMOVE #lastUsedStep',
      ConditionExpression: '#secret = :previous',
      ExpressionAttributeNames: { '#secret': 'secret', '#confirmed': 'confirmed', '#createdAt': 'createdAt', '#lastUsedStep': 'lastUsedStep' },
      ExpressionAttributeValues: { ':secret': enrolment.secret, ':false': false, ':at': enrolment.createdAt, ':previous': previousSecret },
    }));
  }

  /**
   * Marks a TOTP step used (and the enrolment confirmed). Conditional on the step
   * being newer than the last one used, so a code is accepted once even when two
   * requests race with it.
   */
  async useTotpStep(principal: string, step: number): Promise<boolean> {
    try {
      await this.call(() => this.doc.send(new UpdateCommand({
        TableName: this.table,
        Key: keys.enrolment(principal),
        UpdateExpression: 'SET lastUsedStep = :step, confirmed = :true',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedStep) OR lastUsedStep < :step)',
        ExpressionAttributeValues: { ':step': step, ':true': true },
      })));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  // -------------------------------------------------------------------------
  // Per-user limits (shared/usecases/limits.ts). Each is one item under USER#<principal>
  // with a TTL, changed only by conditional updates, so parallel calls cannot overshoot.

  /** One call in a fixed window of `per` seconds; false when `count` calls were already made in it. */
  async takeRate(principal: string, kind: string, windowStart: number, count: number, ttl: number): Promise<boolean> {
    return this.conditional(new UpdateCommand({
      TableName: this.table,
      Key: keys.rate(principal, kind, windowStart),
      UpdateExpression: 'ADD #n :one SET #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
      ExpressionAttributeNames: { '#n': 'calls', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':one': 1, ':max': count, ':ttl': ttl },
    }));
  }

  /** Reserves one of `limit` pending places (`<epoch ms>#<request id>`); false when all are taken. */
  async reservePending(principal: string, reservation: string, limit: number, ttl: number): Promise<boolean> {
    return this.conditional(new UpdateCommand({
      TableName: this.table,
      Key: keys.pending(principal),
      UpdateExpression: 'ADD #r :r SET #ttl = :ttl',
      ConditionExpression: 'attribute_not_exists(#r) OR size(#r) < :limit',
      ExpressionAttributeNames: { '#r': 'reservations', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':r': new Set([reservation]), ':limit': limit, ':ttl': ttl },
    }));
  }

  async pendingReservations(principal: string): Promise<string[]> {
    const { Item } = await this.call(() => this.doc.send(new GetCommand({ TableName: this.table, Key: keys.pending(principal), ConsistentRead: true })));
    return [...((Item?.reservations as Set<string> | undefined) ?? [])];
  }

  async releasePending(principal: string, reservations: string[]): Promise<void> {
    if (reservations.length === 0) return;
    await this.call(() => this.doc.send(new UpdateCommand({ TableName: this.table, Key: keys.pending(principal), UpdateExpression: 'DELETE #r :r', ExpressionAttributeNames: { '#r': 'reservations' }, ExpressionAttributeValues: { ':r': new Set(reservations) } })));
  }

  async getMfaGuard(principal: string): Promise<MfaGuard> {
    const { Item } = await this.call(() => this.doc.send(new GetCommand({ TableName: this.table, Key: keys.mfaGuard(principal), ConsistentRead: true })));
    return { attempts: [...((Item?.attempts as Set<string> | undefined) ?? [])], ...(typeof Item?.lockedUntil === 'number' ? { lockedUntil: Item.lockedUntil } : {}) };
  }

  /**
   * Counts an answer as a wrong code before it is checked, unless MFA is locked or
   * `max` attempts are already counted: so of any number of parallel guesses at most
   * `max` are ever checked. A right (or replayed) code is then taken off again.
   */
  async holdMfaAttempt(principal: string, attempt: string, max: number, nowSeconds: number, ttl: number): Promise<boolean> {
    return this.conditional(new UpdateCommand({
      TableName: this.table,
      Key: keys.mfaGuard(principal),
      UpdateExpression: 'ADD #a :a SET #ttl = :ttl',
      ConditionExpression: '(attribute_not_exists(#until) OR #until <= :now) AND (attribute_not_exists(#a) OR size(#a) < :max)',
      ExpressionAttributeNames: { '#a': 'attempts', '#until': 'lockedUntil', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':a': new Set([attempt]), ':now': nowSeconds, ':max': max, ':ttl': ttl },
    }));
  }

  /** Takes attempts off the count: a right or replayed code, or failures older than the window. */
  async forgetMfaAttempts(principal: string, attempts: string[]): Promise<void> {
    if (attempts.length === 0) return;
    await this.call(() => this.doc.send(new UpdateCommand({ TableName: this.table, Key: keys.mfaGuard(principal), UpdateExpression: 'DELETE #a :a', ExpressionAttributeNames: { '#a': 'attempts' }, ExpressionAttributeValues: { ':a': new Set(attempts) } })));
  }

  /** Locks MFA until `until` once `max` attempts are counted; true for the one call that locked it (it audits and tells). */
  async lockMfa(principal: string, max: number, until: number, nowSeconds: number, ttl: number): Promise<boolean> {
    return this.conditional(new UpdateCommand({
      TableName: this.table,
      Key: keys.mfaGuard(principal),
      UpdateExpression: 'SET #until = :until, #ttl = :ttl REMOVE #a',
      ConditionExpression: '(attribute_not_exists(#until) OR #until <= :now) AND size(#a) >= :max',
      ExpressionAttributeNames: { '#a': 'attempts', '#until': 'lockedUntil', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':until': until, ':now': nowSeconds, ':max': max, ':ttl': ttl },
    }));
  }

  private async conditional(command: UpdateCommand): Promise<boolean> {
    try {
      await this.call(() => this.doc.send(command));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  private auditPut(e: ChainedEvent): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: { ...keys.auditEvent(e.requestId, e.seq), ...auditIndexes(e), ...e },
        // A place on a chain is taken once: a writer that read a stale head can never overwrite an event.
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** Throttling and outages become 503 with Retry-After; everything else is a bug and propagates. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const name = (err as Error)?.name ?? '';
      if (/Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|InternalServerError|ServiceUnavailable|ECONNREFUSED|TimeoutError/.test(name) || /ECONNREFUSED|socket hang up/.test(String((err as Error)?.message))) {
        throw new DependencyUnavailable('the database is unavailable; retry shortly');
      }
      throw err;
    }
  }
}

function toItem(request: JitRequest, tokens: TaskTokens, chain: ChainHead): Record<string, unknown> {
  return {
    auditSeq: chain.seq,
    auditHead: chain.head,
    chainNext: chainNext(chain),
    ...keys.request(request.id),
    gsi1pk: `REQUESTER#${request.requester.id}`,
    gsi1sk: request.createdAt,
    ...(request.status === 'pending_approval' ? { gsi2pk: 'PENDING', gsi2sk: request.createdAt } : {}),
    ...request,
    ...tokens,
  };
}

function fromItem(item: Record<string, unknown>): StoredRequest {
  const tokens: TaskTokens = {};
  if (typeof item.mfaTaskToken === 'string') tokens.mfaTaskToken = item.mfaTaskToken;
  if (typeof item.approvalTaskToken === 'string') tokens.approvalTaskToken = item.approvalTaskToken;
  return { request: stripKeys(item) as unknown as JitRequest, tokens, chain: chainOf(item) };
}

function chainOf(item: Record<string, unknown>): ChainHead {
  return typeof item.auditSeq === 'number' && typeof item.auditHead === 'string' ? { seq: item.auditSeq, head: item.auditHead } : EMPTY_CHAIN;
}

/**
 * What the state machine's Activate step writes next (infra/activate.ts): it reads the
 * request item and can neither add nor zero-pad, so the writer of the item precomputes
 * the next event's place. Meaningful only while the request is pending.
 */
function chainNext(chain: ChainHead): { seq: number; sk: string } {
  return { seq: chain.seq + 1, sk: keys.auditEvent('', chain.seq + 1).sk };
}

/** The events a request's own transaction may chain: its own. Anything else is a bug in the caller. */
function ownEvents(requestId: string, events: AuditEvent[]): AuditEvent[] {
  const foreign = events.find((e) => e.requestId !== requestId);
  if (foreign) throw new Error(`audit event ${foreign.type} names request ${foreign.requestId}, not ${requestId}; record it with recordAudit`);
  return events;
}

function bySortKey(a: { sk?: string }, b: { sk?: string }): number {
  return (a.sk ?? '').localeCompare(b.sk ?? '');
}

function withoutSortKey<T extends object>(e: T): T {
  const { sk: _sk, ...rest } = e as T & { sk?: string };
  return rest as T;
}

function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...item };
  for (const k of KEY_FIELDS) delete copy[k];
  return copy;
}
