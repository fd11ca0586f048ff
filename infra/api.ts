/**
 * The HTTPS API (a REST API, stage `prod`, paths starting at /v1, the approval pages
 * at /approve, the web console at / and /console) and the four functions behind it.
 * The handlers verify the federated JWTs themselves (aws-jwt-verify, several issuers,
 * step-up checks), so no API Gateway authorizer.
 *
 * The error contract holds at the edge too: every answer API Gateway gives by itself
 * is an RFC 9457 problem document. Each resource that has methods also has an ANY
 * method answering 405 (explicit methods win over ANY), resources without methods
 * and a root `{proxy+}` answer 404, and gateway responses cover the rest (throttling
 * 429, unmatched routes 404, other 4xx/5xx).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { LOG_RETENTION, jitgateFunction } from './functions';
import { acknowledge } from './nag';
import { problemType } from '../shared/web/problem-type';
import { connect } from './permissions';

export const STAGE_NAME = 'prod';
export const THROTTLING = { rateLimit: 50, burstLimit: 100 } as const;

type Target = 'api' | 'authorize' | 'approve' | 'console';
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  target: Target;
}

/** Every route a Lambda answers (the contract in the README's "HTTP API"). */
export const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/authorize', target: 'authorize' },
  { method: 'POST', path: '/v1/requests', target: 'api' },
  { method: 'GET', path: '/v1/requests', target: 'api' },
  { method: 'GET', path: '/v1/requests/{id}', target: 'api' },
  { method: 'POST', path: '/v1/requests/{id}/mfa', target: 'api' },
  { method: 'POST', path: '/v1/requests/{id}/decisions', target: 'api' },
  { method: 'POST', path: '/v1/requests/{id}/cancel', target: 'api' },
  { method: 'POST', path: '/v1/requests/{id}/revoke', target: 'api' },
  { method: 'POST', path: '/v1/requests/{id}/extend', target: 'api' },
  { method: 'POST', path: '/v1/mfa/totp', target: 'api' },
  { method: 'POST', path: '/v1/mfa/totp/verify', target: 'api' },
  { method: 'GET', path: '/v1/policies', target: 'api' },
  { method: 'GET', path: '/v1/audit', target: 'api' },
  // The tamper-evident trail (shared/domain/audit-chain.ts): walk the chains, or export them with their hashes.
  { method: 'GET', path: '/v1/audit/verify', target: 'api' },
  { method: 'GET', path: '/v1/audit/export', target: 'api' },
  { method: 'GET', path: '/openapi.json', target: 'api' },
  { method: 'GET', path: '/approve/{link}', target: 'approve' },
  { method: 'POST', path: '/approve/{link}', target: 'approve' },
  // Approver single sign-on (policies with approverAuth "sso"): off to the IdP, and back.
  { method: 'GET', path: '/approve/{link}/signin', target: 'approve' },
  { method: 'GET', path: '/approve/callback', target: 'approve' },
  // The web console (docs/console.md): its home is the root; the rest under /console.
  { method: 'GET', path: '/', target: 'console' },
  { method: 'GET', path: '/console/signin', target: 'console' },
  { method: 'GET', path: '/console/callback', target: 'console' },
  { method: 'POST', path: '/console/signout', target: 'console' },
  { method: 'GET', path: '/console/inbox', target: 'console' },
  { method: 'GET', path: '/console/audit', target: 'console' },
  { method: 'GET', path: '/console/policies', target: 'console' },
  { method: 'POST', path: '/console/requests', target: 'console' },
  { method: 'GET', path: '/console/requests/{id}', target: 'console' },
  { method: 'POST', path: '/console/requests/{id}/{verb}', target: 'console' },
];

/** Answered by API Gateway itself (a mock integration). */
export const HEALTH_PATH = '/health';

const PROBLEM_JSON = 'application/problem+json';
/** The handlers' security headers, on what API Gateway answers by itself too. */
const SECURITY_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

