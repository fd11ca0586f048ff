/**
 * The RestApi of a synthesized template as a local router and API Gateway REST (v1)
 * proxy events. Two templates: a real one synthesized by aws-cdk-lib (RestApi,
 * LambdaIntegration, MockIntegration, addProxy), shaped like jitgate's API, and a
 * hand-made fragment for the corners (aliases, selection patterns, errors).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  buildRouter,
  toProxyEvent,
  writeMockResponse,
  writeProxyResult,
  type CfnTemplate,
  type LambdaRouteMatch,
  type MockRouteMatch,
  type Router,
} from '../../../local/apigateway';

/** A stack shaped like infra/api.ts (ARCHITECTURE.md): lambda routes, a mock /health, ANY 405 mocks, a root {proxy+} 404. */
function synthesizeApi(): { template: CfnTemplate; ids: Record<'api' | 'authorize' | 'approve', string> } {
  const outdir = mkdtempSync(join(tmpdir(), 'jitgate-cdk-'));
  try {
    // Without CDK's own template checks (on by default): this stack is a shape for the router, and the checks
    // load a validation engine that costs seconds of CPU per test file (infra/stack.ts leaves them off too).
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'ApiShape');
    const fn = (id: string) =>
      new lambda.Function(stack, id, {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler=1'),
      });
    const apiFn = fn('ApiFunction');
    const authorizeFn = fn('AuthorizeFunction');
    const approveFn = fn('ApproveFunction');
    const api = new apigw.RestApi(stack, 'Api', { deployOptions: { stageName: 'prod' } });
    const methodNotAllowed = (allow: string) =>
      new apigw.MockIntegration({
        requestTemplates: { 'application/json': '{"statusCode": 405}' },
        integrationResponses: [
          {
            statusCode: '405',
            responseTemplates: { 'application/json': '{"type":"about:blank","title":"Method Not Allowed","status":405}' },
            responseParameters: {
              'method.response.header.Allow': `'${allow}'`,
              'method.response.header.Content-Type': "'application/problem+json'",
            },
          },
        ],
      });
    const mockOptions = {
      methodResponses: [
        { statusCode: '405', responseParameters: { 'method.response.header.Allow': true, 'method.response.header.Content-Type': true } },
      ],
    };
    const route = (resource: apigw.IResource, methods: Record<string, lambda.IFunction>) => {
      for (const [m, f] of Object.entries(methods)) resource.addMethod(m, new apigw.LambdaIntegration(f));
      resource.addMethod('ANY', methodNotAllowed(Object.keys(methods).join(', ')), mockOptions);
    };
    const v1 = api.root.addResource('v1');
    route(v1.addResource('authorize'), { POST: authorizeFn });
    const requests = v1.addResource('requests');
    route(requests, { GET: apiFn, POST: apiFn });
    const one = requests.addResource('{id}');
    route(one, { GET: apiFn });
    route(one.addResource('decisions'), { POST: apiFn });
    route(approveFnResource(api), { GET: approveFn, POST: approveFn });
    api.root.addResource('health').addMethod(
      'GET',
      new apigw.MockIntegration({
        requestTemplates: { 'application/json': '{"statusCode": 200}' },
        integrationResponses: [{ statusCode: '200', responseTemplates: { 'application/json': '{"status":"ok"}' } }],
      }),
      { methodResponses: [{ statusCode: '200' }] },
    );
    api.root.addProxy({
      anyMethod: true,
      defaultIntegration: new apigw.MockIntegration({
        requestTemplates: { 'application/json': '{"statusCode": 404}' },
        integrationResponses: [
          {
            statusCode: '404',
            responseTemplates: { 'application/json': '{"type":"about:blank","title":"Not Found","status":404}' },
            responseParameters: { 'method.response.header.Content-Type': "'application/problem+json'" },
          },
        ],
      }),
      defaultMethodOptions: {
        methodResponses: [{ statusCode: '404', responseParameters: { 'method.response.header.Content-Type': true } }],
      },
    });
    const template = app.synth().getStackByName('ApiShape').template as CfnTemplate;
    return {
      template,
      ids: {
        api: stack.getLogicalId(apiFn.node.defaultChild as lambda.CfnFunction),
        authorize: stack.getLogicalId(authorizeFn.node.defaultChild as lambda.CfnFunction),
        approve: stack.getLogicalId(approveFn.node.defaultChild as lambda.CfnFunction),
      },
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
const approveFnResource = (api: apigw.RestApi) => api.root.addResource('approve').addResource('{link}');

describe('router from a CDK-synthesized RestApi', () => {
  let router: Router;
  let ids: Record<'api' | 'authorize' | 'approve', string>;
  beforeAll(() => {
    const synth = synthesizeApi();
    ids = synth.ids;
    router = buildRouter(synth.template);
  });

  it('routes lambda methods to their function with path parameters', () => {
    expect(router.match('POST', '/v1/authorize')).toMatchObject({
      kind: 'lambda',
      functionLogicalId: ids.authorize,
      resourcePath: '/v1/authorize',
      pathParameters: {},
    });
    expect(router.match('GET', '/v1/requests/r-123?x=1')).toMatchObject({
      kind: 'lambda',
      functionLogicalId: ids.api,
      resourcePath: '/v1/requests/{id}',
      pathParameters: { id: 'r-123' },
      methodHttpMethod: 'GET',
    });
    expect(router.match('POST', '/v1/requests/r-123/decisions')).toMatchObject({
      functionLogicalId: ids.api,
      resourcePath: '/v1/requests/{id}/decisions',
    });
    expect(router.match('GET', '/approve/abc.def')).toMatchObject({ functionLogicalId: ids.approve, pathParameters: { link: 'abc.def' } });
  });

  it('prefers the explicit method, else the ANY mock (405 with Allow)', () => {
    const m = router.match('DELETE', '/v1/requests/r-1') as MockRouteMatch;
    expect(m).toMatchObject({ kind: 'mock', statusCode: 405, methodHttpMethod: 'ANY', resourcePath: '/v1/requests/{id}' });
    expect(m.headers).toEqual({ Allow: 'GET', 'Content-Type': 'application/problem+json' });
    expect(JSON.parse(m.body)).toMatchObject({ status: 405 });
    expect(router.match('PUT', '/v1/requests')).toMatchObject({ statusCode: 405, headers: { Allow: 'GET, POST' } });
  });

  it('serves the /health mock and sends unknown paths to the root {proxy+} 404', () => {
    expect(router.match('GET', '/health')).toMatchObject({
      kind: 'mock',
      statusCode: 200,
      body: '{"status":"ok"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(router.match('GET', '/v1/nope')).toMatchObject({
      kind: 'mock',
      statusCode: 404,
      resourcePath: '/{proxy+}',
      pathParameters: { proxy: 'v1/nope' },
    });
    expect(router.match('GET', '/v1/requests/r-1/nope/deeper')).toMatchObject({
      statusCode: 404,
      pathParameters: { proxy: 'v1/requests/r-1/nope/deeper' },
    });
    // /health has GET only and no ANY: other methods fall back to the greedy proxy.
    expect(router.match('POST', '/health')).toMatchObject({ statusCode: 404 });
  });

  it('ignores trailing and doubled slashes', () => {
    expect(router.match('POST', '/v1/authorize/')).toMatchObject({ functionLogicalId: ids.authorize });
    expect(router.match('POST', '//v1//authorize')).toMatchObject({ functionLogicalId: ids.authorize });
  });

  it('lists its routes', () => {
    expect(router.routes).toEqual(
      expect.arrayContaining([
        { httpMethod: 'POST', resourcePath: '/v1/authorize', kind: 'lambda', target: ids.authorize },
        { httpMethod: 'ANY', resourcePath: '/{proxy+}', kind: 'mock', target: '404' },
        { httpMethod: 'GET', resourcePath: '/health', kind: 'mock', target: '200' },
      ]),
    );
  });
});

/** Hand-made, in the shape CDK renders (Ref / Fn::GetAtt RootResourceId / Fn::Join Uri). */
const lambdaUri = (target: unknown) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':apigateway:',
      { Ref: 'AWS::Region' },
      ':lambda:path/2015-03-31/functions/',
      target,
      '/invocations',
    ],
  ],
});
const root = { 'Fn::GetAtt': ['Api', 'RootResourceId'] };
const res = (parent: unknown, part: string) => ({
  Type: 'AWS::ApiGateway::Resource',
  Properties: { ParentId: parent, PathPart: part, RestApiId: { Ref: 'Api' } },
});
const method = (resource: unknown, httpMethod: string, integration: unknown) => ({
  Type: 'AWS::ApiGateway::Method',
  Properties: {
    HttpMethod: httpMethod,
    ResourceId: resource,
    RestApiId: { Ref: 'Api' },
    AuthorizationType: 'NONE',
    Integration: integration,
  },
});
const proxyTo = (fn: string) => ({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST', Uri: lambdaUri({ 'Fn::GetAtt': [fn, 'Arn'] }) });

const handMade: CfnTemplate = {
  Resources: {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'jitgate', BinaryMediaTypes: ['image~1png'] } },
    Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
    Other: { Type: 'AWS::Lambda::Function', Properties: {} },
    OtherAlias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Other' }, Name: 'live' } },
    V1: res(root, 'v1'),
    Items: res({ Ref: 'V1' }, 'items'),
    ItemId: res({ Ref: 'Items' }, '{id}'),
    ItemsSearch: res({ Ref: 'Items' }, 'search'),
    ItemSub: res({ Ref: 'ItemId' }, 'sub'),
    Files: res({ Ref: 'V1' }, 'files'),
    FilesProxy: res({ Ref: 'Files' }, '{path+}'),
    Empty: res({ Ref: 'V1' }, 'empty'),
    RootProxy: res(root, '{proxy+}'),
    ItemGet: method({ Ref: 'ItemId' }, 'GET', proxyTo('Fn')),
    ItemAny: method({ Ref: 'ItemId' }, 'ANY', proxyTo('Other')),
    SearchGet: method({ Ref: 'ItemsSearch' }, 'GET', { Type: 'AWS_PROXY', Uri: lambdaUri({ Ref: 'OtherAlias' }) }),
    SubPost: method({ Ref: 'ItemSub' }, 'POST', {
      Type: 'AWS_PROXY',
      Uri: { 'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations' },
    }),
    FilesGet: method({ Ref: 'FilesProxy' }, 'GET', proxyTo('Fn')),
    RootGet: method(root, 'GET', {
      Type: 'MOCK',
      RequestTemplates: { 'application/json': '{"statusCode": 302}' },
      IntegrationResponses: [
        { StatusCode: '200', ResponseTemplates: { 'application/json': '{}' } },
        {
          StatusCode: '302',
          SelectionPattern: '3\\d{2}',
          ResponseParameters: {
            'method.response.header.Location': "'/health'",
            'method.response.header.X-From': 'integration.response.header.X',
          },
        },
      ],
    }),
    RootProxyAny: method({ Ref: 'RootProxy' }, 'ANY', { Type: 'MOCK', RequestTemplates: { 'application/json': '{"statusCode": 404}' } }),
  },
};

