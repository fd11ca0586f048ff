/**
 * Requests, their grant slots and their audit chains. Every change is a conditional
 * write inside a transaction with its audit events: a request is written only if its
 * version is still the one read, so two racing writers can never both win.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../domain/audit';
import { chainEvents, EMPTY_CHAIN, JOURNAL, type ChainedEvent } from '../domain/audit-chain';
import { ConcurrentModification } from '../domain/errors';
import type { GrantSlot } from '../domain/grant';
import { TERMINAL, type JitRequest } from '../domain/request';
import type { CreateOptions, CreateOutcome, RequestChange, RequestStore, StoredRequest, TaskTokens } from '../usecases/ports';
import { auditIndexes, keys } from './keys';
import { chainOf, DynamoTable, fromItem, toItem } from './table';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * A burst of journal events (parallel enrolments, step-up failures) queues on one head item:
 * enough tries, with backoff, for all to get through.
 */
const RECORD_ATTEMPTS = 25;

export class DynamoRequests extends DynamoTable implements RequestStore {
  async getRequest(id: string): Promise<StoredRequest | undefined> {
    const { Item } = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: keys.request(id), ConsistentRead: true })),
    );
    return Item ? fromItem(Item) : undefined;
  }

  async getGrantSlot(principal: string, action: string, resource: string): Promise<GrantSlot | undefined> {
    const { Item } = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: keys.grantSlot(principal, action, resource), ConsistentRead: true })),
    );
    return Item as GrantSlot | undefined;
  }

  /**
   * Creates a request, claims its grant slot and records its audit events in one
   * transaction. When the slot is held by another live request, returns that request's id.
   * `replaceSlotOf` takes over a slot whose request has ended but was not released.
   */
  async createRequest(request: JitRequest, audit: AuditEvent[], opts: CreateOptions): Promise<CreateOutcome> {
    const slotKey = keys.grantSlot(request.requester.id, request.action, request.resource);
    const slot: GrantSlot = { requestId: request.id, status: 'pending', mode: request.requirements.grant.mode };
    const chained = chainEvents(ownEvents(request.id, audit), EMPTY_CHAIN);
    // An extension holds no slot: the grant it extends keeps its own.
    const claimsSlot = request.extends === undefined;
    const items: TransactItem[] = [
      { Put: { TableName: this.table, Item: toItem(request, {}, chained.head), ConditionExpression: 'attribute_not_exists(pk)' } },
      ...(claimsSlot
        ? [
            {
              Put: {
                TableName: this.table,
                Item: { ...slotKey, ...slot },
                ...(opts.replaceSlotOf
                  ? { ConditionExpression: 'requestId = :old', ExpressionAttributeValues: { ':old': opts.replaceSlotOf } }
                  : { ConditionExpression: 'attribute_not_exists(pk)' }),
              },
            },
          ]
        : []),
      ...chained.events.map((e) => this.auditPut(e)),
    ];
    if (opts.idempotencyKey) {
      items.push({
        Put: {
          TableName: this.table,
          Item: { ...keys.idempotency(request.requester.id, opts.idempotencyKey), requestId: request.id, ttl: opts.idempotencyTtl },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
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
      if (claimsSlot && reasons[1] === 'ConditionalCheckFailed') {
        const held = await this.getGrantSlot(request.requester.id, request.action, request.resource);
        if (held) return { created: false, existingRequestId: held.requestId, reason: 'slot' };
      }
      throw new ConcurrentModification();
    }
  }

  async idempotentRequestId(principal: string, key: string): Promise<string | undefined> {
    const { Item } = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: keys.idempotency(principal, key), ConsistentRead: true })),
    );
    return Item?.requestId as string | undefined;
  }

  async releaseIdempotencyKey(principal: string, key: string, requestId: string): Promise<void> {
    await this.call(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: keys.idempotency(principal, key),
          ConditionExpression: 'attribute_not_exists(pk) OR requestId = :id',
          ExpressionAttributeValues: { ':id': requestId },
        }),
      ),
    );
  }

  /**
   * Writes the next version of a request if nobody else wrote since `before`, with
   * its audit events; releases the grant slot when the request has ended.
   */
  async saveRequest(before: StoredRequest, after: JitRequest, audit: AuditEvent[], tokens: TaskTokens = before.tokens): Promise<void> {
    await this.saveRequests([{ before, after, audit, tokens }]);
  }

  /** Several requests' next versions in one transaction: all are written, or none. */
  async saveRequests(changes: RequestChange[]): Promise<void> {
    const items = changes.flatMap((change) => this.changeItems(change));
    const [only] = items;
    try {
      // One item (a task token parked: no event, no slot): the same version-checked Put on its own is
      // as atomic, at half the write units; a transaction bills two writes per item ("Capacity
      // management for transactions", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html).
      if (items.length === 1 && only?.Put) await this.call(() => this.doc.send(new PutCommand(only.Put!)));
      else await this.call(() => this.doc.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (err) {
      if (err instanceof TransactionCanceledException || err instanceof ConditionalCheckFailedException) throw new ConcurrentModification();
      throw err;
    }
  }

  private changeItems({ before, after, audit, tokens = before.tokens }: RequestChange): TransactItem[] {
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
    if (after.status !== before.request.status && TERMINAL.includes(after.status) && after.extends === undefined) {
      items.push({
        Delete: {
          TableName: this.table,
          Key: keys.grantSlot(after.requester.id, after.action, after.resource),
          ConditionExpression: 'attribute_not_exists(pk) OR requestId = :id',
          ExpressionAttributeValues: { ':id': after.id },
        },
      });
    }
    // Activated: the slot authorize reads says so, with the end (only while it still belongs to this request).
    if (after.status === 'active' && before.request.status !== 'active') {
      items.push({
        Update: {
          TableName: this.table,
          Key: keys.grantSlot(after.requester.id, after.action, after.resource),
          UpdateExpression: 'SET #status = :active, expiresAt = :exp',
          ConditionExpression: 'requestId = :id',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active', ':exp': after.expiresAt, ':id': after.id },
        },
      });
    }
    // An extended grant (its end moved later): authorize reads the slot's end.
    if (after.status === 'active' && before.request.status === 'active' && after.expiresAt !== before.request.expiresAt) {
      items.push({
        Update: {
          TableName: this.table,
          Key: keys.grantSlot(after.requester.id, after.action, after.resource),
          UpdateExpression: 'SET expiresAt = :exp',
          ConditionExpression: 'requestId = :id',
          ExpressionAttributeValues: { ':exp': after.expiresAt, ':id': after.id },
        },
      });
    }
    return items;
  }

  /**
   * Audit events that change no request (a policy denial, a refused decision). Events of
   * an existing request join its chain: the head moves and the version goes up, in one
   * transaction conditioned on the version read, so they never fork the chain a
   * concurrent `saveRequest` extends. Events of no stored request join the
   * journal. One transaction per request the events name.
   */
  async recordAudit(events: AuditEvent[]): Promise<void> {
    const byRequest = new Map<string, AuditEvent[]>();
    for (const e of events) byRequest.set(e.requestId, [...(byRequest.get(e.requestId) ?? []), e]);
    for (const [requestId, group] of byRequest) await this.appendAudit(requestId, group);
  }

  private async appendAudit(requestId: string, events: AuditEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { Item } = await this.call(() =>
        this.doc.send(
          new GetCommand({
            TableName: this.table,
            Key: keys.request(requestId),
            ConsistentRead: true,
            ProjectionExpression: '#v, auditSeq, auditHead',
            ExpressionAttributeNames: { '#v': 'version' },
          }),
        ),
      );
      let items: TransactItem[];
      if (Item) {
        const version = Item.version as number;
        const chained = chainEvents(events, chainOf(Item));
        items = [
          {
            Update: {
              TableName: this.table,
              Key: keys.request(requestId),
              UpdateExpression: 'SET #v = :next, auditSeq = :seq, auditHead = :head',
              ConditionExpression: '#v = :version',
              ExpressionAttributeNames: { '#v': 'version' },
              ExpressionAttributeValues: {
                ':version': version,
                ':next': version + 1,
                ':seq': chained.head.seq,
                ':head': chained.head.head,
              },
            },
          },
          ...chained.events.map((e) => this.auditPut(e)),
        ];
      } else {
        const { Item: journal } = await this.call(() =>
          this.doc.send(new GetCommand({ TableName: this.table, Key: keys.journalHead(), ConsistentRead: true })),
        );
        const head = journal ? chainOf(journal) : EMPTY_CHAIN;
        const chained = chainEvents(events, head, JOURNAL);
        items = [
          {
            Put: {
              TableName: this.table,
              Item: { ...keys.journalHead(), auditSeq: chained.head.seq, auditHead: chained.head.head },
              ...(journal
                ? { ConditionExpression: 'auditSeq = :seq', ExpressionAttributeValues: { ':seq': head.seq } }
                : { ConditionExpression: 'attribute_not_exists(pk)' }),
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
        if (!(err instanceof TransactionCanceledException) || attempt >= RECORD_ATTEMPTS)
          throw err instanceof TransactionCanceledException ? new ConcurrentModification() : err;
        // Full jitter, capped: writers that collided spread out instead of colliding again.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(250, 10 * 2 ** Math.min(attempt, 5))));
      }
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
}

/** The events a request's own transaction may chain: its own. Anything else is a bug in the caller. */
function ownEvents(requestId: string, events: AuditEvent[]): AuditEvent[] {
  const foreign = events.find((e) => e.requestId !== requestId);
  if (foreign)
    throw new Error(`audit event ${foreign.type} names request ${foreign.requestId}, not ${requestId}; record it with recordAudit`);
  return events;
}
