/** GET /v1/audit: the trail, filtered and paged with an opaque cursor. */
import { decodeCursor, encodeCursor, type CursorShape, type PageKey } from '../domain/cursor';
import { Forbidden, ValidationFailed } from '../domain/errors';
import type { Deps } from '../runtime';
import { principalId, type Principal } from '../domain/identity';
import { verifyChains, type ExportLine, type VerifyReport } from '../domain/audit-chain';
import { isAuditor } from './common';

export async function readAudit(
  deps: Deps,
  q: { requestId?: string; actor?: string; since?: string; until?: string; cursor?: string; limit: number },
) {
  const actor = resolveActor(deps, q.actor);
  // The cursor must be one this same query gave: its index's key fields and its partition.
  const shape: CursorShape = q.requestId
    ? { fields: ['pk', 'sk'], fixed: { pk: `REQ#${q.requestId}` } }
    : actor
      ? { fields: ['pk', 'sk', 'gsi2pk', 'gsi2sk'], fixed: { gsi2pk: `ACTOR#${actor}` } }
      : { fields: ['pk', 'sk', 'gsi1pk', 'gsi1sk'], fixed: { gsi1pk: 'AUDIT' } };
  const cursor = q.cursor ? decodeCursor(q.cursor, shape) : undefined;
  const page = await deps.store.listAudit({ ...q, actor, cursor, limit: q.limit }).catch((err: Error) => {
    if (err.name === 'ValidationException')
      throw new ValidationFailed('cursor does not belong to this query; start again without it', [
        { path: 'cursor', message: 'does not match the filters' },
      ]);
    throw err;
  });
  return { events: page.events, ...(page.cursor ? { cursor: encodeCursor(page.cursor as PageKey) } : {}) };
}

/** GET /v1/audit/verify: walks every chain (requests created since `since`, journal events since) and names the first broken link. */
export async function verifyAudit(deps: Deps, q: { since?: string }): Promise<VerifyReport> {
  return verifyChains(await deps.store.readChains(q.since));
}

/** GET /v1/audit/export: the same chains as lines (each head, then its events in stored order), so a copy can be verified offline. */
export async function exportAudit(deps: Deps, q: { since?: string }): Promise<ExportLine[]> {
  const lines: ExportLine[] = [];
  for (const c of await deps.store.readChains(q.since)) {
    if (c.head) lines.push({ kind: 'head', chain: c.chain, seq: c.head.seq, head: c.head.head });
    for (const e of c.events) lines.push({ kind: 'event', ...e });
  }
  return lines;
}

export function assertAuditor(deps: Deps, principal: Principal): void {
  if (!isAuditor(deps, principal)) throw new Forbidden('only auditors can read the audit trail');
}

/** Actors may be given as a full principal id or, for convenience, as "<issuer name>:<sub>". */
export function resolveActor(deps: Deps, actor: string | undefined): string | undefined {
  const short = actor && /^([a-z0-9-]+):([^#]+)$/.exec(actor);
  const issuer = short ? deps.config.issuers[short[1]!] : undefined;
  return short && issuer ? principalId(issuer.issuer, short[2]!) : actor;
}