describe('router corners (hand-made template)', () => {
  const router = buildRouter(handMade);

  it('literal segments beat {param}, which beats {proxy+}', () => {
    expect(router.match('GET', '/v1/items/search')).toMatchObject({ resourcePath: '/v1/items/search', functionLogicalId: 'Other' });
    expect(router.match('GET', '/v1/items/42')).toMatchObject({
      resourcePath: '/v1/items/{id}',
      functionLogicalId: 'Fn',
      pathParameters: { id: '42' },
    });
    expect(router.match('POST', '/v1/items/42/sub')).toMatchObject({ resourcePath: '/v1/items/{id}/sub', functionLogicalId: 'Fn' });
    expect(router.match('GET', '/v1/items/42/unknown')).toMatchObject({ kind: 'mock', resourcePath: '/{proxy+}' });
  });

  it('backtracks: a literal branch without the method gives way to {param}', () => {
    // /v1/items/search has GET only; POST there is the {id} resource's ANY.
    expect(router.match('POST', '/v1/items/search')).toMatchObject({
      resourcePath: '/v1/items/{id}',
      methodHttpMethod: 'ANY',
      functionLogicalId: 'Other',
      pathParameters: { id: 'search' },
    });
  });

  it('greedy parameters take the rest of the path, at least one segment, decoded', () => {
    expect(router.match('GET', '/v1/files/a/b%20c/d.txt')).toMatchObject({
      resourcePath: '/v1/files/{path+}',
      pathParameters: { path: 'a/b c/d.txt' },
    });
    expect(router.match('GET', '/v1/files')).toMatchObject({ resourcePath: '/{proxy+}' });
    expect(router.match('GET', '/v1/empty')).toMatchObject({ resourcePath: '/{proxy+}' }); // a resource without methods matches nothing
  });

  it('decodes path parameters (the event path stays encoded)', () => {
    expect(router.match('GET', '/v1/items/a%2Fb%20c')).toMatchObject({ pathParameters: { id: 'a/b c' } });
    expect(router.match('GET', '/v1/items/%E0%A4%A')).toMatchObject({ pathParameters: { id: '%E0%A4%A' } });
  });

  it('MOCK: the request template status selects the integration response; static header parameters only', () => {
    expect(router.match('GET', '/')).toMatchObject({
      kind: 'mock',
      statusCode: 302,
      body: '',
      headers: { Location: '/health', 'Content-Type': 'application/json' },
    });
    // No integration response at all: API Gateway answers 500.
    expect(router.match('GET', '/anything')).toMatchObject({ kind: 'mock', statusCode: 500, body: '{"message": "Internal server error"}' });
    expect(router.match('POST', '/')).toBeUndefined();
  });

  it('rejects what it cannot run, naming the method', () => {
    const http = structuredClone(handMade);
    http.Resources!.FilesGet!.Properties!.Integration = { Type: 'HTTP_PROXY', Uri: 'https://example.com' };
    expect(() => buildRouter(http)).toThrow(/FilesGet: integration type HTTP_PROXY is not supported/);
    const two = structuredClone(handMade);
    two.Resources!.Api2 = { Type: 'AWS::ApiGateway::RestApi', Properties: {} };
    expect(() => buildRouter(two)).toThrow(/2 RestApis \(Api, Api2\)/);
    expect(buildRouter(two, { restApiLogicalId: 'Api' }).match('GET', '/v1/items/1')).toBeDefined();
    expect(() => buildRouter({ Resources: {} })).toThrow(/no AWS::ApiGateway::RestApi/);
  });
});

