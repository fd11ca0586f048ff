/** Reading requests: one by id (for whom it is visible), and the requester's or the approver's pages. */
import type { Principal } from '../domain/identity';
import { decodeCursor, encodeCursor } from '../domain/cursor';
import { requestView, type RequestView } from '../domain/views';
import type { Deps } from '../runtime';
import { assertVisible, isEligibleApprover, load } from './common';

export async function getRequest(deps: Deps, principal: Principal, id: string): Promise<RequestView> {
  const { request } = await load(deps, id);
  assertVisible(deps, request, principal);
  return requestView(request);
}

/**
 * The requester's own requests, or the approver's inbox, a page at a time with an
 * opaque cursor. The inbox reads everyone's pending requests and keeps the caller's,
 * page after page until it has `limit` of them, so nobody's request can be pushed
 * out of it by someone else's flood.
 */
export async function listRequests(
  deps: Deps,
  principal: Principal,
  q: { role: 'requester' | 'approver'; status?: string; limit: number; cursor?: string },
): Promise<{ requests: RequestView[]; cursor?: string }> {
  if (q.role === 'requester') {
    const cursor = q.cursor
      ? decodeCursor(q.cursor, { fields: ['pk', 'sk', 'gsi1pk', 'gsi1sk'], fixed: { sk: 'REQUEST', gsi1pk: `REQUESTER#${principal.id}` } })
      : undefined;
    const page = await deps.store.pageByRequester(principal.id, { limit: q.limit, status: q.status, cursor });
    return { requests: page.requests.map(requestView), ...(page.next ? { cursor: encodeCursor(page.next) } : {}) };
  }
  let cursor = q.cursor
    ? decodeCursor(q.cursor, { fields: ['pk', 'sk', 'gsi2pk', 'gsi2sk'], fixed: { sk: 'REQUEST', gsi2pk: 'PENDING' } })
    : undefined;
  const mine: RequestView[] = [];
  for (;;) {
    const page = await deps.store.pagePendingApproval({ limit: 100, cursor });
    for (const { request, key } of page.entries) {
      if (
        (q.status && request.status !== q.status) ||
        !isEligibleApprover(deps, request, principal) ||
        request.approvals.some((a) => a.approver.id === principal.id)
      )
        continue;
      mine.push(requestView(request));
      // A full page ends right after its last request, so the next one starts there.
      if (mine.length === q.limit)
        return { requests: mine, ...(key === page.entries.at(-1)?.key && !page.next ? {} : { cursor: encodeCursor(key) }) };
    }
    if (!page.next) return { requests: mine };
    cursor = page.next;
  }
}
