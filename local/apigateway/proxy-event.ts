/** HTTP request → API Gateway REST (v1) proxy event, as the integration's function receives it. */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { RouteMatch } from './router';

export interface ProxyEventOptions {
  stage: string;
  /** Host name as API Gateway would report it, e.g. `127.0.0.1:4000` or `localhost`. */
  domainName: string;
  /** Default: a new UUID. */
  requestId?: string;
  /** Default: now. */
  now?: Date;
  accountId?: string;
  apiId?: string;
  /** Content types delivered base64 (the RestApi's BinaryMediaTypes); others are sent as text when they are valid UTF-8. */
  binaryMediaTypes?: string[];
}

const TEXT_TYPES = /^(text\/|application\/(?:[\w.+-]*\+)?(?:json|xml|javascript|x-www-form-urlencoded|graphql|yaml|x-yaml)\b)/i;

function isBinary(contentType: string | undefined, body: Buffer, binaryMediaTypes: string[] = []): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const listed = binaryMediaTypes.some((b) => {
    const t = b.toLowerCase();
    if (t === '*/*') return true;
    if (t.endsWith('/*')) return type.startsWith(t.slice(0, -1));
    return t === type;
  });
  if (listed) return true;
  if (type && !TEXT_TYPES.test(type)) return true;
  // No or a textual content type: text when it decodes as UTF-8.
  return !isUtf8(body);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `09/Apr/2015:12:34:56 +0000`, as API Gateway's requestTime. */
function clf(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}`;
  const time = `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  return `${date}:${time} +0000`;
}

/**
 * A map from names the client chose: without a prototype, `__proto__`, `constructor` or `toString`
 * are names like any other (an ordinary object made `?constructor=1` a 500). The worker receives a
 * structured clone, an ordinary object with the same own keys.
 */
function ownKeys<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** An API Gateway REST (v1) proxy event for a request and the route it matched. */
export function toProxyEvent(req: IncomingMessage, body: Buffer, match: RouteMatch, opts: ProxyEventOptions): APIGatewayProxyEvent {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const path = (q === -1 ? rawUrl : rawUrl.slice(0, q)) || '/';
  const search = q === -1 ? '' : rawUrl.slice(q + 1);
  const now = opts.now ?? new Date();
  const requestId = opts.requestId ?? randomUUID();
  const sourceIp = (req.socket?.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  const method = (req.method ?? 'GET').toUpperCase();

  // Headers keep the client's spelling (rawHeaders); single-valued ones carry the last value.
  const headers = ownKeys<string>();
  const multiValueHeaders = ownKeys<string[]>();
  const canonical = new Map<string, string>();
  const addHeader = (name: string, value: string) => {
    const lower = name.toLowerCase();
    const key = canonical.get(lower) ?? name;
    canonical.set(lower, key);
    headers[key] = value;
    (multiValueHeaders[key] ??= []).push(value);
  };
  const raw = req.rawHeaders ?? [];
  for (let i = 0; i + 1 < raw.length; i += 2) addHeader(raw[i]!, raw[i + 1]!);
  const headerValue = (lower: string) => {
    const key = canonical.get(lower);
    return key === undefined ? undefined : headers[key];
  };
  // What API Gateway adds in front of the integration.
  const xff = headerValue('x-forwarded-for');
  if (xff !== undefined) {
    const key = canonical.get('x-forwarded-for')!;
    headers[key] = `${xff}, ${sourceIp}`;
    multiValueHeaders[key] = [headers[key]!];
  } else addHeader('X-Forwarded-For', sourceIp);
  if (headerValue('x-forwarded-proto') === undefined) addHeader('X-Forwarded-Proto', 'http');
  if (headerValue('x-forwarded-port') === undefined) addHeader('X-Forwarded-Port', String(req.socket?.localPort ?? 80));
  if (headerValue('x-amzn-trace-id') === undefined) {
    addHeader('X-Amzn-Trace-Id', `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)}`);
  }

  let queryStringParameters: Record<string, string> | null = null;
  let multiValueQueryStringParameters: Record<string, string[]> | null = null;
  if (search) {
    const params = new URLSearchParams(search);
    for (const [k, v] of params) {
      (queryStringParameters ??= ownKeys())[k] = v;
      ((multiValueQueryStringParameters ??= ownKeys())[k] ??= []).push(v);
    }
  }

  const hasBody = body.length > 0;
  const binary = hasBody && isBinary(headerValue('content-type'), body, opts.binaryMediaTypes);
  const pathParameters = Object.keys(match.pathParameters).length ? { ...match.pathParameters } : null;

  return {
    resource: match.resourcePath,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters,
    stageVariables: null,
    body: hasBody ? body.toString(binary ? 'base64' : 'utf8') : null,
    isBase64Encoded: binary,
    requestContext: {
      accountId: opts.accountId ?? '000000000000',
      apiId: opts.apiId ?? 'local',
      authorizer: undefined,
      domainName: opts.domainName,
      domainPrefix: opts.domainName.split('.')[0]!.split(':')[0]!,
      extendedRequestId: requestId,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: headerValue('user-agent') ?? null,
        userArn: null,
      },
      path,
      protocol: `HTTP/${req.httpVersion ?? '1.1'}`,
      requestId,
      requestTime: clf(now),
      requestTimeEpoch: now.getTime(),
      resourceId: match.methodLogicalId,
      resourcePath: match.resourcePath,
      stage: opts.stage,
    },
  };
}
