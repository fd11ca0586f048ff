/**
 * GET /openapi.json: the OpenAPI 3.1 description of the HTTP API. Every request and
 * response body is a named component generated from the zod schemas the handlers parse
 * with (api-schemas.ts) and the responses are checked against (response-schemas.ts), so
 * the document cannot say something the code does not do.
 */
import * as z from 'zod';
import { apiSchemas, auditQuery, auditVerifyQuery, listQuery } from './api-schemas';
import './response-schemas';

type Json = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string, extra: Json = {}) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
  ...extra,
});
const body = (id: string, required = true) => ({ required, content: { 'application/json': { schema: ref(id) } } });
const text = (type: string, description: string) => ({ description, content: { [type]: { schema: { type: 'string' } } } });

const retryAfter = {
  'Retry-After': { description: 'seconds until a retry can succeed (RFC 9110 section 10.2.3)', schema: { type: 'integer' } },
};
/** The error statuses and what each means; a route lists the ones it can answer. */
const ERRORS: Record<number, { description: string; headers?: Json }> = {
  400: { description: 'validation-failed (with `errors`), mfa-failed (with `attemptsLeft`), mfa-code-reused' },
  401: {
    description: 'invalid-token (RFC 6750), or insufficient-user-authentication: a step-up sign-in is needed (RFC 9470)',
    headers: {
      'WWW-Authenticate': {
        description: 'Bearer error="invalid_token" | error="insufficient_user_authentication", acr_values, max_age',
        schema: { type: 'string' },
      },
    },
  },
  403: { description: 'policy-denied (with `rule`), not-an-approver, self-approval, forbidden' },
  404: { description: 'not-found: no such request, or one the caller may not see' },
  409: { description: 'already-decided (with `currentStatus`), window-closed, conflict, mfa-not-enrolled' },
  413: { description: 'payload-too-large: the body is over 64 KiB' },
  415: { description: 'unsupported-media-type: send application/json' },
  422: { description: 'idempotency-key-reused: the key was used for a different request' },
  429: { description: 'rate-limited, too-many-pending-requests, mfa-locked (with `limit` and `retryAfter`)', headers: retryAfter },
  503: { description: 'dependency-unavailable (with `retryAfter`)', headers: retryAfter },
};
const problem = (description: string, headers?: Json) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
/** The given statuses, 401 and 503 (every authenticated route), and `default` for anything else (500). */
function errors(...statuses: number[]): Json {
  const out: Json = {};
  for (const status of [...new Set([...statuses, 401, 503])].sort((a, b) => a - b)) {
    out[status] = problem(ERRORS[status]!.description, ERRORS[status]!.headers);
  }
  out.default = problem('internal: anything unexpected, logged; never a stack trace');
  return out;
}
const BODY = [400, 413, 415];

/** Query parameters from the same zod schema the handler validates the query with. */
function queryParams(schema: z.ZodObject): Json[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _, ...fieldSchema } = z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' }) as Json;
    return { name, in: 'query', required: false, schema: fieldSchema };
  });
}

const idParam = { name: 'id', in: 'path', required: true, description: 'the request id', schema: { type: 'string' } };
const linkParam = { name: 'link', in: 'path', required: true, description: 'the personal, signed link', schema: { type: 'string' } };
const requestResponse = (description: string) => json('Request', description);

