/**
 * The synthesized template's RestApi as a local router: `AWS::ApiGateway::Resource` and
 * `AWS::ApiGateway::Method` become routes (AWS_PROXY → a Lambda function's logical id,
 * MOCK → a static response), matched with API Gateway's precedence, and HTTP requests
 * become API Gateway REST (v1) proxy events.
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { LambdaFunctionError } from './lambda/runtime';

export interface CfnTemplate {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

export interface LambdaRouteMatch {
  kind: 'lambda';
  functionLogicalId: string;
  /** The resource path with its parameters, e.g. `/v1/requests/{id}`. */
  resourcePath: string;
  /** Decoded path parameters (`{}` when none). */
  pathParameters: Record<string, string>;
  /** The method as declared: the request's method or `ANY`. */
  methodHttpMethod: string;
  methodLogicalId: string;
  authorizationType: string;
}

export interface MockRouteMatch {
  kind: 'mock';
  statusCode: number;
  body: string;
  headers: Record<string, string>;
  resourcePath: string;
  pathParameters: Record<string, string>;
  methodHttpMethod: string;
  methodLogicalId: string;
}

export type RouteMatch = LambdaRouteMatch | MockRouteMatch;

export interface RouteInfo {
  httpMethod: string;
  resourcePath: string;
  kind: 'lambda' | 'mock';
  /** The function's logical id, or the mock's status code. */
  target: string;
}

export interface Router {
  /** The best route for a method and a path (query string allowed, ignored), or undefined. */
  match(method: string, path: string): RouteMatch | undefined;
  /** Every route, sorted by path then method (for printing at startup). */
  routes: RouteInfo[];
  restApiLogicalId: string;
  /** The RestApi's BinaryMediaTypes (used by toProxyEvent when passed in its options). */
  binaryMediaTypes: string[];
}

type Target =
  | { kind: 'lambda'; functionLogicalId: string; authorizationType: string }
  | { kind: 'mock'; statusCode: number; body: string; headers: Record<string, string> };

interface MethodEntry {
  logicalId: string;
  httpMethod: string;
  target: Target;
}

interface Node {
  resourcePath: string;
  literal: Map<string, Node>;
  param?: { name: string; node: Node };
  greedy?: { name: string; node: Node };
  methods: Map<string, MethodEntry>;
}

const newNode = (resourcePath: string): Node => ({ resourcePath, literal: new Map(), methods: new Map() });

function isGetAtt(v: unknown, attr?: string): v is { 'Fn::GetAtt': [string, string] } {
  const g = (v as { 'Fn::GetAtt'?: unknown })?.['Fn::GetAtt'];
  const parts = typeof g === 'string' ? g.split('.') : g;
  return Array.isArray(parts) && parts.length === 2 && (attr === undefined || parts[1] === attr);
}
const getAttTarget = (v: { 'Fn::GetAtt': unknown }): string => {
  const g = v['Fn::GetAtt'];
  return (typeof g === 'string' ? g.split('.') : (g as string[]))[0]!;
};
const refOf = (v: unknown): string | undefined => {
  const r = (v as { Ref?: unknown })?.Ref;
  return typeof r === 'string' ? r : undefined;
};

/**
 * Builds the router from a synthesized template. With several RestApis, name one.
 * Throws, naming the method, for integrations local mode cannot run (anything but AWS_PROXY
 * to a function of the template, and MOCK).
 */