/** An RFC 9457 problem document as static JSON text (no VTL, so local mode can serve it as is). */
export function problem(status: number, code: string, title: string, detail: string): string {
  return JSON.stringify({ type: problemType(code), title, status, detail });
}

export interface JitgateApiProps {
  table: dynamodb.Table;
  key: kms.IKey;
  approverTopic: sns.ITopic;
  eventsTopic: sns.ITopic;
  linkKeySecret: secretsmanager.ISecret;
  stateMachine: sfn.StateMachine;
  /** JSON text of the deployed config, inlined into the function bundles. */
  configJson: string;
  /** The config's `aws` choices: per-method metrics, and whether to set the account's API Gateway logging role. */
  aws: { detailedMetrics: boolean; apiGatewayCloudWatchRole: boolean };
}

export class JitgateApi extends Construct {
  readonly restApi: apigw.RestApi;
  readonly functions: Record<Target, lambda.IFunction>;

  constructor(scope: Construct, id: string, props: JitgateApiProps) {
    super(scope, id);
    const { table, key, stateMachine } = props;

    // --- the functions -----------------------------------------------------------
    // The api and the console call the same use cases (ask, decide, MFA, cancel, revoke, read and verify
    // the audit trail), so they get the same rights. Audit verify and export walk every chain, request items
    // included (a request whose events were all deleted shows only on its item): one paged Scan, for auditors.
    const useCaseFunction = (fnId: string, entry: Target, description: string) => {
      const fn = jitgateFunction(this, fnId, {
        entry,
        description,
        configJson: props.configJson,
        environment: { STATE_MACHINE_ARN: stateMachine.stateMachineArn },
      });
      connect(fn, { table, key, approverTopic: props.approverTopic, eventsTopic: props.eventsTopic, linkKey: props.linkKeySecret });
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [table.tableArn] }));
      stateMachine.grantStartExecution(fn);
      stateMachine.grantTaskResponse(fn);
      return fn;
    };
    const api = useCaseFunction('ApiFunction', 'api', 'jitgate API: requests, decisions, MFA, enrolment, policies, audit');

    const authorize = jitgateFunction(this, 'AuthorizeFunction', {
      entry: 'authorize',
      description: 'jitgate authorize: the hot path (verify token, one GetItem, a transaction to consume)',
      configJson: props.configJson,
      memorySize: 1024,
    });
    connect(authorize, { table, key, eventsTopic: props.eventsTopic });

    const approve = jitgateFunction(this, 'ApproveFunction', {
      entry: 'approve',
      description: "jitgate approve: the approver's confirmation page and decision",
      configJson: props.configJson,
      environment: { STATE_MACHINE_ARN: stateMachine.stateMachineArn },
    });
    connect(approve, { table, key, eventsTopic: props.eventsTopic, linkKey: props.linkKeySecret });
    stateMachine.grantTaskResponse(approve);

    // Its own function keeps the api bundle as it is.
    const consoleFn = useCaseFunction(
      'ConsoleFunction',
      'console',
      'jitgate console: the web pages for requesters, approvers and auditors',
    );

    this.functions = { api, authorize, approve, console: consoleFn };

    // --- the REST API -------------------------------------------------------------
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.RETAIN });
    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: 'jitgate',
      description: 'jitgate: Just-In-Time action approval',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Access and execution logs need a CloudWatch role in the account's API Gateway
      // settings, one per account and region. Creating it sets AWS::ApiGateway::Account,
      // replacing whatever role another stack set there; kept on delete so their logging
      // keeps working (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
      cloudWatchRole: props.aws.apiGatewayCloudWatchRole,
      ...(props.aws.apiGatewayCloudWatchRole ? { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN } : {}),
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: THROTTLING.rateLimit,
        throttlingBurstLimit: THROTTLING.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        // Off at the stage: API Gateway's X-Ray segments record the full URL, and for
        // /approve/{link} that is the approver's personal link. Lambda tracing stays on.
        tracingEnabled: false,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        // Per-method metrics are custom CloudWatch metrics, billed every month whether or not
        // the API is called; the stage-wide ones (Count, 4XX, 5XX, Latency) are free.
        metricsEnabled: props.aws.detailedMetrics,
      },
    });
    const validator = this.restApi.addRequestValidator('RequestValidator', {
      requestValidatorName: 'jitgate',
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    // One integration per function, one invoke permission per function for this API.
    const integrations: Record<Target, apigw.LambdaIntegration> = {
      api: new apigw.LambdaIntegration(api, { proxy: true, scopePermissionToMethod: false }),
      authorize: new apigw.LambdaIntegration(authorize, { proxy: true, scopePermissionToMethod: false }),
      approve: new apigw.LambdaIntegration(approve, { proxy: true, scopePermissionToMethod: false }),
      console: new apigw.LambdaIntegration(consoleFn, { proxy: true, scopePermissionToMethod: false }),
    };

    const allowed = new Map<apigw.IResource, string[]>();
    const addMethod = (resource: apigw.IResource, method: string) => allowed.set(resource, [...(allowed.get(resource) ?? []), method]);
    for (const route of ROUTES) {
      const resource = this.restApi.root.resourceForPath(route.path);
      const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => `method.request.path.${m[1]}`);
      resource.addMethod(route.method, integrations[route.target], {
        requestValidator: validator,
        requestParameters: Object.fromEntries(pathParameters.map((p) => [p, true])),
      });
      addMethod(resource, route.method);
    }

    const health = this.restApi.root.resourceForPath(HEALTH_PATH);
    health.addMethod('GET', mockIntegration(200, '{"status":"ok"}', 'application/json'), { methodResponses: mockMethodResponses(200) });
    addMethod(health, 'GET');

    // Wrong method on a known path: 405 with Allow.
    for (const [resource, methods] of allowed) {
      const allow = methods.join(', ');
      resource.addMethod(
        'ANY',
        mockIntegration(405, problem(405, 'method-not-allowed', 'Method Not Allowed', `This path allows ${allow}.`), PROBLEM_JSON, {
          Allow: allow,
        }),
        { methodResponses: mockMethodResponses(405, ['Allow']) },
      );
    }
    // Unknown paths: 404, on every resource without methods and below the root.
    const notFound = () => mockIntegration(404, problem(404, 'not-found', 'Not Found', 'There is no such path in this API.'), PROBLEM_JSON);
    for (const resource of allResources(this.restApi.root)) {
      if (!allowed.has(resource)) resource.addMethod('ANY', notFound(), { methodResponses: mockMethodResponses(404) });
    }
    this.restApi.root.addResource('{proxy+}').addMethod('ANY', notFound(), { methodResponses: mockMethodResponses(404) });

    // What API Gateway answers by itself, as problem documents.
    addProblemResponse(this.restApi, 'NotFound', apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, {
      status: 404,
      code: 'not-found',
      title: 'Not Found',
      detail: 'There is no such path in this API.',
    });
    addProblemResponse(
      this.restApi,
      'Throttled',
      apigw.ResponseType.THROTTLED,
      { status: 429, code: 'too-many-requests', title: 'Too Many Requests', detail: 'Slow down and retry.' },
      { 'Retry-After': '1' },
    );
    addProblemResponse(this.restApi, 'TooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, {
      status: 413,
      code: 'payload-too-large',
      title: 'The body is too large',
    });
    addProblemResponse(this.restApi, 'UnsupportedMediaType', apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, {
      status: 415,
      code: 'unsupported-media-type',
      title: 'Send the body as application/json',
    });
    addProblemResponse(this.restApi, 'Default4xx', apigw.ResponseType.DEFAULT_4XX, { code: 'bad-request' });
    addProblemResponse(this.restApi, 'Default5xx', apigw.ResponseType.DEFAULT_5XX, { code: 'internal' });

    // --- cdk-nag -------------------------------------------------------------------
    acknowledge(
      this.restApi,
      'AwsSolutions-APIG4',
      'Authorization is done in the handlers: they verify federated JWTs from several configured issuers (aws-jwt-verify) ' +
        'and step-up claims, which an API Gateway authorizer cannot express; the mock methods (405/404/health) expose nothing.',
    );
    acknowledge(
      this.restApi,
      'AwsSolutions-COG4',
      'jitgate accepts tokens from any configured OIDC issuer (Okta, Entra ID, Cognito, ...), not one Cognito user pool; ' +
        'the handlers verify them (aws-jwt-verify).',
    );
    acknowledge(
      this.restApi,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'The account-level role API Gateway needs to write execution and access logs; ' +
        'this AWS managed policy is the one AWS documents for it and is limited to CloudWatch Logs.',
    );
    acknowledge(
      this.restApi,
      'AwsSolutions-APIG3',
      'Throttling is set on the stage (50 rps, burst 100); ' +
        'a WAF web ACL is an account-level choice left to the deployer (associate one with the prod stage).',
    );
  }
}

