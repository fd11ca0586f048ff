/**
 * Reads across requests: the requester's pages and the approvers' inbox (on the two
 * indexes), the audit trail filtered by request, actor or time, and every chain at once
 * for `audit verify`.
 */
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../domain/audit';
import { JOURNAL, type ChainedEvent, type ChainHead, type ChainToCheck } from '../domain/audit-chain';
import type { PageKey } from '../domain/cursor';
import type { AuditFilter, AuditPage, PendingPage, RequesterPage, StoreQueries } from '../usecases/ports';
import { keys } from './keys';
import { chainOf, DynamoTable, fromItem, stripKeys } from './table';

export class DynamoQueries extends DynamoTable implements StoreQueries {
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
      const page = await this.call(() =>
        this.doc.send(new ScanCommand({ TableName: this.table, ConsistentRead: true, ExclusiveStartKey: start })),
      );
      for (const item of page.Items ?? []) {
        const pk = String(item.pk);
        const sk = String(item.sk);
        if (pk === keys.journalHead().pk && sk === keys.journalHead().sk) journalHead = chainOf(item);
        else if (pk.startsWith('REQ#') && sk === 'REQUEST')
          heads.set(pk.slice(4), { head: chainOf(item), createdAt: String(item.createdAt) });
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
    if (inRange.length || journalHead)
      chains.push({
        chain: JOURNAL,
        ...(journalHead ? { head: journalHead } : {}),
        events: inRange.map(withoutSortKey),
        ...(since && inRange.length < journal.length ? { partial: true } : {}),
      });
    return chains;
  }

  async listAudit(filter: AuditFilter): Promise<AuditPage> {
    const range = (field: string) => {
      const since = filter.since ?? '0000';
      const until = filter.until ? `${filter.until}\uffff` : '9999';
      return { expr: `${field} BETWEEN :since AND :until`, values: { ':since': since, ':until': until } };
    };
    let input;
    if (filter.requestId) {
      input = {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :evt)',
        ExpressionAttributeValues: { ':pk': `REQ#${filter.requestId}`, ':evt': 'EVT#' },
      };
    } else if (filter.actor) {
      const r = range('gsi2sk');
      input = {
        IndexName: 'gsi2',
        KeyConditionExpression: `gsi2pk = :pk AND ${r.expr}`,
        ExpressionAttributeValues: { ':pk': `ACTOR#${filter.actor}`, ...r.values },
      };
    } else {
      const r = range('gsi1sk');
      input = {
        IndexName: 'gsi1',
        KeyConditionExpression: `gsi1pk = :pk AND ${r.expr}`,
        ExpressionAttributeValues: { ':pk': 'AUDIT', ...r.values },
      };
    }
    const out = await this.call(() =>
      this.doc.send(new QueryCommand({ TableName: this.table, ...input, Limit: filter.limit, ExclusiveStartKey: filter.cursor })),
    );
    return { events: (out.Items ?? []).map((i) => stripKeys(i) as unknown as AuditEvent), cursor: out.LastEvaluatedKey };
  }

  /** The requester's own requests, newest first, a page at a time (`cursor`: the LastEvaluatedKey, validated by the caller). */
  async pageByRequester(principal: string, opts: { limit: number; status?: string; cursor?: PageKey }): Promise<RequesterPage> {
    const out = await this.call(() =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ...(opts.status ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ExpressionAttributeValues: { ':pk': `REQUESTER#${principal}`, ...(opts.status ? { ':status': opts.status } : {}) },
          ScanIndexForward: false,
          Limit: opts.limit,
          ExclusiveStartKey: opts.cursor,
        }),
      ),
    );
    return {
      requests: (out.Items ?? []).map((i) => fromItem(i).request),
      ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey as Record<string, string> } : {}),
    };
  }

  /** Requests waiting for approval (everyone's), newest first, each with its index key so a page can end after any of them. */
  async pagePendingApproval(opts: { limit: number; cursor?: PageKey }): Promise<PendingPage> {
    const out = await this.call(() =>
      this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :pk',
          ExpressionAttributeValues: { ':pk': 'PENDING' },
          ScanIndexForward: false,
          Limit: opts.limit,
          ExclusiveStartKey: opts.cursor,
        }),
      ),
    );
    const entries = (out.Items ?? []).map((i) => ({
      request: fromItem(i).request,
      key: { pk: i.pk as string, sk: i.sk as string, gsi2pk: i.gsi2pk as string, gsi2sk: i.gsi2sk as string },
    }));
    return { entries, ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey as Record<string, string> } : {}) };
  }
}

function bySortKey(a: { sk?: string }, b: { sk?: string }): number {
  return (a.sk ?? '').localeCompare(b.sk ?? '');
}

function withoutSortKey<T extends object>(e: T): T {
  const { sk: _sk, ...rest } = e as T & { sk?: string };
  return rest as T;
}