function paths(): Json {
  return {
    '/v1/authorize': {
      post: {
        operationId: 'authorize',
        summary: 'May the caller do this action now? `consume: true` uses a one-time grant atomically',
        requestBody: body('AuthorizeRequest'),
        responses: { 200: json('AuthorizeResult', 'the decision'), ...errors(...BODY) },
      },
    },
    '/v1/requests': {
      post: {
        operationId: 'createRequest',
        summary: 'Ask for a sensitive action',
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 128 } }],
        requestBody: body('CreateRequest'),
        responses: {
          201: json(
            'Request',
            'the new request; an auto-approved or break-glass one is still pending (waitingFor.activation) ' +
              'until the state machine activates it',
            {
              headers: { Location: { schema: { type: 'string' } } },
            },
          ),
          200: requestResponse('the live request that already covers it (same window grant, or the same Idempotency-Key)'),
          ...errors(...BODY, 403, 422, 429),
        },
      },
      get: {
        operationId: 'listRequests',
        summary: 'Own requests, or the approver inbox (`role=approver`), newest first, a page at a time',
        parameters: queryParams(listQuery),
        responses: { 200: json('RequestPage', 'a page of requests'), ...errors(400) },
      },
    },
    '/v1/requests/{id}': {
      get: {
        operationId: 'getRequest',
        summary: 'A request with its approvals and grant',
        parameters: [idParam],
        responses: { 200: requestResponse('the request'), ...errors(404) },
      },
    },
    '/v1/requests/{id}/mfa': {
      post: {
        operationId: 'answerMfa',
        summary: 'Answer the TOTP challenge',
        parameters: [idParam],
        requestBody: body('MfaAnswer'),
        responses: { 200: requestResponse('the request'), ...errors(...BODY, 403, 404, 409, 429) },
      },
    },
    '/v1/requests/{id}/decisions': {
      post: {
        operationId: 'decide',
        summary: 'Approve or deny',
        parameters: [idParam],
        requestBody: body('Decision'),
        responses: { 200: requestResponse('the request'), ...errors(...BODY, 403, 404, 409) },
      },
    },
    '/v1/requests/{id}/cancel': {
      post: {
        operationId: 'cancel',
        summary: 'Cancel a pending request',
        parameters: [idParam],
        requestBody: body('Cancel', false),
        responses: { 200: requestResponse('the request'), ...errors(...BODY, 403, 404, 409) },
      },
    },
    '/v1/requests/{id}/revoke': {
      post: {
        operationId: 'revoke',
        summary: 'End an active grant now',
        parameters: [idParam],
        requestBody: body('Revoke', false),
        responses: { 200: requestResponse('the request'), ...errors(...BODY, 403, 404, 409) },
      },
    },
    '/v1/requests/{id}/extend': {
      post: {
        operationId: 'extend',
        summary:
          'Ask for more time on an active window grant (its requester only): an extension request through the same policy; ' +
          "approved, the grant's end moves later. 400 names the maximum and what is left",
        parameters: [idParam],
        requestBody: body('Extend'),
        responses: {
          201: json('Request', 'the extension request (`extends`: the grant); `applied` once the grant ends later', {
            headers: { Location: { schema: { type: 'string' } } },
          }),
          ...errors(...BODY, 403, 404, 409, 429),
        },
      },
    },
    '/v1/mfa/totp': {
      post: {
        operationId: 'enrolTotp',
        summary: 'Enrol a TOTP authenticator (a recent sign-in; replacing a confirmed one needs its current code)',
        requestBody: body('TotpEnrolRequest', false),
        responses: { 201: json('TotpEnrolment', 'the secret, to put in an authenticator app'), ...errors(...BODY, 429) },
      },
    },
    '/v1/mfa/totp/verify': {
      post: {
        operationId: 'confirmTotp',
        summary: 'Confirm the authenticator',
        requestBody: body('MfaAnswer'),
        responses: { 200: json('TotpConfirmation', 'confirmed'), ...errors(...BODY, 409, 429) },
      },
    },
    '/v1/policies': {
      get: {
        operationId: 'policies',
        summary: 'Sensitive actions and what each takes, for this caller',
        responses: { 200: json('PolicyList', 'the policies'), ...errors() },
      },
    },
    '/v1/audit': {
      get: {
        operationId: 'audit',
        summary: 'The audit trail (auditors), paged; `format=jsonl` for JSON lines (next cursor in X-Next-Cursor)',
        parameters: queryParams(auditQuery),
        responses: {
          200: {
            description: 'a page of events, or the same as JSON lines',
            content: { 'application/json': { schema: ref('AuditPage') }, 'application/x-ndjson': { schema: { type: 'string' } } },
          },
          ...errors(400, 403),
        },
      },
    },
    '/v1/audit/verify': {
      get: {
        operationId: 'verifyAudit',
        summary: 'Walk the audit chains (auditors) and name the first broken link',
        parameters: queryParams(auditVerifyQuery),
        responses: { 200: json('VerifyReport', 'the report'), ...errors(400, 403) },
      },
    },
    '/v1/audit/export': {
      get: {
        operationId: 'exportAudit',
        summary: 'The audit chains as JSON lines, heads and events with their hashes, for offline verification (auditors)',
        parameters: queryParams(auditVerifyQuery),
        responses: { 200: text('application/x-ndjson', 'JSON lines'), ...errors(400, 403) },
      },
    },
    '/approve/{link}': {
      get: {
        operationId: 'approvalPage',
        summary: 'Confirmation page; changes nothing',
        security: [],
        parameters: [linkParam],
        responses: { 200: text('text/html', 'the page') },
      },
      post: {
        operationId: 'approvalDecision',
        summary: 'The decision (form post with CSRF token)',
        security: [],
        parameters: [linkParam],
        responses: {
          200: text('text/html', 'the outcome page'),
          400: text('text/html', 'a link or form that is not valid'),
          409: text('text/html', 'already decided'),
        },
      },
    },
    '/approve/{link}/signin': {
      get: {
        operationId: 'approverSignIn',
        summary: 'Approver single sign-on (approverAuth "sso"): redirects to the sign-in issuer (authorization code + PKCE)',
        security: [],
        parameters: [linkParam],
        responses: { 302: { description: "to the issuer's authorization endpoint" } },
      },
    },
    '/approve/callback': {
      get: {
        operationId: 'approverSignInCallback',
        summary: 'Approver single sign-on: the redirect URI; exchanges the code, verifies the ID token, back to the link page',
        security: [],
        parameters: ['code', 'state', 'error'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
        responses: { 303: { description: 'back to the approval page, signed in' } },
      },
    },
    '/health': {
      get: {
        operationId: 'health',
        summary: 'Liveness',
        security: [],
        responses: { 200: json('Health', 'up'), 503: json('Health', 'local mode: a component is down (Retry-After)') },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        security: [],
        responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': {} } } },
      },
    },
  };
}

/** The components, as zod generates them for the registry, without the per-schema `$schema`/`$id` (the document sets the dialect). */
function componentSchemas(): Json {
  const { schemas } = z.toJSONSchema(apiSchemas, { io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]));
}

let cached: Json | undefined;

/**
 * The document; `serverUrl` is where this API answers (the handler passes what API Gateway
 * saw). It is not cached with the document: the Host header of local mode is the caller's.
 */
export function openApiDocument(serverUrl?: string): Json {
  cached ??= {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'jitgate',
      version: '1',
      description: 'Just-In-Time action approval for federated identities.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'a token from a configured OIDC issuer' },
      },
      schemas: componentSchemas(),
    },
    security: [{ bearer: [] }],
    paths: paths(),
  };
  const { openapi, info, ...rest } = cached;
  const servers = [{ url: serverUrl ?? '/', description: serverUrl ? 'this deployment' : 'the host serving this document' }];
  return { openapi, info, servers, ...rest };
}
