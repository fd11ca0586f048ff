/** POST /v1/authorize: the apps' hot path (index.ts is the Lambda entry, which loads this after prefetch.ts). */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { readAuthorizeBody } from '../../shared/web/authorize-body';
import { errorResponse, header, json } from '../../shared/web/http';
import { coreRuntime } from '../../shared/runtime-core';
import { authorize, type AuthorizeResult } from '../../shared/usecases/authorize';
import { instrumented } from '../../shared/observability';

async function handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const started = Date.now();
  try {
    const deps = coreRuntime();
    const caller = await deps.verifier.verify(header(event, 'authorization'));
    const result = await authorize(deps, caller, readAuthorizeBody(event));
    deps.metrics.count(result.allowed ? 'AuthorizeAllowed' : 'AuthorizeDenied');
    deps.metrics.duration('AuthorizeLatency', Date.now() - started);
    return json(200, result);
  } catch (err) {
    return errorResponse(err);
  }
}

/** The request behind the answer: the grant used, or the caller's pending request. */
function requestIdOf(_event: APIGatewayProxyEvent, result?: APIGatewayProxyResult): unknown {
  if (result?.statusCode !== 200) return undefined;
  const answer = JSON.parse(result.body) as Partial<AuthorizeResult>;
  return answer.grant?.requestId ?? answer.pendingRequestId;
}

export const handler = instrumented(handle, requestIdOf);
