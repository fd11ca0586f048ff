/**
 * The one DynamoDB table (layout in docs/ARCHITECTURE.md; its keys in keys.ts): how a request is
 * stored as an item, and the calls every part of the store makes through it, which turn
 * throttling and outages into the domain's DependencyUnavailable.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EMPTY_CHAIN, type ChainHead } from '../domain/audit-chain';
import { DependencyUnavailable } from '../domain/errors';
import type { JitRequest } from '../domain/request';
import type { StoredRequest, TaskTokens } from '../usecases/ports';
import { keys } from './keys';

const KEY_FIELDS = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'ttl',
  'mfaTaskToken',
  'approvalTaskToken',
  'auditSeq',
  'auditHead',
  // Written by versions whose Activate step ran in the state machine, without a Lambda.
  'chainNext',
  // Written by versions that stored the grant.activated message with the grant's times; Activate now
  // derives it from the request. Dropped on read, so the next write of such a request no longer carries it.
  'activationNotice',
];

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** What each part of the store shares: the client, the table's name, and the translation of DynamoDB's errors. */
export abstract class DynamoTable {
  constructor(
    protected readonly doc: DynamoDBDocumentClient,
    protected readonly table: string,
  ) {}

  /** Throttling and outages become 503 with Retry-After; everything else is a bug and propagates. */
  protected async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const name = (err as Error)?.name ?? '';
      if (
        /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|InternalServerError|ServiceUnavailable|ECONNREFUSED|TimeoutError/.test(
          name,
        ) ||
        /ECONNREFUSED|socket hang up/.test(String((err as Error)?.message))
      ) {
        throw new DependencyUnavailable('the database is unavailable; retry shortly');
      }
      throw err;
    }
  }

  /** A conditional write: false when its condition did not hold. */
  protected async conditional(command: UpdateCommand): Promise<boolean> {
    try {
      await this.call(() => this.doc.send(command));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}

export function toItem(request: JitRequest, tokens: TaskTokens, chain: ChainHead): Record<string, unknown> {
  return {
    auditSeq: chain.seq,
    auditHead: chain.head,
    ...keys.request(request.id),
    gsi1pk: `REQUESTER#${request.requester.id}`,
    gsi1sk: request.createdAt,
    ...(request.status === 'pending_approval' ? { gsi2pk: 'PENDING', gsi2sk: request.createdAt } : {}),
    ...request,
    ...tokens,
  };
}

export function fromItem(item: Record<string, unknown>): StoredRequest {
  const tokens: TaskTokens = {};
  if (typeof item.mfaTaskToken === 'string') tokens.mfaTaskToken = item.mfaTaskToken;
  if (typeof item.approvalTaskToken === 'string') tokens.approvalTaskToken = item.approvalTaskToken;
  return { request: stripKeys(item) as unknown as JitRequest, tokens, chain: chainOf(item) };
}

export function chainOf(item: Record<string, unknown>): ChainHead {
  return typeof item.auditSeq === 'number' && typeof item.auditHead === 'string'
    ? { seq: item.auditSeq, head: item.auditHead }
    : EMPTY_CHAIN;
}

export function stripKeys(item: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...item };
  for (const k of KEY_FIELDS) delete copy[k];
  return copy;
}