export function buildRouter(template: CfnTemplate, opts: { restApiLogicalId?: string } = {}): Router {
  const resources = template.Resources ?? {};
  const apis = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::ApiGateway::RestApi').map(([id]) => id);
  const apiId = opts.restApiLogicalId ?? (apis.length === 1 ? apis[0] : undefined);
  if (!apiId || !resources[apiId]) {
    throw new Error(
      apis.length === 0
        ? 'buildRouter: the template has no AWS::ApiGateway::RestApi'
        : `buildRouter: the template has ${apis.length} RestApis (${apis.join(', ')}): pass restApiLogicalId`,
    );
  }
  const api = resources[apiId]!;
  const binaryMediaTypes = Array.isArray(api.Properties?.BinaryMediaTypes)
    ? (api.Properties!.BinaryMediaTypes as unknown[]).filter((x): x is string => typeof x === 'string').map((s) => s.replace('~1', '/'))
    : [];
  const belongs = (props: Record<string, unknown> | undefined) => refOf(props?.RestApiId) === apiId;
  const isRoot = (v: unknown) => isGetAtt(v, 'RootResourceId') && getAttTarget(v) === apiId;

  // Resource tree.
  const root = newNode('/');
  const nodes = new Map<string, Node>();
  const resolving = new Set<string>();
  const nodeOf = (ref: unknown, from: string): Node => {
    if (isRoot(ref)) return root;
    const id = refOf(ref);
    if (!id) throw new Error(`buildRouter: ${from}: ParentId/ResourceId is neither a Ref nor the RestApi's RootResourceId`);
    const existing = nodes.get(id);
    if (existing) return existing;
    const r = resources[id];
    if (!r || r.Type !== 'AWS::ApiGateway::Resource' || !belongs(r.Properties)) {
      throw new Error(`buildRouter: ${from}: ${id} is not an AWS::ApiGateway::Resource of ${apiId}`);
    }
    if (resolving.has(id)) throw new Error(`buildRouter: resource ${id} is its own ancestor`);
    resolving.add(id);
    const parent = nodeOf(r.Properties!.ParentId, id);
    const part = r.Properties!.PathPart;
    if (typeof part !== 'string' || !part) throw new Error(`buildRouter: resource ${id}: PathPart must be a string`);
    const path = `${parent.resourcePath === '/' ? '' : parent.resourcePath}/${part}`;
    let node: Node;
    const greedy = /^\{([^{}]+)\+\}$/.exec(part);
    const param = /^\{([^{}+]+)\}$/.exec(part);
    if (greedy) {
      if (parent.greedy && parent.greedy.name !== greedy[1]) throw new Error(`buildRouter: two greedy children under ${parent.resourcePath}`);
      parent.greedy ??= { name: greedy[1]!, node: newNode(path) };
      node = parent.greedy.node;
    } else if (param) {
      if (parent.param && parent.param.name !== param[1]) {
        throw new Error(`buildRouter: ${parent.resourcePath} has two path parameters as children ({${parent.param.name}} and {${param[1]}}); API Gateway rejects that too`);
      }
      parent.param ??= { name: param[1]!, node: newNode(path) };
      node = parent.param.node;
    } else {
      if (!parent.literal.has(part)) parent.literal.set(part, newNode(path));
      node = parent.literal.get(part)!;
    }
    resolving.delete(id);
    nodes.set(id, node);
    return node;
  };
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::ApiGateway::Resource' && belongs(r.Properties)) nodeOf({ Ref: id }, id);
  }

  // Methods.
  const routes: RouteInfo[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::ApiGateway::Method' || !belongs(r.Properties)) continue;
    const p = r.Properties!;
    const httpMethod = String(p.HttpMethod ?? '').toUpperCase();
    if (!httpMethod) throw new Error(`buildRouter: method ${id} has no HttpMethod`);
    const node = nodeOf(p.ResourceId, id);
    const target = integrationTarget(id, p, resources);
    if (node.methods.has(httpMethod)) throw new Error(`buildRouter: two ${httpMethod} methods on ${node.resourcePath}`);
    node.methods.set(httpMethod, { logicalId: id, httpMethod, target });
    routes.push({
      httpMethod,
      resourcePath: node.resourcePath,
      kind: target.kind,
      target: target.kind === 'lambda' ? target.functionLogicalId : String(target.statusCode),
    });
  }
  routes.sort((a, b) => a.resourcePath.localeCompare(b.resourcePath) || a.httpMethod.localeCompare(b.httpMethod));

  const methodOf = (node: Node, method: string) => node.methods.get(method) ?? node.methods.get('ANY');

  /** Depth-first with backtracking: a literal child first, then {param}, then {greedy+}. */
  const walk = (node: Node, segs: string[], i: number, method: string, params: Record<string, string>):
    | { node: Node; entry: MethodEntry; params: Record<string, string> }
    | undefined => {
    if (i === segs.length) {
      const entry = methodOf(node, method);
      return entry ? { node, entry, params } : undefined;
    }
    const seg = segs[i]!;
    const lit = node.literal.get(safeDecode(seg));
    if (lit) {
      const found = walk(lit, segs, i + 1, method, params);
      if (found) return found;
    }
    if (node.param) {
      const found = walk(node.param.node, segs, i + 1, method, { ...params, [node.param.name]: safeDecode(seg) });
      if (found) return found;
    }
    if (node.greedy) {
      const entry = methodOf(node.greedy.node, method);
      if (entry) {
        return { node: node.greedy.node, entry, params: { ...params, [node.greedy.name]: safeDecode(segs.slice(i).join('/')) } };
      }
    }
    return undefined;
  };

  return {
    restApiLogicalId: apiId,
    binaryMediaTypes,
    routes,
    match(method, path) {
      const pathname = path.split('?')[0]!.split('#')[0]!;
      const segs = pathname.split('/').filter((s) => s !== '');
      const found = walk(root, segs, 0, method.toUpperCase(), {});
      if (!found) return undefined;
      const common = {
        resourcePath: found.node.resourcePath,
        pathParameters: found.params,
        methodHttpMethod: found.entry.httpMethod,
        methodLogicalId: found.entry.logicalId,
      };
      const t = found.entry.target;
      return t.kind === 'lambda'
        ? { kind: 'lambda', functionLogicalId: t.functionLogicalId, authorizationType: t.authorizationType, ...common }
        : { kind: 'mock', statusCode: t.statusCode, body: t.body, headers: { ...t.headers }, ...common };
    },
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function integrationTarget(methodId: string, p: Record<string, unknown>, resources: NonNullable<CfnTemplate['Resources']>): Target {
  const integration = (p.Integration ?? {}) as Record<string, unknown>;
  const type = String(integration.Type ?? '');
  if (type === 'AWS_PROXY') {
    const fn = functionOfUri(integration.Uri, resources);
    if (!fn) {
      throw new Error(
        `buildRouter: method ${methodId}: cannot find the Lambda function in the AWS_PROXY integration's Uri ${JSON.stringify(integration.Uri)}`,
      );
    }
    return { kind: 'lambda', functionLogicalId: fn, authorizationType: String(p.AuthorizationType ?? 'NONE') };
  }
  if (type === 'MOCK') return mockTarget(integration);
  throw new Error(`buildRouter: method ${methodId}: integration type ${type || '(none)'} is not supported in local mode (AWS_PROXY and MOCK are)`);
}

/** The logical id of the function an integration Uri points at (GetAtt Arn, Ref to an alias/version, or Fn::Sub). */
function functionOfUri(uri: unknown, resources: NonNullable<CfnTemplate['Resources']>): string | undefined {
  const resolveRef = (id: string): string | undefined => {
    const r = resources[id];
    if (!r) return undefined;
    if (r.Type === 'AWS::Lambda::Function') return id;
    if (r.Type === 'AWS::Lambda::Alias' || r.Type === 'AWS::Lambda::Version') {
      const name = r.Properties?.FunctionName;
      const ref = refOf(name) ?? (isGetAtt(name) ? getAttTarget(name) : undefined);
      return ref ? resolveRef(ref) : undefined;
    }
    return undefined;
  };
  const visit = (v: unknown): string | undefined => {
    if (isGetAtt(v, 'Arn')) return resolveRef(getAttTarget(v));
    const ref = refOf(v);
    if (ref) return resolveRef(ref);
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{([A-Za-z0-9]+)(?:\.Arn)?\}/g)) {
        const found = resolveRef(m[1]!);
        if (found) return found;
      }
      return undefined;
    }
    if (Array.isArray(v)) {
      for (const x of v) {
        const found = visit(x);
        if (found) return found;
      }
      return undefined;
    }
    if (v && typeof v === 'object') {
      for (const x of Object.values(v)) {
        const found = visit(x);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(uri);
}

/**
 * A MOCK integration as a static response: the status code from the request template's
 * `statusCode` (default 200) picks the integration response whose SelectionPattern matches
 * it, else the default one (no SelectionPattern); its `application/json` template is the body
 * (VTL is not evaluated) and `method.response.header.X: "'value'"` parameters are its headers.
 * No integration response at all: 500, as API Gateway answers.
 */
function mockTarget(integration: Record<string, unknown>): Target {
  const requestTemplates = (integration.RequestTemplates ?? {}) as Record<string, unknown>;
  const reqTemplate = requestTemplates['application/json'] ?? Object.values(requestTemplates)[0];
  let requested = 200;
  if (typeof reqTemplate === 'string') {
    const m = /"?statusCode"?\s*:\s*"?(\d{3})/.exec(reqTemplate);
    if (m) requested = Number(m[1]);
  }
  const responses = Array.isArray(integration.IntegrationResponses)
    ? (integration.IntegrationResponses as Record<string, unknown>[])
    : [];
  const selected =
    responses.find((r) => {
      const pattern = r.SelectionPattern;
      if (typeof pattern !== 'string' || pattern === '') return false;
      try {
        return new RegExp(`^(?:${pattern})$`).test(String(requested));
      } catch {
        return false;
      }
    }) ?? responses.find((r) => r.SelectionPattern === undefined || r.SelectionPattern === '');
  if (!selected) {
    return { kind: 'mock', statusCode: 500, body: '{"message": "Internal server error"}', headers: { 'Content-Type': 'application/json' } };
  }
  const templates = (selected.ResponseTemplates ?? {}) as Record<string, unknown>;
  const templateType = 'application/json' in templates ? 'application/json' : Object.keys(templates)[0];
  const body = templateType && typeof templates[templateType] === 'string' ? (templates[templateType] as string) : '';
  const headers: Record<string, string> = { 'Content-Type': templateType ?? 'application/json' };
  for (const [k, v] of Object.entries((selected.ResponseParameters ?? {}) as Record<string, unknown>)) {
    const h = /^method\.response\.header\.(.+)$/.exec(k);
    const value = typeof v === 'string' ? /^'(.*)'$/s.exec(v) : null;
    if (!h || !value) continue; // only static values; mappings from the integration response have nothing to map here
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === h[1]!.toLowerCase()) delete headers[existing];
    headers[h[1]!] = value[1]!;
  }
  return { kind: 'mock', statusCode: Number(selected.StatusCode ?? 200), body, headers };
}

// ---------------------------------------------------------------------------------------------
// Events

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
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
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
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
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
      (queryStringParameters ??= {})[k] = v;
      ((multiValueQueryStringParameters ??= {})[k] ??= []).push(v);
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

// ---------------------------------------------------------------------------------------------
// Results

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
  return { statusCode: 502, headers: { 'content-type': 'application/json', 'x-amzn-ErrorType': 'InternalServerErrorException' }, body: '{"message": "Internal server error"}' };
}
