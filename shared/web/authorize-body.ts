/**
 * POST /v1/authorize's body, read without evaluating zod on the hot path: zod and the API's
 * schemas cost the authorize function's cold start tens of milliseconds of module evaluation
 * (bench section 8). A body that plainly satisfies `authorizeBody` (api-schemas.ts) is taken
 * as it is; any other goes to that schema, loaded then (esbuild evaluates a dynamically
 * imported module on first use), which accepts it or says why not, as every route does.
 * test/unit/web/authorize-body.test.ts checks the shortcut accepts nothing the schema refuses.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ACTION_PATTERN, MAX_ACTION_LENGTH } from '../domain/action';
import { resourceProblem } from '../domain/resource';
import type { AuthorizeInput } from '../usecases/authorize';
import { jsonBody, validate } from './http';

const KEYS = new Set(['action', 'resource', 'consume']);

export async function readAuthorizeBody(event: APIGatewayProxyEvent): Promise<AuthorizeInput> {
  const data = jsonBody(event);
  return plainAuthorizeBody(data) ?? validate((await import('./api-schemas')).authorizeBody, data, 'body');
}

/** The body as `authorizeBody` would output it, or undefined unless it is plainly valid. */
export function plainAuthorizeBody(data: unknown): AuthorizeInput | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  if (Object.keys(data).some((key) => !KEYS.has(key))) return undefined;
  const { action, resource, consume } = data as Record<string, unknown>;
  if (typeof action !== 'string' || action.length > MAX_ACTION_LENGTH || !ACTION_PATTERN.test(action)) return undefined;
  if (resource !== undefined && (typeof resource !== 'string' || resourceProblem(resource) !== undefined)) return undefined;
  if (consume !== undefined && typeof consume !== 'boolean') return undefined;
  return { action, ...(resource === undefined ? {} : { resource }), ...(consume === undefined ? {} : { consume }) };
}
