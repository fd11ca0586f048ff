/** POST /v1/authorize: the apps' hot path. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { authorizeBody } from '../../shared/web/api-schemas';
import { errorResponse, header, json, parseBody } from '../../shared/web/http';
import { runtime } from '../../shared/runtime';
import { authorize } from '../../shared/usecases/authorize';

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const deps = runtime();
    const caller = await deps.verifier.verify(header(event, 'authorization'));
    return json(200, await authorize(deps, caller, parseBody(event, authorizeBody)));
  } catch (err) {
    return errorResponse(err);
  }
}
