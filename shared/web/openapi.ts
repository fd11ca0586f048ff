/** GET /openapi.json: the OpenAPI 3.1 description of the HTTP API, with the request bodies generated from the same zod schemas the handlers use. */
import * as z from 'zod';
import { authorizeBody, createRequestBody, decisionBody, enrolBody, mfaBody, revokeBody } from './api-schemas';

const problem = { description: 'RFC 9457 problem document', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const errors = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 413: problem, 422: problem, 429: problem, 503: problem };
const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: z.toJSONSchema(schema) } } });
const ok = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];

let cached: object | undefined;

export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: { title: 'jitgate', version: '1', description: 'Just-In-Time action approval for federated identities.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: { type: 'object', properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, errors: { type: 'array' }, limit: { type: 'string', description: '429: the limit reached' }, retryAfter: { type: 'integer', description: '429 and 503: seconds until a retry can succeed (also the Retry-After header)' } } } },
    },
    security: [{ bearer: [] }],
    paths: {
      '/v1/authorize': { post: { summary: 'May the caller do this action now?', requestBody: body(authorizeBody), responses: { 200: ok('{allowed, reason, rule, grant?, requirements?}'), ...errors } } },
      '/v1/requests': {
        post: { summary: 'Ask for a sensitive action', parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' } }], requestBody: body(createRequestBody), responses: { 201: ok('the new request'), 200: ok('the live request that already covers it'), ...errors } },
        get: { summary: 'Own requests, or the approver inbox', parameters: [{ name: 'role', in: 'query', schema: { enum: ['requester', 'approver'] } }, { name: 'status', in: 'query', schema: { type: 'string' } }, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } }, { name: 'cursor', in: 'query', schema: { type: 'string' } }], responses: { 200: ok('{requests, cursor?}'), ...errors } },
      },
      '/v1/requests/{id}': { get: { summary: 'A request with its approvals and grant', parameters: idParam, responses: { 200: ok('the request'), ...errors } } },
      '/v1/requests/{id}/mfa': { post: { summary: 'Answer the TOTP challenge', parameters: idParam, requestBody: body(mfaBody), responses: { 200: ok('the request'), ...errors } } },
      '/v1/requests/{id}/decisions': { post: { summary: 'Approve or deny', parameters: idParam, requestBody: body(decisionBody), responses: { 200: ok('the request'), ...errors } } },
      '/v1/requests/{id}/cancel': { post: { summary: 'Cancel a pending request', parameters: idParam, responses: { 200: ok('the request'), ...errors } } },
      '/v1/requests/{id}/revoke': { post: { summary: 'End an active grant now', parameters: idParam, requestBody: body(revokeBody), responses: { 200: ok('the request'), ...errors } } },
      '/v1/mfa/totp': { post: { summary: 'Enrol a TOTP authenticator (a recent sign-in; replacing a confirmed one needs its current code)', requestBody: { ...body(enrolBody), required: false }, responses: { 201: ok('{secret, otpauthUri}'), ...errors } } },
      '/v1/mfa/totp/verify': { post: { summary: 'Confirm the authenticator', requestBody: body(mfaBody), responses: { 200: ok('{confirmed}'), ...errors } } },
      '/v1/policies': { get: { summary: 'Sensitive actions and what each takes, for this caller', responses: { 200: ok('{policies}'), ...errors } } },
      '/v1/audit/verify': { get: { summary: 'Walk the audit chains (auditors): {ok, checked, chains, firstBroken?: {id, requestId, reason: edited|deleted|inserted|reordered}}', parameters: [{ name: 'since', in: 'query', schema: { type: 'string' } }], responses: { 200: ok('{ok, checked, chains, firstBroken?}'), ...errors } } },
      '/v1/audit/export': { get: { summary: 'The audit chains as JSON lines, heads and events with their hashes, for offline verification (auditors)', parameters: [{ name: 'since', in: 'query', schema: { type: 'string' } }], responses: { 200: ok('JSON lines'), ...errors } } },
      '/v1/audit': { get: { summary: 'The audit trail (auditors)', parameters: ['requestId', 'actor', 'since', 'until', 'cursor', 'limit', 'format'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })), responses: { 200: ok('{events, cursor?} or JSON lines'), ...errors } } },
      '/approve/{link}': {
        get: { summary: 'Confirmation page; changes nothing', security: [], parameters: [{ name: 'link', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'HTML page' } } },
        post: { summary: 'The decision (form post with CSRF token)', security: [], parameters: [{ name: 'link', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'HTML page' } } },
      },
      '/approve/{link}/signin': {
        get: { summary: 'Approver single sign-on (approverAuth "sso"): redirects to the sign-in issuer (authorization code + PKCE)', security: [], parameters: [{ name: 'link', in: 'path', required: true, schema: { type: 'string' } }], responses: { 302: { description: 'to the issuer\'s authorization endpoint' } } },
      },
      '/approve/callback': {
        get: { summary: 'Approver single sign-on: the redirect URI; exchanges the code, verifies the ID token, back to the link page', security: [], parameters: ['code', 'state', 'error'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })), responses: { 303: { description: 'back to the approval page, signed in' } } },
      },
      '/health': { get: { summary: 'Liveness', security: [], responses: { 200: ok('{status: "ok"}') } } },
    },
  };
  return cached;
}
