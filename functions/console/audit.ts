/**
 * The audit page's reads (auditors only; the caller checks): GET /v1/audit's use case with the
 * page's filters (those the store cannot apply checked on the events read), the JSON-lines
 * export, and the chain verification.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { AuditEvent } from '../../shared/domain/audit';
import { compileGlob } from '../../shared/domain/glob';
import type { Deps } from '../../shared/runtime';
import { readAudit, resolveActor, verifyAudit } from '../../shared/usecases/audit';
import { auditQuery } from '../../shared/web/api-schemas';
import { validate } from '../../shared/web/http';
import { auditView, type AuditFilters } from '../../shared/web/console/audit';
import type { ConsoleView } from '../../shared/web/console/layout';
import type { Place } from './place';

const PAGE_SIZE = 50;
/** Pages read to fill one page of events matching an action. */
const MAX_READS = 10;
/** The most events one export holds; `X-Next-Cursor` says where the rest starts. */
const EXPORT_MAX = 10_000;

/** A `datetime-local` value (`2026-11-26T12:30`), read as UTC; anything else goes to validation as given. */
function isoOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(value)) return `${value}:00Z`;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(value)) return `${value}Z`;
  return value;
}

function filtersOf(q: Record<string, string | undefined>): AuditFilters {
  const f: AuditFilters = {};
  for (const k of ['actor', 'action', 'requestId', 'since', 'until'] as const) {
    const v = q[k]?.trim();
    if (v) f[k] = v.slice(0, 512);
  }
  return f;
}

type Query = Parameters<typeof readAudit>[1];

/**
 * The filters the store did not apply: it reads by one key (request, else actor, else time),
 * so with a request id the actor and the times are checked here; the action always is.
 */
function rest(deps: Deps, query: Query, action: string | undefined): ((e: AuditEvent) => boolean) | undefined {
  const tests: ((e: AuditEvent) => boolean)[] = [];
  if (action) {
    const match = compileGlob(action);
    tests.push((e) => e.action !== undefined && match(e.action));
  }
  if (query.requestId) {
    const actor = resolveActor(deps, query.actor);
    if (actor) tests.push((e) => e.actor === actor);
    if (query.since) tests.push((e) => e.at >= query.since!);
    if (query.until) tests.push((e) => e.at <= `${query.until}\uffff`);
  }
  return tests.length ? (e) => tests.every((t) => t(e)) : undefined;
}

async function matching(deps: Deps, query: Query, action: string | undefined, want: number, reads: number) {
  const match = rest(deps, query, action);
  if (!match) return readAudit(deps, { ...query, limit: want });
  const events: AuditEvent[] = [];
  let cursor = query.cursor;
  for (let i = 0; i < reads; i++) {
    const page = await readAudit(deps, { ...query, ...(cursor ? { cursor } : {}), limit: 100 });
    events.push(...page.events.filter(match));
    cursor = page.cursor;
    if (!cursor || events.length >= want) break;
  }
  return { events, ...(cursor ? { cursor } : {}) };
}

export async function auditPage(deps: Deps, place: Place): Promise<{ view: ConsoleView } | { download: APIGatewayProxyResult }> {
  const q = place.event.queryStringParameters ?? {};
  const filters = filtersOf(q);
  const query = validate(
    auditQuery,
    {
      ...(filters.requestId ? { requestId: filters.requestId } : {}),
      ...(filters.actor ? { actor: filters.actor } : {}),
      ...(filters.since ? { since: isoOf(filters.since) } : {}),
      ...(filters.until ? { until: isoOf(filters.until) } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    },
    'filter',
  );
  if (q.format === 'jsonl') {
    const events: AuditEvent[] = [];
    let cursor = query.cursor;
    do {
      const page = await matching(deps, { ...query, ...(cursor ? { cursor } : {}) }, filters.action, 1000, MAX_READS);
      events.push(...page.events);
      cursor = page.cursor;
    } while (cursor && events.length < EXPORT_MAX);
    return { download: jsonLines(events, cursor) };
  }
  const page = await matching(deps, query, filters.action, PAGE_SIZE, MAX_READS);
  const report = q.verify === '1' ? await verifyAudit(deps, query.since ? { since: query.since } : {}) : undefined;
  return { view: auditView(page, filters, !q.cursor, report, place.paths) };
}

function jsonLines(events: AuditEvent[], cursor: string | undefined): APIGatewayProxyResult {
  return {
    statusCode: 200,
    headers: {
      'content-type': 'application/x-ndjson',
      'content-disposition': 'attachment; filename="jitgate-audit.jsonl"',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(cursor ? { 'x-next-cursor': cursor } : {}),
    },
    body: events.map((e) => `${JSON.stringify(e)}\n`).join(''),
  };
}
