/**
 * POST /v1/authorize's body, read without zod: zod and the API's schemas in the authorize
 * bundle cost its cold start (bench section 8) for bodies that are almost always plainly
 * valid. `authorizeBody` (api-schemas.ts) stays the contract and the OpenAPI document's
 * schema; this reader accepts exactly what it accepts, with the same output, and refuses the
 * rest with the same errors (test/unit/web/authorize-body.test.ts holds the two together, on
 * listed bodies and on generated ones).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { withKnownKeys } from '../config/unknown-keys';
import type { FieldError } from '../domain/errors';
import { ACTION_CHARACTERS, ACTION_PATTERN, MAX_ACTION_LENGTH } from '../domain/action';
import { MAX_RESOURCE_LENGTH, resourceProblem } from '../domain/resource';
import type { AuthorizeInput } from '../usecases/authorize';
import { jsonBody, validationFailed } from './http';

const KEYS = ['action', 'resource', 'consume'];

export function readAuthorizeBody(event: APIGatewayProxyEvent): AuthorizeInput {
  const verdict = authorizeBodyVerdict(jsonBody(event));
  if ('errors' in verdict) throw validationFailed('body', verdict.errors);
  return verdict.data;
}

/**
 * What `validate(authorizeBody, data, 'body')` gives: the body as the schema outputs it (no key
 * that was absent), or the errors it reports, in its order and words.
 */
export function authorizeBodyVerdict(data: unknown): { data: AuthorizeInput } | { errors: FieldError[] } {
  const errors = authorizeBodyErrors(data);
  if (errors.length) return { errors };
  const { action, resource, consume } = data as { action: string; resource?: string; consume?: boolean };
  return { data: { action, ...(resource === undefined ? {} : { resource }), ...(consume === undefined ? {} : { consume }) } };
}

function authorizeBodyErrors(data: unknown): FieldError[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return [{ path: 'body', message: invalid('object', data) }];
  const body = data as Record<string, unknown>;
  const errors: FieldError[] = [];
  const add = (path: string, message: string) => errors.push({ path, message });
  const { action, resource, consume } = body;
  if (typeof action !== 'string') add('action', invalid('string', action));
  else {
    if (action.length < 1) add('action', 'Too small: expected string to have >=1 characters');
    if (action.length > MAX_ACTION_LENGTH) add('action', `Too big: expected string to have <=${MAX_ACTION_LENGTH} characters`);
    if (!ACTION_PATTERN.test(action)) add('action', ACTION_CHARACTERS);
  }
  if (resource !== undefined) {
    if (typeof resource !== 'string') add('resource', invalid('string', resource));
    else {
      if (resource.length > MAX_RESOURCE_LENGTH) add('resource', `Too big: expected string to have <=${MAX_RESOURCE_LENGTH} characters`);
      const problem = resourceProblem(resource);
      if (problem) add('resource', problem);
    }
  }
  if (consume !== undefined && typeof consume !== 'boolean') add('consume', invalid('boolean', consume));
  const unknown = Object.keys(body).filter((key) => !KEYS.includes(key));
  if (unknown.length) {
    const named = unknown.map((key) => `"${key}"`).join(', ');
    add('body', withKnownKeys(`Unrecognized key${unknown.length === 1 ? '' : 's'}: ${named}`, unknown, KEYS));
  }
  return errors;
}

const invalid = (expected: string, value: unknown) =>
  `Invalid input: expected ${expected}, received ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`;
