/** Lambda proxy result (or a mock route's response, or a failed function) → HTTP response, as API Gateway writes it. */
import type { ServerResponse } from 'node:http';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { LambdaFunctionError } from '../lambda/container';
import type { MockRouteMatch } from './router';

const DROPPED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * Writes a Lambda proxy result as API Gateway would: headers and multiValueHeaders merged
 * (multiValueHeaders win for the same name), base64 bodies decoded, Content-Type
 * application/json by default. A malformed result (not an object, no numeric statusCode,
 * a body that is not a string) gets API Gateway's 502 `{"message": "Internal server error"}`;
 * the reason is returned so the caller can log it.
 */
export function writeProxyResult(res: ServerResponse, result: APIGatewayProxyResult | unknown): { statusCode: number; error?: string } {
  const r = result as Partial<APIGatewayProxyResult> | null | undefined;
  let error: string | undefined;
  if (!r || typeof r !== 'object') error = 'the handler returned no object';
  else if (!Number.isInteger(Number(r.statusCode)) || Number(r.statusCode) < 100 || Number(r.statusCode) > 599) {
    error = `statusCode is not an HTTP status: ${JSON.stringify(r.statusCode)}`;
  } else if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') error = 'body is not a string';
  else if (r.headers != null && typeof r.headers !== 'object') error = 'headers is not an object';
  else if (r.multiValueHeaders != null && typeof r.multiValueHeaders !== 'object') error = 'multiValueHeaders is not an object';
  if (error) {
    const body = Buffer.from('{"message": "Internal server error"}');
    res.statusCode = 502;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('x-amzn-ErrorType', 'InternalServerErrorException');
    res.setHeader('Content-Length', body.length);
    res.end(res.req?.method === 'HEAD' ? undefined : body);
    return { statusCode: 502, error: `malformed Lambda proxy response: ${error}` };
  }
  const merged = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of Object.entries(r!.headers ?? {})) {
    if (value === undefined || value === null) continue;
    merged.set(name.toLowerCase(), { name, values: [String(value)] });
  }
  for (const [name, values] of Object.entries(r!.multiValueHeaders ?? {})) {
    if (!Array.isArray(values)) continue;
    merged.set(name.toLowerCase(), { name, values: values.map(String) });
  }
  const statusCode = Number(r!.statusCode);
  res.statusCode = statusCode;
  for (const [lower, { name, values }] of merged) {
    if (DROPPED_HEADERS.has(lower)) continue;
    res.setHeader(name, values.length === 1 && lower !== 'set-cookie' ? values[0]! : values);
  }
  if (!merged.has('content-type')) res.setHeader('Content-Type', 'application/json');
  const noBody = statusCode === 204 || statusCode === 304 || (statusCode >= 100 && statusCode < 200);
  const body = r!.body && !noBody ? Buffer.from(r!.body, r!.isBase64Encoded ? 'base64' : 'utf8') : Buffer.alloc(0);
  if (!noBody) res.setHeader('Content-Length', body.length);
  res.end(res.req?.method === 'HEAD' || noBody ? undefined : body);
  return { statusCode };
}

/** Writes a mock route's response. */
export function writeMockResponse(res: ServerResponse, match: MockRouteMatch): void {
  writeProxyResult(res, { statusCode: match.statusCode, headers: match.headers, body: match.body });
}

/**
 * API Gateway's answer when a Lambda proxy integration's function fails (an unhandled
 * error or a timeout): 502 `{"message": "Internal server error"}`
 * (https://repost.aws/knowledge-center/malformed-502-api-gateway). Anything else is
 * local mode's own failure and is thrown on.
 */
export function proxyIntegrationFailure(err: unknown): APIGatewayProxyResult {
  if (!(err instanceof LambdaFunctionError)) throw err;
  return {
    statusCode: 502,
    headers: { 'content-type': 'application/json', 'x-amzn-ErrorType': 'InternalServerErrorException' },
    body: '{"message": "Internal server error"}',
  };
}
