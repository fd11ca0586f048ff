/**
 * The console's pages (GET), each the use case the API calls for the same question, with
 * the session's principal: so an approver sees only what they may decide, a requester only
 * their own requests, and the audit page only opens for auditors.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { describeCondition } from '../../shared/domain/condition-text';
import { explainFor } from '../../shared/domain/explain';
import { groupMembers, type Principal } from '../../shared/domain/identity';
import { requirementsOf } from '../../shared/domain/policy';
import type { ShownRequest } from '../../shared/domain/timeline';
import type { Deps } from '../../shared/runtime';
import { assertAuditor } from '../../shared/usecases/audit';
import { listPolicies } from '../../shared/usecases/policies';
import { getRequest, listRequests } from '../../shared/usecases/request-reads';
import { validate } from '../../shared/web/http';
import { listQuery } from '../../shared/web/api-schemas';
import { inboxView } from '../../shared/web/console/inbox';
import type { ConsoleView, Viewer } from '../../shared/web/console/layout';
import { detailView, myRequestsView, type PolicyForCaller } from '../../shared/web/console/requests';
import { policiesView, type PolicyAnswer } from '../../shared/web/console/policies';
import { auditPage } from './audit';
import type { Place } from './place';

/** A page's answer: a view for the shell (with its status when not 200), or a file to download as is. */
export type PageResult = { view: ConsoleView; status?: number } | { download: APIGatewayProxyResult };
export type PageContext = { deps: Deps; place: Place; principal: Principal; viewer: Viewer };
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
  '/console/audit': async (c) => {
    assertAuditor(c.deps, c.principal);
    return auditPage(c.deps, c.place);
  },
  '/console/policies': async (c) => {
    const { config } = c.deps;
    const caller = { principal: c.principal, source: 'console sign-in', verified: true } as const;
    const answers: PolicyAnswer[] = config.policies.map((p) => {
      const requirements = requirementsOf(p);
      return {
        action: p.action,
        ...(p.resource ? { resource: p.resource } : {}),
        ...(p.description ? { description: p.description } : {}),
        forYou: explainFor(config, caller, p.action, p.resource ?? '*', c.place.now, c.deps.policies),
        requirements,
        approvers: requirements.approvals.map((a) => ({
          ...a,
          members: groupMembers(config, a.group).map((m) => m.name ?? m.email),
        })),
        denied: p.deny.map((d) => ({ when: describeCondition(d.when), reason: d.reason })),
        ...(p.requesters ? { requesters: describeCondition(p.requesters) } : {}),
      };
    });
    return { view: policiesView(answers) };
  },
};

/** The use cases answer views of requests: the request's fields and what it waits for. */
function asShown(list: { requests: unknown[]; cursor?: string }): { requests: ShownRequest[]; cursor?: string } {
  return list as { requests: ShownRequest[]; cursor?: string };
}
