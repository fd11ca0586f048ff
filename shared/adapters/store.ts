/**
 * DynamoDB behind the use cases' `Store`: requests, grant slots, audit events,
 * idempotency keys, TOTP enrolments and per-user limits in one table (layout in
 * docs/ARCHITECTURE.md). Each part lives in its own module; this class only puts them
 * behind one port.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../domain/audit';
import type { JitRequest } from '../domain/request';
import type { PageKey } from '../domain/cursor';
import type { AuditFilter, CreateOptions, Enrolment, RequestChange, Store, StoredRequest, TaskTokens } from '../usecases/ports';
import { DynamoRequests } from './request-items';
import { DynamoQueries } from './store-queries';
import { documentClient } from './table';
import { DynamoUserRecords } from './user-records';

export class DynamoStore implements Store {
  private readonly requests: DynamoRequests;
  private readonly users: DynamoUserRecords;
  private readonly queries: DynamoQueries;

  constructor(client: DynamoDBClient, table: string) {
    const doc = documentClient(client);
    this.requests = new DynamoRequests(doc, table);
    this.users = new DynamoUserRecords(doc, table);
    this.queries = new DynamoQueries(doc, table);
  }

  getRequest(id: string) {
    return this.requests.getRequest(id);
  }

  getGrantSlot(principal: string, action: string, resource: string) {
    return this.requests.getGrantSlot(principal, action, resource);
  }

  createRequest(request: JitRequest, audit: AuditEvent[], opts: CreateOptions) {
    return this.requests.createRequest(request, audit, opts);
  }

  idempotentRequestId(principal: string, key: string) {
    return this.requests.idempotentRequestId(principal, key);
  }

  releaseIdempotencyKey(principal: string, key: string, requestId: string) {
    return this.requests.releaseIdempotencyKey(principal, key, requestId);
  }

  saveRequest(before: StoredRequest, after: JitRequest, audit: AuditEvent[], tokens?: TaskTokens) {
    return this.requests.saveRequest(before, after, audit, tokens);
  }

  saveRequests(changes: RequestChange[]) {
    return this.requests.saveRequests(changes);
  }

  recordAudit(events: AuditEvent[]) {
    return this.requests.recordAudit(events);
  }

  getEnrolment(principal: string) {
    return this.users.getEnrolment(principal);
  }

  putEnrolment(principal: string, enrolment: Enrolment) {
    return this.users.putEnrolment(principal, enrolment);
  }

  replaceEnrolment(principal: string, enrolment: Enrolment, previousSecret: string) {
    return this.users.replaceEnrolment(principal, enrolment, previousSecret);
  }

  useTotpStep(principal: string, step: number) {
    return this.users.useTotpStep(principal, step);
  }

  takeRate(principal: string, kind: string, windowStart: number, count: number, ttl: number) {
    return this.users.takeRate(principal, kind, windowStart, count, ttl);
  }

  reservePending(principal: string, reservation: string, limit: number, ttl: number) {
    return this.users.reservePending(principal, reservation, limit, ttl);
  }

  pendingReservations(principal: string) {
    return this.users.pendingReservations(principal);
  }

  releasePending(principal: string, reservations: string[]) {
    return this.users.releasePending(principal, reservations);
  }

  getMfaGuard(principal: string) {
    return this.users.getMfaGuard(principal);
  }

  holdMfaAttempt(principal: string, attempt: string, max: number, nowSeconds: number, ttl: number) {
    return this.users.holdMfaAttempt(principal, attempt, max, nowSeconds, ttl);
  }

  forgetMfaAttempts(principal: string, attempts: string[]) {
    return this.users.forgetMfaAttempts(principal, attempts);
  }

  lockMfa(principal: string, max: number, until: number, nowSeconds: number, ttl: number) {
    return this.users.lockMfa(principal, max, until, nowSeconds, ttl);
  }

  pageByRequester(principal: string, opts: { limit: number; status?: string; cursor?: PageKey }) {
    return this.queries.pageByRequester(principal, opts);
  }

  pagePendingApproval(opts: { limit: number; cursor?: PageKey }) {
    return this.queries.pagePendingApproval(opts);
  }

  listAudit(filter: AuditFilter) {
    return this.queries.listAudit(filter);
  }

  readChains(since?: string) {
    return this.queries.readChains(since);
  }
}