function allResources(root: apigw.IResource): apigw.IResource[] {
  const out: apigw.IResource[] = [];
  const visit = (r: apigw.IResource) => {
    out.push(r);
    for (const child of r.node.children) if (child instanceof apigw.Resource) visit(child);
  };
  visit(root);
  return out;
}

/**
 * A mock integration answering `status` with a static body. Any status the mock
 * produces maps to it (the integration response is the default one), and common
 * request content types get the template, so a body never turns a 405 into a 500.
 */
function mockIntegration(status: number, body: string, contentType: string, headers: Record<string, string> = {}): apigw.MockIntegration {
  const request = `{"statusCode": ${status}}`;
  return new apigw.MockIntegration({
    requestTemplates: {
      'application/json': request,
      'application/x-www-form-urlencoded': request,
      'text/plain': request,
    },
    passthroughBehavior: apigw.PassthroughBehavior.WHEN_NO_TEMPLATES,
    integrationResponses: [
      {
        statusCode: String(status),
        responseTemplates: { 'application/json': body },
        responseParameters: {
          'method.response.header.Content-Type': `'${contentType}'`,
          ...Object.fromEntries(
            Object.entries({ ...SECURITY_HEADERS, ...headers }).map(([k, v]) => [`method.response.header.${k}`, `'${v}'`]),
          ),
        },
      },
    ],
  });
}

