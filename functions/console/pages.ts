/**
 * The console's pages (GET), each the use case the API calls for the same question, with
 * the session's principal: so an approver sees only what they may decide, a requester only
 * their own requests, and the audit page only opens for auditors.
 */
import type { Principal } from '../../shared/domain/identity';
import type { ShownRequest } from '../../shared/domain/timeline';
import type { Deps } from '../../shared/runtime';
import { listPolicies } from '../../shared/usecases/policies';
import { getRequest, listRequests } from '../../shared/usecases/requests';
import { validate } from '../../shared/web/http';
import { listQuery } from '../../shared/web/api-schemas';
import { inboxView } from '../../shared/web/console/inbox';
import type { ConsoleView, Viewer } from '../../shared/web/console/layout';
import { detailView, myRequestsView, type PolicyForCaller } from '../../shared/web/console/requests';
import type { Place } from './place';

/** A page's answer before the shell: the view, and its status when not 200. */
export type PageResult = { view: ConsoleView; status?: number };
export type PageContext = { deps: Deps; place: Place; principal: Principal; viewer: Viewer & { id: string } };
type Page = (c: PageContext) => Promise<PageResult>;

/** `?cursor=` as the API takes it (same validation), nothing else. */
function cursorOf(c: PageContext): string | undefined {
  const q = c.place.event.queryStringParameters ?? {};
  return q.cursor === undefined ? undefined : validate(listQuery, { cursor: q.cursor }, 'query').cursor;
}

const PAGE_SIZE = 10;

export const PAGES: Record<string, Page> = {
  '/': async (c) => {
    const cursor = cursorOf(c);
    const list = await listRequests(c.deps, c.principal, { role: 'requester', limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    const policies = listPolicies(c.deps, c.principal).policies as PolicyForCaller[];
    return { view: myRequestsView(asShown(list), cursor === undefined, policies, c.place.paths, c.viewer) };
  },
  '/console/inbox': async (c) => {
    const cursor = cursorOf(c);
    const list = await listRequests(c.deps, c.principal, { role: 'approver', limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
    return { view: inboxView(asShown(list), cursor === undefined, c.place.paths, c.viewer) };
  },
  '/console/requests/{id}': async (c) => {
    const id = c.place.event.pathParameters?.id ?? '';
    const view = (await getRequest(c.deps, c.principal, id)) as unknown as ShownRequest;
    return { view: detailView(view, c.place.paths, c.viewer) };
  },
};

/** The use cases answer views of requests: the request's fields and what it waits for. */
function asShown(list: { requests: unknown[]; cursor?: string }): { requests: ShownRequest[]; cursor?: string } {
  return list as { requests: ShownRequest[]; cursor?: string };
}
