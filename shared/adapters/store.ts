/**
 * DynamoDB: requests, grant slots, audit events, idempotency keys and TOTP
 * enrolments in one table (layout in docs/ARCHITECTURE.md). Every change is a
 * conditional write inside a transaction with its audit events: a request is
 * written only if its version is still the one read, so two racing writers can
 * never both win.
 */
import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../audit';
import { DependencyUnavailable } from '../errors';
import type { GrantSlot } from '../grant';
import { TERMINAL, type JitRequest } from '../request';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface TaskTokens {
  mfaTaskToken?: string;
  approvalTaskToken?: string;
}

export interface StoredRequest {
  request: JitRequest;
  tokens: TaskTokens;
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

export const keys = {
  request: (id: string) => ({ pk: `REQ#${id}`, sk: 'REQUEST' }),
  grantSlot: (principal: string, action: string, resource: string) => ({ pk: `GRANT#${principal}#${action}#${resource}`, sk: 'GRANT' }),
  idempotency: (principal: string, key: string) => ({ pk: `IDEM#${principal}#${key}`, sk: 'IDEM' }),
  enrolment: (principal: string) => ({ pk: `USER#${principal}`, sk: 'TOTP' }),
};

const KEY_FIELDS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'ttl', 'mfaTaskToken', 'approvalTaskToken'];

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
    const items: TransactItem[] = [
      { Put: { TableName: this.table, Item: toItem(request, {}), ConditionExpression: 'attribute_not_exists(pk)' } },
      {
        Put: {
          TableName: this.table,
          Item: { ...slotKey, ...slot },
          ...(opts.replaceSlotOf
            ? { ConditionExpression: 'requestId = :old', ExpressionAttributeValues: { ':old': opts.replaceSlotOf } }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        },
      },
      ...audit.map((e, i) => this.auditPut(e, i)),
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
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.table,
          Item: toItem(after, tokens),
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': before.request.version },
        },
      },
      ...audit.map((e, i) => this.auditPut(e, i)),
    ];
    if (TERMINAL.includes(after.status)) {
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

  /** Audit events that change no request (a policy denial). */
  async recordAudit(events: AuditEvent[]): Promise<void> {
    await this.call(() => this.doc.send(new TransactWriteCommand({ TransactItems: events.map((e, i) => this.auditPut(e, i)) })));
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

  async listByRequester(principal: string, limit: number): Promise<JitRequest[]> {
    const out = await this.call(() => this.doc.send(new QueryCommand({ TableName: this.table, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': `REQUESTER#${principal}` }, ScanIndexForward: false, Limit: limit })));
    return (out.Items ?? []).map((i) => fromItem(i).request);
  }

  async listPendingApproval(limit: number): Promise<JitRequest[]> {
    const out = await this.call(() => this.doc.send(new QueryCommand({ TableName: this.table, IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: { ':pk': 'PENDING' }, ScanIndexForward: false, Limit: limit })));
    return (out.Items ?? []).map((i) => fromItem(i).request);
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

  private auditPut(e: AuditEvent, i: number): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: { pk: `REQ#${e.requestId}`, sk: `EVT#${e.at}#${e.type}#${i}`, gsi1pk: 'AUDIT', gsi1sk: `${e.at}#${e.requestId}`, gsi2pk: `ACTOR#${e.actor}`, gsi2sk: e.at, ...e },
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

function toItem(request: JitRequest, tokens: TaskTokens): Record<string, unknown> {
  return {
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
  return { request: stripKeys(item) as unknown as JitRequest, tokens };
}

function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...item };
  for (const k of KEY_FIELDS) delete copy[k];
  return copy;
}