function mockMethodResponses(status: number, headers: string[] = []): apigw.MethodResponse[] {
  return [
    {
      statusCode: String(status),
      responseParameters: Object.fromEntries(
        ['Content-Type', ...Object.keys(SECURITY_HEADERS), ...headers].map((h) => [`method.response.header.${h}`, true]),
      ),
    },
  ];
}

/**
 * A gateway response as a problem document. Without a fixed status (DEFAULT_4XX/5XX)
 * API Gateway keeps its own status and `status` is left out of the body (it is
 * optional in RFC 9457); without a fixed text, API Gateway's message is used.
 */
function addProblemResponse(
  api: apigw.RestApi,
  id: string,
  type: apigw.ResponseType,
  doc: { status?: number; code: string; title?: string; detail?: string },
  headers: Record<string, string> = {},
): void {
  const message = '$context.error.messageString';
  const fields = [
    `"type":${JSON.stringify(problemType(doc.code))}`,
    `"title":${doc.title ? JSON.stringify(doc.title) : message}`,
    ...(doc.status ? [`"status":${doc.status}`] : []),
    `"detail":${doc.detail ? JSON.stringify(doc.detail) : message}`,
  ];
  api.addGatewayResponse(id, {
    type,
    ...(doc.status ? { statusCode: String(doc.status) } : {}),
    responseHeaders: Object.fromEntries(
      Object.entries({ 'Content-Type': PROBLEM_JSON, ...SECURITY_HEADERS, ...headers }).map(([k, v]) => [k, `'${v}'`]),
    ),
    templates: { 'application/json': `{${fields.join(',')}}` },
  });
}
