/** GET /v1/audit: the trail, filtered and paged with an opaque cursor. */
import { ValidationFailed } from '../errors';
import type { Deps } from '../runtime';
import { principalId } from '../identity';
import { verifyChains, type ExportLine, type VerifyReport } from '../audit-chain';

export async function readAudit(deps: Deps, q: { requestId?: string; actor?: string; since?: string; until?: string; cursor?: string; limit: number }) {
  let cursor: Record<string, unknown> | undefined;
  if (q.cursor) {
    try {
      cursor = JSON.parse(Buffer.from(q.cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ValidationFailed('cursor is not valid; pass the "cursor" value of the previous page unchanged', [{ path: 'cursor', message: 'not a cursor from this API' }]);
    }
  }
  // Actors may be given as a full principal id or, for convenience, as "<issuer name>:<sub>".
  let actor = q.actor;
  const short = actor && /^([a-z0-9-]+):([^#]+)$/.exec(actor);
  if (short && deps.config.issuers[short[1]!]) actor = principalId(deps.config.issuers[short[1]!]!.issuer, short[2]!);
  const page = await deps.store.listAudit({ ...q, actor, cursor, limit: q.limit }).catch((err: Error) => {
    if (err.name === 'ValidationException') throw new ValidationFailed('cursor does not belong to this query; start again without it', [{ path: 'cursor', message: 'does not match the filters' }]);
    throw err;
  });
  return { events: page.events, ...(page.cursor ? { cursor: Buffer.from(JSON.stringify(page.cursor)).toString('base64url') } : {}) };
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
