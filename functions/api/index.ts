/** Every /v1 route except authorize: parse, call the use case, map the result. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  auditQuery,
  auditVerifyQuery,
  cancelBody,
  extendBody,
  createRequestBody,
  decisionBody,
  enrolBody,
  idempotencyKey,
  listQuery,
  mfaBody,
  revokeBody,
} from '../../shared/web/api-schemas';
import { approverGroupsOf } from '../../shared/domain/approvals';
import { errorResponse, header, json, linkBaseFrom, parseBody, problem, validate } from '../../shared/web/http';
import type { Principal } from '../../shared/domain/identity';
import { runtime, type Deps } from '../../shared/runtime';
import { decide } from '../../shared/usecases/decisions';
import { answerMfa, confirmTotp, enrolTotp } from '../../shared/usecases/mfa';
import { listPolicies } from '../../shared/usecases/policies';
import { assertAuditor, exportAudit, readAudit, verifyAudit } from '../../shared/usecases/audit';
import { askExtension } from '../../shared/usecases/extensions';
import { cancelRequest, revokeGrant } from '../../shared/usecases/cancel-revoke';
import { createRequest } from '../../shared/usecases/requests';
import { getRequest, listRequests } from '../../shared/usecases/request-reads';
import { openApiDocument } from '../../shared/web/openapi';
import { instrumented } from '../../shared/observability';

type Route = (deps: Deps, caller: Principal, event: APIGatewayProxyEvent, id: string) => Promise<APIGatewayProxyResult>;

const routes: Record<string, Route> = {
  'POST /v1/requests': async (deps, caller, event) => {
    const body = parseBody(event, createRequestBody);
    const key = header(event, 'idempotency-key');
    const result = await createRequest(deps, caller, body, {
      linkBase: linkBaseFrom(event),
      ...(key ? { idempotencyKey: validate(idempotencyKey, key, 'Idempotency-Key header') } : {}),
    });
    return json(result.created ? 201 : 200, result.request, result.created ? { location: `/v1/requests/${result.request.id}` } : {});
  },
  'GET /v1/requests': async (deps, caller, event) => {
    const query = validate(listQuery, event.queryStringParameters ?? {}, 'query');
    return json(200, await listRequests(deps, caller, query));
  },
  'GET /v1/requests/{id}': async (deps, caller, _event, id) => json(200, await getRequest(deps, caller, id)),
  'POST /v1/requests/{id}/mfa': async (deps, caller, event, id) =>
    json(200, await answerMfa(deps, caller, id, parseBody(event, mfaBody).code)),
  'POST /v1/requests/{id}/decisions': async (deps, caller, event, id) => {
    const body = parseBody(event, decisionBody);
    // A request the caller may not see is 404 here as on GET: the refusal must not tell its requirements.
    await getRequest(deps, caller, id);
    return json(
      200,
      await decide(deps, { person: caller, groups: approverGroupsOf(deps.config, caller), via: 'api' }, id, body.decision, body.reason),
    );
  },
  'POST /v1/requests/{id}/cancel': async (deps, caller, event, id) => {
    parseBody(event, cancelBody);
    return json(200, await cancelRequest(deps, caller, id));
  },
  'POST /v1/requests/{id}/revoke': async (deps, caller, event, id) =>
    json(200, await revokeGrant(deps, caller, id, parseBody(event, revokeBody).reason)),
  'POST /v1/requests/{id}/extend': async (deps, caller, event, id) => {
    const result = await askExtension(deps, caller, id, parseBody(event, extendBody), { linkBase: linkBaseFrom(event) });
    return json(201, result.request, { location: `/v1/requests/${result.request.id}` });
  },
  'POST /v1/mfa/totp': async (deps, caller, event) => json(201, await enrolTotp(deps, caller, parseBody(event, enrolBody).code)),
  'POST /v1/mfa/totp/verify': async (deps, caller, event) => json(200, await confirmTotp(deps, caller, parseBody(event, mfaBody).code)),
  'GET /v1/policies': async (deps, caller) => json(200, listPolicies(deps, caller)),
  'GET /v1/audit': async (deps, caller, event) => {
    assertAuditor(deps, caller);
    const query = validate(auditQuery, event.queryStringParameters ?? {}, 'query');
    const page = await readAudit(deps, query);
    if (query.format === 'jsonl') {
      return {
        statusCode: 200,
        headers: {
          'content-type': 'application/x-ndjson',
          'cache-control': 'no-store',
          ...(page.cursor ? { 'x-next-cursor': page.cursor } : {}),
        },
        body: page.events.map((e) => JSON.stringify(e)).join('\n') + (page.events.length ? '\n' : ''),
      };
    }
    return json(200, page);
  },
  'GET /v1/audit/verify': async (deps, caller, event) => {
    assertAuditor(deps, caller);
    return json(200, await verifyAudit(deps, validate(auditVerifyQuery, event.queryStringParameters ?? {}, 'query')));
  },
  'GET /v1/audit/export': async (deps, caller, event) => {
    assertAuditor(deps, caller);
    const lines = await exportAudit(deps, validate(auditVerifyQuery, event.queryStringParameters ?? {}, 'query'));
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' },
      body: lines.map((l) => JSON.stringify(l) + '\n').join(''),
    };
  },
};

async function handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    // The servers entry names this API as the caller reached it (the approval links' base, without /approve/).
    if (event.httpMethod === 'GET' && event.resource === '/openapi.json') {
      return json(200, openApiDocument(linkBaseFrom(event).replace(/\/approve\/$/, '')));
    }
    const route = routes[`${event.httpMethod} ${event.resource}`];
    if (!route) return problem(404, 'not-found', 'Not found', `no route ${event.httpMethod} ${event.path}`);
    const deps = runtime();
    const caller = await deps.verifier.verify(header(event, 'authorization'));
    return await route(deps, caller, event, event.pathParameters?.id ?? '');
  } catch (err) {
    return errorResponse(err);
  }
}

/** The request a call concerns: the path's, or the one a create answered with. */
function requestIdOf(event: APIGatewayProxyEvent, result?: APIGatewayProxyResult): unknown {
  if (event.pathParameters?.id) return event.pathParameters.id;
  if (result && event.httpMethod === 'POST' && event.resource === '/v1/requests' && result.statusCode < 300)
    return (JSON.parse(result.body) as { id?: unknown }).id;
  return undefined;
}

export const handler = instrumented(handle, requestIdOf);