describe('proxy events and results over a real HTTP server', () => {
  const router = buildRouter(handMade);
  let server: Server;
  let port: number;
  let lastEvent: APIGatewayProxyEvent | undefined;
  let nextResult: unknown;
  let lastWrite: { statusCode: number; error?: string } | undefined;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const match = router.match(req.method!, req.url!);
        if (!match) {
          res.statusCode = 404;
          res.end();
          return;
        }
        if (match.kind === 'mock') {
          writeMockResponse(res, match);
          return;
        }
        lastEvent = toProxyEvent(req, Buffer.concat(chunks), match as LambdaRouteMatch, {
          stage: 'prod',
          domainName: `127.0.0.1:${port}`,
          requestId: 'req-1',
          now: new Date('2026-03-04T05:06:07.089Z'),
          binaryMediaTypes: router.binaryMediaTypes,
        });
        lastWrite = writeProxyResult(res, nextResult);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    port = typeof addr === 'object' && addr ? addr.port : 0;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** node:http request with raw header control (fetch would normalise them). */
  function call(method: string, path: string, headers: [string, string][] = [], body?: Buffer | string) {
    return new Promise<{ status: number; headers: IncomingMessage['headers']; rawHeaders: string[]; body: Buffer }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          headers: [
            ['Host', `127.0.0.1:${port}`],
            ...headers,
            ...(body !== undefined ? [['Content-Length', String(Buffer.byteLength(body))]] : []),
          ].flat() as unknown as Record<string, string>,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('fills the event as API Gateway REST does', async () => {
    nextResult = { statusCode: 200, body: '{"ok":true}' };
    const r = await call(
      'POST',
      '/v1/items/a%20b/sub?tag=x&tag=y&q=a%2Bb&flag',
      [
        ['Content-Type', 'application/json'],
        ['X-Custom', 'one'],
        ['x-custom', 'two'],
        ['Authorization', 'Bearer t'],
        ['User-Agent', 'jest'],
      ],
      '{"decision":"approve"}',
    );
    expect(r.status).toBe(200);
    const e = lastEvent!;
    expect(e).toMatchObject({
      resource: '/v1/items/{id}/sub',
      path: '/v1/items/a%20b/sub',
      httpMethod: 'POST',
      pathParameters: { id: 'a b' },
      queryStringParameters: { tag: 'y', q: 'a+b', flag: '' },
      multiValueQueryStringParameters: { tag: ['x', 'y'], q: ['a+b'], flag: [''] },
      stageVariables: null,
      body: '{"decision":"approve"}',
      isBase64Encoded: false,
    });
    expect(e.headers['Content-Type']).toBe('application/json');
    expect(e.headers.Authorization).toBe('Bearer t');
    expect(e.headers['X-Custom']).toBe('two');
    expect(e.multiValueHeaders['X-Custom']).toEqual(['one', 'two']);
    expect(e.headers['X-Forwarded-For']).toBe('127.0.0.1');
    expect(e.headers['X-Forwarded-Proto']).toBe('http');
    expect(e.headers['X-Forwarded-Port']).toBe(String(port));
    expect(e.requestContext).toMatchObject({
      requestId: 'req-1',
      stage: 'prod',
      domainName: `127.0.0.1:${port}`,
      resourcePath: '/v1/items/{id}/sub',
      httpMethod: 'POST',
      path: '/v1/items/a%20b/sub',
      requestTimeEpoch: Date.parse('2026-03-04T05:06:07.089Z'),
      requestTime: '04/Mar/2026:05:06:07 +0000',
      identity: { sourceIp: '127.0.0.1', userAgent: 'jest' },
      resourceId: 'SubPost',
    });
  });

  it('takes query and header names that are Object.prototype keys as plain names (they made a 500)', async () => {
    nextResult = { statusCode: 200, body: '' };
    const r = await call('GET', '/v1/items/1?__proto__=a&constructor=b&toString=c&constructor=d', [['__proto__', 'x']]);
    expect(r.status).toBe(200);
    const e = lastEvent!;
    expect(Object.entries(e.queryStringParameters!)).toEqual([
      ['__proto__', 'a'],
      ['constructor', 'd'],
      ['toString', 'c'],
    ]);
    expect(Object.entries(e.multiValueQueryStringParameters!)).toContainEqual(['constructor', ['b', 'd']]);
    expect(Object.entries(e.headers)).toContainEqual(['__proto__', 'x']);
  });

  it('nulls what is absent', async () => {
    nextResult = { statusCode: 204, body: '' };
    const r = await call('GET', '/v1/items/1');
    expect(r.status).toBe(204);
    expect(lastEvent).toMatchObject({
      body: null,
      isBase64Encoded: false,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
    });
  });

  it('base64-encodes binary bodies (listed media types, non-text types, invalid UTF-8)', async () => {
    nextResult = { statusCode: 200, body: '' };
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    await call('GET', '/v1/items/1', [['Content-Type', 'image/png']], bytes);
    expect(lastEvent).toMatchObject({ isBase64Encoded: true, body: bytes.toString('base64') });
    await call('GET', '/v1/items/1', [['Content-Type', 'application/octet-stream']], 'text but octets');
    expect(lastEvent).toMatchObject({ isBase64Encoded: true, body: Buffer.from('text but octets').toString('base64') });
    await call('GET', '/v1/items/1', [['Content-Type', 'text/plain']], bytes);
    expect(lastEvent!.isBase64Encoded).toBe(true);
    await call('GET', '/v1/items/1', [['Content-Type', 'application/x-www-form-urlencoded']], 'a=1&b=%C3%A9');
    expect(lastEvent).toMatchObject({ isBase64Encoded: false, body: 'a=1&b=%C3%A9' });
  });

  it('writes headers, merged multiValueHeaders and base64 bodies', async () => {
    nextResult = {
      statusCode: 201,
      headers: { 'Content-Type': 'application/octet-stream', 'X-One': 1, 'Set-Cookie': 'ignored=1', 'Content-Length': '999' },
      multiValueHeaders: { 'Set-Cookie': ['a=1; HttpOnly', 'b=2; Secure'] },
      body: Buffer.from([1, 2, 3]).toString('base64'),
      isBase64Encoded: true,
    } satisfies APIGatewayProxyResult;
    const r = await call('GET', '/v1/items/1');
    expect(r.status).toBe(201);
    expect([...r.body]).toEqual([1, 2, 3]);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    expect(r.headers['content-length']).toBe('3');
    expect(r.headers['x-one']).toBe('1');
    expect(r.headers['set-cookie']).toEqual(['a=1; HttpOnly', 'b=2; Secure']);
  });

  it('defaults Content-Type to application/json', async () => {
    nextResult = { statusCode: 200, body: '{}' };
    const r = await call('GET', '/v1/items/1');
    expect(r.headers['content-type']).toBe('application/json');
  });

  it.each([
    ['no object', undefined],
    ['no status code', { body: 'x' }],
    ['a body that is not a string', { statusCode: 200, body: { a: 1 } }],
  ])('answers 502 for a malformed result (%s), as API Gateway does', async (_why, result) => {
    nextResult = result;
    const r = await call('GET', '/v1/items/1');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString())).toEqual({ message: 'Internal server error' });
    expect(lastWrite!.error).toMatch(/malformed Lambda proxy response/);
  });

  it('writes mock responses with their headers', async () => {
    const r = await call('GET', '/');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/health');
  });
});
