/**
 * What is kept per user, each one item under USER#<principal>: the TOTP enrolment, and
 * the limits (shared/usecases/limits.ts: call rates, pending places, the wrong-code
 * count and lock), with a TTL and changed only by conditional updates, so parallel
 * calls cannot overshoot.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Enrolment, MfaGuard, UserRecords } from '../usecases/ports';
import { keys } from './keys';
import { DynamoTable, stripKeys } from './table';

export class DynamoUserRecords extends DynamoTable implements UserRecords {
  async getEnrolment(principal: string): Promise<Enrolment | undefined> {
    const { Item } = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: keys.enrolment(principal), ConsistentRead: true })),
    );
    return Item ? (stripKeys(Item) as unknown as Enrolment) : undefined;
  }

  /** A new, unconfirmed enrolment; refused (false) when a confirmed one exists. */
  async putEnrolment(principal: string, enrolment: Enrolment): Promise<boolean> {
    try {
      await this.call(() =>
        this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...keys.enrolment(principal), ...enrolment },
            ConditionExpression: 'attribute_not_exists(pk) OR confirmed = :false',
            ExpressionAttributeValues: { ':false': false },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** Replaces a confirmed enrolment (its current code was checked); refused (false) when the secret changed meanwhile. */
  async replaceEnrolment(principal: string, enrolment: Enrolment, previousSecret: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.enrolment(principal),
        UpdateExpression: 'SET #secret = :secret, #confirmed = :false, #createdAt = :at REMOVE #lastUsedStep',
        ConditionExpression: '#secret = :previous',
        ExpressionAttributeNames: {
          '#secret': 'secret',
          '#confirmed': 'confirmed',
          '#createdAt': 'createdAt',
          '#lastUsedStep': 'lastUsedStep',
        },
        ExpressionAttributeValues: {
          ':secret': enrolment.secret,
          ':false': false,
          ':at': enrolment.createdAt,
          ':previous': previousSecret,
        },
      }),
    );
  }

  /**
   * Marks a TOTP step used (and the enrolment confirmed). Conditional on the step
   * being newer than the last one used, so a code is accepted once even when two
   * requests race with it.
   */
  async useTotpStep(principal: string, step: number): Promise<boolean> {
    try {
      await this.call(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: keys.enrolment(principal),
            UpdateExpression: 'SET lastUsedStep = :step, confirmed = :true',
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedStep) OR lastUsedStep < :step)',
            ExpressionAttributeValues: { ':step': step, ':true': true },
          }),
        ),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** One call in a fixed window of `per` seconds; false when `count` calls were already made in it. */
  async takeRate(principal: string, kind: string, windowStart: number, count: number, ttl: number): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.rate(principal, kind, windowStart),
        UpdateExpression: 'ADD #n :one SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
        ExpressionAttributeNames: { '#n': 'calls', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':one': 1, ':max': count, ':ttl': ttl },
      }),
    );
  }

  /** Reserves one of `limit` pending places (`<epoch ms>#<request id>`); false when all are taken. */
  async reservePending(principal: string, reservation: string, limit: number, ttl: number): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.pending(principal),
        UpdateExpression: 'ADD #r :r SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#r) OR size(#r) < :limit',
        ExpressionAttributeNames: { '#r': 'reservations', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':r': new Set([reservation]), ':limit': limit, ':ttl': ttl },
      }),
    );
  }

  async pendingReservations(principal: string): Promise<string[]> {
    const { Item } = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: keys.pending(principal), ConsistentRead: true })),
    );
    return [...((Item?.reservations as Set<string> | undefined) ?? [])];
  }

  async releasePending(principal: string, reservations: string[]): Promise<void> {
    if (reservations.length === 0) return;
    await this.call(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.pending(principal),
          UpdateExpression: 'DELETE #r :r',
          ExpressionAttributeNames: { '#r': 'reservations' },
          ExpressionAttributeValues: { ':r': new Set(reservations) },
        }),
      ),
    );
  }

  async getMfaGuard(principal: string): Promise<MfaGuard> {
    const { Item } = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: keys.mfaGuard(principal), ConsistentRead: true })),
    );
    return {
      attempts: [...((Item?.attempts as Set<string> | undefined) ?? [])],
      ...(typeof Item?.lockedUntil === 'number' ? { lockedUntil: Item.lockedUntil } : {}),
    };
  }

  /**
   * Counts an answer as a wrong code before it is checked, unless MFA is locked or
   * `max` attempts are already counted: so of any number of parallel guesses at most
   * `max` are ever checked. A right (or replayed) code is then taken off again.
   */
  async holdMfaAttempt(principal: string, attempt: string, max: number, nowSeconds: number, ttl: number): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.mfaGuard(principal),
        UpdateExpression: 'ADD #a :a SET #ttl = :ttl',
        ConditionExpression: '(attribute_not_exists(#until) OR #until <= :now) AND (attribute_not_exists(#a) OR size(#a) < :max)',
        ExpressionAttributeNames: { '#a': 'attempts', '#until': 'lockedUntil', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':a': new Set([attempt]), ':now': nowSeconds, ':max': max, ':ttl': ttl },
      }),
    );
  }

  /** Takes attempts off the count: a right or replayed code, or failures older than the window. */
  async forgetMfaAttempts(principal: string, attempts: string[]): Promise<void> {
    if (attempts.length === 0) return;
    await this.call(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.mfaGuard(principal),
          UpdateExpression: 'DELETE #a :a',
          ExpressionAttributeNames: { '#a': 'attempts' },
          ExpressionAttributeValues: { ':a': new Set(attempts) },
        }),
      ),
    );
  }

  /** Locks MFA until `until` once `max` attempts are counted; true for the one call that locked it (it audits and tells). */
  async lockMfa(principal: string, max: number, until: number, nowSeconds: number, ttl: number): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.mfaGuard(principal),
        UpdateExpression: 'SET #until = :until, #ttl = :ttl REMOVE #a',
        ConditionExpression: '(attribute_not_exists(#until) OR #until <= :now) AND size(#a) >= :max',
        ExpressionAttributeNames: { '#a': 'attempts', '#until': 'lockedUntil', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':until': until, ':now': nowSeconds, ':max': max, ':ttl': ttl },
      }),
    );
  }
}
