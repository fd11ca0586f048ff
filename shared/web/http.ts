/**
 * The HTTP edge shared by every API handler: JSON bodies with limits, RFC 9457
 * problem documents, and the single mapping from the error tree to statuses.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { duplicateKey } from '../adapters/tokens';
import { unknownKeysMessage } from '../config/unknown-keys';
import {
  ConcurrentModification,
  DependencyUnavailable,
  InsufficientAuthentication,
  InvalidToken,
  JitgateError,
  MfaLocked,
  PayloadTooLarge,
  RateLimited,
  TooManyPending,
  UnsupportedMediaType,
  ValidationFailed,
  type FieldError,
} from '../domain/errors';
import { problemType } from './problem-type';

export const logger = new Logger({ serviceName: 'jitgate' });

export const MAX_BODY_BYTES = 64 * 1024;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', ...SECURITY_HEADERS, ...headers },
    body: JSON.stringify(body),
  };
}

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === lower && v !== undefined) return v;
  return undefined;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function rawBody(event: APIGatewayProxyEvent): string {
  const body = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(body, 'base64') : undefined;
  const size = bytes ? bytes.length : Buffer.byteLength(body, 'utf8');
  if (size > MAX_BODY_BYTES) throw new PayloadTooLarge(`the body is ${size} bytes; the limit is ${MAX_BODY_BYTES}`);
  if (!bytes) return body;
  // API Gateway hands over bodies that are not UTF-8 as base64; decoding them leniently would
  // turn the bad bytes into U+FFFD and accept a body that means something else to its sender.
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new ValidationFailed('the body is not valid UTF-8; send it encoded as UTF-8 (RFC 8259 section 8.1)');
  }
}

/** Parses and validates a JSON body; an absent body is `{}` so optional-only schemas accept it. */
export function parseBody<S extends z.ZodType>(event: APIGatewayProxyEvent, schema: S): z.output<S> {
  return validate(schema, jsonBody(event), 'body');
}

/** A JSON body, parsed but not yet validated: its content type, syntax and keys checked; `{}` when absent. */
export function jsonBody(event: APIGatewayProxyEvent): unknown {
  const text = rawBody(event);
  let data: unknown = {};
  if (text.trim().length > 0) {
    const type = header(event, 'content-type');
    if (type && !/^application\/([a-z.+-]*\+)?json\b/i.test(type))
      throw new UnsupportedMediaType(`content-type is "${type.slice(0, 60)}"; send application/json`);
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new ValidationFailed(`the body is not valid JSON: ${(err as Error).message.slice(0, 120)}`);
    }
    // JSON.parse keeps the last of two equal keys, other parsers the first: refused, as in tokens.
    const duplicate = duplicateKey(text);
    if (duplicate !== undefined)
      throw new ValidationFailed(`the body has the key ${JSON.stringify(duplicate.slice(0, 40))} twice; send each key once`, [
        { path: duplicate.slice(0, 40), message: 'duplicate key' },
      ]);
  }
  return data;
}

export function validate<S extends z.ZodType>(schema: S, data: unknown, where: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({
    path: i.path.join('.') || where,
    message: i.code === 'unrecognized_keys' ? unknownKeysMessage(schema, i) : i.message,
  }));
  throw validationFailed(where, errors);
}

/** The 400 for input that is not valid, each error with where it is (`action`, `body`) and what is wrong. */
export function validationFailed(where: string, errors: FieldError[]): ValidationFailed {
  return new ValidationFailed(`the ${where} is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors);
}

export function problem(
  status: number,
  code: string,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', ...SECURITY_HEADERS, ...headers },
    body: JSON.stringify({ type: problemType(code), title, status, detail, ...extra }),
  };
}

/** The one place errors become responses. Anything unexpected is logged and becomes a bare 500, never a stack trace. */
export function errorResponse(err: unknown): APIGatewayProxyResult {
  if (err instanceof JitgateError) {
    const headers: Record<string, string> = {};
    const extra: Record<string, unknown> = {};
    if (err instanceof InvalidToken)
      headers['www-authenticate'] = `Bearer error="invalid_token", error_description="${headerSafe(err.message)}"`;
    if (err instanceof InsufficientAuthentication) {
      const params = ['error="insufficient_user_authentication"', `error_description="${headerSafe(err.message)}"`];
      if (err.acrValues.length) params.push(`acr_values="${err.acrValues.join(' ')}"`);
      if (err.maxAge !== undefined) params.push(`max_age=${err.maxAge}`);
      headers['www-authenticate'] = `Bearer ${params.join(', ')}`;
    }
    // 429 and 503 say when to come back (RFC 9110 section 10.2.3), in the header and the document.
    const saysWhen =
      err instanceof DependencyUnavailable ||
      err instanceof ConcurrentModification ||
      err instanceof RateLimited ||
      err instanceof TooManyPending ||
      err instanceof MfaLocked;
    if (saysWhen) {
      headers['retry-after'] = String(err.retryAfterSeconds);
      extra.retryAfter = err.retryAfterSeconds;
    }
    if (err instanceof ValidationFailed && err.errors.length) extra.errors = err.errors;
    for (const field of ['rule', 'currentStatus', 'attemptsLeft', 'limit'] as const) {
      if (field in err) extra[field] = (err as unknown as Record<string, unknown>)[field];
    }
    return problem(err.status, err.code, err.title, err.message, extra, headers);
  }
  logger.error('unhandled error', { error: err as Error });
  return problem(500, 'internal', 'Internal error', 'jitgate failed to handle this request; it has been logged');
}

/** Where approval links point: this API's own base URL, as API Gateway saw it (execute-api URLs carry the stage; custom domains do not). */
/** RFC 6750 error_description: printable ASCII without `"` or `\\`. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, ' ').slice(0, 200);
}

export function linkBaseFrom(event: APIGatewayProxyEvent): string {
  const host = event.requestContext?.domainName ?? header(event, 'host') ?? 'localhost';
  if (/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host)) return `http://${host}/approve/`;
  const stage = host.includes('.execute-api.') && event.requestContext?.stage ? `/${event.requestContext.stage}` : '';
  return `https://${host}${stage}/approve/`;
}
