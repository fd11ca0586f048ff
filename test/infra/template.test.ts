/**
 * The synthesized template (no bundling): table, topics and subscriptions, functions,
 * the state machine definition, the API routes and the error contract at the edge.
 */
import { Match, Template as Assertions } from 'aws-cdk-lib/assertions';
import { ROUTES } from '../../infra/api';
import { ENTRIES } from '../../infra/functions';
import { STACK_NAME, synthesizeTemplate } from '../../infra/stack';
import { STATE } from '../../infra/workflow';
import {
  CORP_ISSUER,
  apiMethods,
  demoConfig,
  flatten,
  httpsIssuerTemplate,
  resourcesOf,
  stateMachineDefinition,
  type Template,
} from './support';

let template: Template;
let assertions: Assertions;

beforeAll(async () => {
  template = await httpsIssuerTemplate();
  assertions = Assertions.fromJSON(template);
});

test('synthesizeTemplate returns the stack named ' + STACK_NAME, () => {
  expect(template.Resources).toBeDefined();
  expect(template.Description).toMatch(/jitgate/);
});

describe('the table', () => {
  test('pk/sk strings, on demand, PITR, KMS, TTL, retained', () => {
    assertions.resourceCountIs('AWS::DynamoDB::Table', 1);
    assertions.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() }),
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      }),
    });
  });

  test('gsi1 and gsi2, string keys, projecting all', () => {
    const [[, table]] = resourcesOf(template, 'AWS::DynamoDB::Table') as [[string, any]];
    const indexes = Object.fromEntries(table.Properties.GlobalSecondaryIndexes.map((i: any) => [i.IndexName, i]));
    expect(Object.keys(indexes).sort()).toEqual(['gsi1', 'gsi2']);
    for (const name of ['gsi1', 'gsi2']) {
      expect(indexes[name].KeySchema).toEqual([
        { AttributeName: `${name}pk`, KeyType: 'HASH' },
        { AttributeName: `${name}sk`, KeyType: 'RANGE' },
      ]);
      expect(indexes[name].Projection).toEqual({ ProjectionType: 'ALL' });
    }
    const types = Object.fromEntries(table.Properties.AttributeDefinitions.map((a: any) => [a.AttributeName, a.AttributeType]));
    expect(types).toEqual({ pk: 'S', sk: 'S', gsi1pk: 'S', gsi1sk: 'S', gsi2pk: 'S', gsi2sk: 'S' });
  });

  test('the key rotates', () => {
    assertions.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('notifications', () => {
  test('three topics (approvals, events, operator alarms), KMS-encrypted, publishing over TLS only', () => {
    assertions.resourceCountIs('AWS::SNS::Topic', 3);
    for (const [, topic] of resourcesOf(template, 'AWS::SNS::Topic')) {
      expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    }
    assertions.resourceCountIs('AWS::SNS::TopicPolicy', 3);
    for (const [, policy] of resourcesOf(template, 'AWS::SNS::TopicPolicy')) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  test('one email subscription per approver of a real issuer, filtered on the approver attribute', () => {
    const subscriptions = resourcesOf(template, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    // Dana is in two groups but is one approver; Erik is in one; bob and carol are development users.
    expect(subscriptions).toHaveLength(2);
    const byEndpoint = Object.fromEntries(subscriptions.map((s) => [s.Endpoint, s]));
    expect(Object.keys(byEndpoint).sort()).toEqual(['dana@example.com', 'erik@example.com']);
    expect(byEndpoint['dana@example.com']).toMatchObject({ Protocol: 'email', FilterPolicy: { approver: [`${CORP_ISSUER}#dana`] } });
    expect(byEndpoint['erik@example.com']).toMatchObject({ Protocol: 'email', FilterPolicy: { approver: [`${CORP_ISSUER}#erik`] } });
    const [approverTopic] = resourcesOf(template, 'AWS::SNS::Topic').find(([, t]) => t.Properties.DisplayName === 'jitgate approvals')!;
    for (const s of subscriptions) expect(s.TopicArn).toEqual({ Ref: approverTopic });
  });

  test('no subscription for development users', () => {
    const demo = synthesizeTemplate(demoConfig(), { bundle: false });
    expect(resourcesOf(demo, 'AWS::SNS::Subscription')).toHaveLength(0);
  });
});

describe('functions', () => {
  const functions = () => resourcesOf(template, 'AWS::Lambda::Function');

  test('one per entry point, each with its jitgate:entry metadata', () => {
    const entries = functions()
      .map(([, f]) => f.Metadata?.['jitgate:entry'])
      .sort();
    expect(entries).toEqual(ENTRIES.map((e) => `functions/${e}/index.ts`).sort());
  });

  test('Node 22 on arm64, traced, own log group with retention', () => {
    for (const [id, f] of functions()) {
      expect([id, f.Properties.Runtime]).toEqual([id, 'nodejs22.x']);
      expect(f.Properties.Architectures).toEqual(['arm64']);
      expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(f.Properties.LoggingConfig.LogGroup).toBeDefined();
      expect(f.Properties.MemorySize).toBe(f.Metadata!['jitgate:entry'] === 'functions/authorize/index.ts' ? 1024 : 512);
    }
    for (const [, g] of resourcesOf(template, 'AWS::Logs::LogGroup')) expect(g.Properties.RetentionInDays).toBeGreaterThan(0);
  });

  test('environment: the state machine ARN only where executions are started or answered', () => {
    const env = Object.fromEntries(
      functions().map(([, f]) => [f.Metadata!['jitgate:entry'].split('/')[1], f.Properties.Environment.Variables]),
    );
    for (const entry of ENTRIES) expect(env[entry].TABLE_NAME).toBeDefined();
    expect(
      Object.keys(env)
        .filter((e) => 'STATE_MACHINE_ARN' in env[e])
        .sort(),
    ).toEqual(['api', 'approve', 'console']);
    expect(
      Object.keys(env)
        .filter((e) => 'LINK_KEY_SECRET_ARN' in env[e])
        .sort(),
    ).toEqual(['api', 'approve', 'await-approval', 'console']);
    expect(
      Object.keys(env)
        .filter((e) => 'APPROVER_TOPIC_ARN' in env[e])
        .sort(),
    ).toEqual(['api', 'await-approval', 'console']);
  });

  test('no AWS managed policies on the function roles', () => {
    for (const [, role] of resourcesOf(template, 'AWS::IAM::Role')) {
      if (role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'lambda.amazonaws.com') {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    }
  });

  test('the link-signing key: a generated secret of 64 hex characters, encrypted with the key', () => {
    assertions.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: Match.anyValue(),
      GenerateSecretString: Match.objectLike({ PasswordLength: 64, ExcludeUppercase: true, ExcludePunctuation: true }),
    });
  });
});

describe('the state machine', () => {
  const definition = () => stateMachineDefinition(template);

  test('Standard, traced, logging errors', () => {
    assertions.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR' }),
    });
  });

  test('exactly the states of the architecture', () => {
    expect(Object.keys(definition().States).sort()).toEqual(Object.values(STATE).sort());
    // Every execution starts at MfaChallenge: no Choice at the start (a transition on every lifecycle).
    expect(definition().StartAt).toBe('MfaChallenge');
  });

  test('the path of a request', () => {
    const s = definition().States;
    // One path for every policy: the steps a request does not need answer themselves.
    expect(s.MfaChallenge.Next).toBe('AwaitApproval');
    expect(s.AwaitApproval.Next).toBe('Activate');
    // AwaitApproval's wait ended: a nudge is due while $.reminder is present, else the window closed.
    expect(s.ApprovalWaitEnded).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.reminder', IsPresent: true, Next: 'Remind' }],
      Default: 'TimedOut',
    });
    expect(s.Remind.Next).toBe('AwaitApproval');
    expect(s.AwaitApprovalWithoutNudges.Next).toBe('Activate');
    expect(s.Activate.Next).toBe('WaitUntilExpiring');
    expect(s.WaitUntilExpiring).toEqual({ Type: 'Wait', TimestampPath: '$.grant.expiringAt', Next: 'NotifyExpiring' });
    expect(s.NotifyExpiring.Next).toBe('WaitUntilExpiry');
    expect(s.WaitUntilExpiry).toEqual({ Type: 'Wait', TimestampPath: '$.grant.expiresAt', Next: 'Expire' });
    // The path ends at Expire, which ends the grant at $.grant (an extension's: the grant it extends); no Choice, no Catch.
    expect(s.Expire.End).toBe(true);
    expect(s.Expire.Catch).toBeUndefined();
    expect(s.Expire.Parameters).toEqual({
      'requestId.$': '$.grant.requestId',
      outcome: 'expired',
      'waitedUntil.$': '$.grant.expiresAt',
    });
    expect(Object.keys(s)).not.toEqual(expect.arrayContaining(['Ended']));
    expect(s.TimedOut.End).toBe(true);
    expect(s.Closed).toMatchObject({ Type: 'Succeed' });
  });

  const approvalPayload = { 'requestId.$': '$.requestId', 'taskToken.$': '$$.Task.Token', 'linkBase.$': '$.linkBase' };
  test.each([
    ['MfaChallenge', '$.mfaTimeoutSeconds', { 'requestId.$': '$.requestId', 'taskToken.$': '$$.Task.Token' }, 'TimedOut'],
    // Until the next nudge or the window's close; the state unchanged for Remind.
    ['AwaitApproval', '$.approvalWaitSeconds', approvalPayload, 'ApprovalWaitEnded'],
    // After a failed Remind: the window as the execution started with it.
    ['AwaitApprovalWithoutNudges', '$.approvalTimeoutSeconds', approvalPayload, 'TimedOut'],
  ])('%s: lambda:invoke.waitForTaskToken, timeout from the input, result in $.grant', (name, timeoutPath, payload, onTimeout) => {
    const state = definition().States[name];
    expect(state.Type).toBe('Task');
    expect(state.Resource).toMatch(/:states:::lambda:invoke\.waitForTaskToken$/);
    expect(state.TimeoutSecondsPath).toBe(timeoutPath);
    expect(state.ResultPath).toBe('$.grant');
    expect(state.Parameters.Payload).toEqual(payload);
    const entry = name.startsWith('MfaChallenge') ? 'mfa-challenge' : 'await-approval';
    expect(state.Parameters.FunctionName).toBe(`<GetAtt:${functionWithEntry(template, entry)}.Arn>`);
    expect(state.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: onTimeout === 'TimedOut' ? '$.error' : null, Next: onTimeout },
      { ErrorEquals: ['Closed'], ResultPath: '$.error', Next: 'Closed' },
    ]);
    // A park that lost its write races (or found DynamoDB down) is tried again with a fresh token, not a failed execution.
    expect(state.Retry).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ErrorEquals: ['ConcurrentModification', 'DependencyUnavailable'], MaxAttempts: 3 }),
      ]),
    );
  });

  test('Remind: the await-approval function with the whole state, which it returns for the next segment', () => {
    const state = definition().States.Remind;
    expect(state.Resource).toBe(`<GetAtt:${functionWithEntry(template, 'await-approval')}.Arn>`);
    expect(state.Parameters).toEqual({ step: 'remind', 'state.$': '$' });
    expect(state.ResultPath).toBeUndefined();
    expect(state.TimeoutSeconds).toBe(60);
    // "Closed" is not retried (States.TaskFailed would be a wildcard for it).
    expect(state.Retry[0].ErrorEquals).not.toContain('States.TaskFailed');
    expect(state.Retry[0].ErrorEquals).not.toContain('Closed');
    expect(state.Catch).toEqual([
      { ErrorEquals: ['Closed'], ResultPath: '$.error', Next: 'Closed' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'AwaitApprovalWithoutNudges' },
    ]);
  });

  test('Activate: the activate function, the grant to wait on at $.grant; Closed ─> Closed, else retried', () => {
    const state = definition().States.Activate;
    expect(state.Resource).toBe(`<GetAtt:${functionWithEntry(template, 'activate')}.Arn>`);
    expect(state.Parameters).toEqual({ 'requestId.$': '$.requestId' });
    expect(state.ResultPath).toBe('$.grant');
    expect(state.TimeoutSeconds).toBe(60);
    expect(state.Catch).toEqual([{ ErrorEquals: ['Closed'], ResultPath: '$.error', Next: 'Closed' }]);
    expect(state.Retry).toHaveLength(1);
    expect(state.Retry[0].ErrorEquals).toEqual(
      expect.arrayContaining(['Lambda.ServiceException', 'DependencyUnavailable', 'ConcurrentModification', 'States.Timeout']),
    );
    // Not the TaskFailed wildcard: RequirementsNotMet (and any bug) fails the execution, which closes the request as failed.
    expect(state.Retry[0].ErrorEquals).not.toContain('States.TaskFailed');
    expect(state.Retry[0].BackoffRate).toBeGreaterThan(1);
  });

  test('NotifyExpiring: sns:publish grant.expiring to the events topic; a failure goes on to WaitUntilExpiry', () => {
    const state = definition().States.NotifyExpiring;
    expect(state.Resource).toMatch(/:states:::sns:publish$/);
    expect(state.TimeoutSeconds).toBe(30);
    expect(state.ResultPath).toBeNull();
    expect(state.Parameters.Message).toEqual({
      // The grant's request (an extension's execution warns about the grant it extended).
      type: 'grant.expiring',
      'requestId.$': '$.grant.requestId',
      'requester.$': '$.requester',
      'expiresAt.$': '$.grant.expiresAt',
      'extend.$': "States.Format('jitgate extend {} --duration 15m, or POST /v1/requests/{}/extend', $.grant.requestId, $.grant.requestId)",
    });
    expect(state.Parameters.MessageAttributes).toEqual({
      event: { DataType: 'String', StringValue: 'grant.expiring' },
      requester: { DataType: 'String', 'StringValue.$': '$.requester' },
    });
    const [eventsTopic] = resourcesOf(template, 'AWS::SNS::Topic').find(
      ([, t]) => t.Properties.DisplayName === 'jitgate lifecycle events',
    )!;
    expect(state.Parameters.TopicArn).toBe(`<Ref:${eventsTopic}>`);
    expect(state.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'WaitUntilExpiry' }]);
  });

  test.each([
    ['Expire', { 'requestId.$': '$.grant.requestId', outcome: 'expired', 'waitedUntil.$': '$.grant.expiresAt' }],
    ['TimedOut', { 'requestId.$': '$.requestId', outcome: 'timed_out' }],
  ])('%s: end-request, retried with backoff', (name, parameters) => {
    const state = definition().States[name];
    expect(state.Resource).toBe(`<GetAtt:${functionWithEntry(template, 'end-request')}.Arn>`);
    expect(state.Parameters).toEqual(parameters);
    expect(state.TimeoutSeconds).toBe(60);
    const retry = state.Retry.at(-1);
    expect(retry.ErrorEquals).toContain('States.TaskFailed');
    expect(retry.BackoffRate).toBeGreaterThan(1);
  });

  test('Expire and TimedOut: one retrier each, States.TaskFailed included (the step is idempotent)', () => {
    for (const name of ['Expire', 'TimedOut']) {
      expect(definition().States[name].Retry).toHaveLength(1);
      expect(definition().States[name].Retry[0].ErrorEquals).toContain('States.TaskFailed');
    }
  });

  test('every Task has an explicit timeout', () => {
    for (const [name, state] of Object.entries(definition().States)) {
      if (state.Type === 'Task') expect([name, state.TimeoutSeconds ?? state.TimeoutSecondsPath]).toEqual([name, expect.anything()]);
    }
  });
});

describe('the API', () => {
  const methods = () => apiMethods(template);
  const find = (path: string, httpMethod: string) => methods().find((m) => m.path === path && m.httpMethod === httpMethod);

  test('stage prod: throttled 50/100, access and error logs, not traced (X-Ray would record approval links)', () => {
    assertions.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: false,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          LoggingLevel: 'ERROR',
        }),
      ],
    });
  });

  test.each(ROUTES.map((r) => [r.method, r.path, r.target]))('%s %s → %s (Lambda proxy)', (httpMethod, path, target) => {
    const m = find(path, httpMethod);
    expect(m).toBeDefined();
    expect(m!.integration.Type).toBe('AWS_PROXY');
    expect(flatten(m!.integration.Uri)).toContain(`<GetAtt:${functionWithEntry(template, target)}.Arn>`);
  });

  test('every route of the contract is there', () => {
    const expected = [
      'POST /v1/authorize',
      'POST /v1/requests',
      'GET /v1/requests',
      'GET /v1/requests/{id}',
      'POST /v1/requests/{id}/mfa',
      'POST /v1/requests/{id}/decisions',
      'POST /v1/requests/{id}/cancel',
      'POST /v1/requests/{id}/revoke',
      'POST /v1/requests/{id}/extend',
      'POST /v1/mfa/totp',
      'POST /v1/mfa/totp/verify',
      'GET /v1/policies',
      'GET /v1/audit',
      'GET /v1/audit/verify',
      'GET /v1/audit/export',
      'GET /openapi.json',
      'GET /approve/{link}',
      'POST /approve/{link}',
      'GET /approve/{link}/signin',
      'GET /approve/callback',
      'GET /',
      'GET /console/signin',
      'GET /console/callback',
      'POST /console/signout',
      'GET /console/inbox',
      'GET /console/audit',
      'GET /console/policies',
      'POST /console/requests',
      'GET /console/requests/{id}',
      'POST /console/requests/{id}/{verb}',
    ];
    const proxied = methods()
      .filter((m) => m.integration.Type === 'AWS_PROXY')
      .map((m) => `${m.httpMethod} ${m.path}`);
    expect(proxied.sort()).toEqual(expected.sort());
  });

  test('GET /health is a mock answering 200 {"status":"ok"}', () => {
    const m = find('/health', 'GET')!;
    expect(m.integration.Type).toBe('MOCK');
    expect(m.integration.RequestTemplates['application/json']).toBe('{"statusCode": 200}');
    expect(m.integration.IntegrationResponses[0]).toMatchObject({
      StatusCode: '200',
      ResponseTemplates: { 'application/json': '{"status":"ok"}' },
    });
  });

  test('a wrong method on a known path: 405 problem+json with Allow', () => {
    const withMethods = new Set(
      methods()
        .filter((m) => m.httpMethod !== 'ANY')
        .map((m) => m.path),
    );
    expect(withMethods.size).toBeGreaterThan(10);
    for (const path of withMethods) {
      const any = find(path, 'ANY');
      expect([path, any?.integration.Type]).toEqual([path, 'MOCK']);
      expect(any!.integration.RequestTemplates['application/json']).toBe('{"statusCode": 405}');
      const [response] = any!.integration.IntegrationResponses;
      expect(response.StatusCode).toBe('405');
      expect(response.ResponseParameters['method.response.header.Content-Type']).toBe("'application/problem+json'");
      const allowed = methods()
        .filter((m) => m.path === path && m.httpMethod !== 'ANY')
        .map((m) => m.httpMethod);
      expect(response.ResponseParameters['method.response.header.Allow']).toBe(`'${allowed.join(', ')}'`);
      expect(JSON.parse(response.ResponseTemplates['application/json'])).toMatchObject({
        status: 405,
        title: 'Method Not Allowed',
        type: expect.stringMatching(/^https:\/\//),
      });
    }
  });

  test('an unknown path: 404 problem+json from a root {proxy+} and from resources without methods', () => {
    const notFound = (path: string) => {
      const m = find(path, 'ANY');
      expect([path, m?.integration.Type]).toEqual([path, 'MOCK']);
      const [response] = m!.integration.IntegrationResponses;
      expect(response.StatusCode).toBe('404');
      expect(response.ResponseParameters['method.response.header.Content-Type']).toBe("'application/problem+json'");
      expect(JSON.parse(response.ResponseTemplates['application/json'])).toMatchObject({ status: 404 });
    };
    for (const path of ['/{proxy+}', '/v1', '/v1/mfa', '/approve', '/console']) notFound(path);
  });

  test('what API Gateway answers by itself is problem+json', () => {
    const responses = Object.fromEntries(
      resourcesOf(template, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => [r.Properties.ResponseType, r.Properties]),
    );
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX', 'THROTTLED', 'MISSING_AUTHENTICATION_TOKEN']) {
      expect(responses[type]?.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
      expect(responses[type].ResponseTemplates['application/json']).toMatch(/^\{"type":"https:\/\/jitgate\.dev\/problems\//);
    }
    expect(responses.THROTTLED.StatusCode).toBe('429');
    expect(responses.MISSING_AUTHENTICATION_TOKEN.StatusCode).toBe('404');
  });

  test('no API Gateway authorizer: the handlers verify tokens', () => {
    for (const m of resourcesOf(template, 'AWS::ApiGateway::Method')) expect(m[1].Properties.AuthorizationType).toBe('NONE');
  });
});

function functionWithEntry(t: Template, entry: string): string {
  const found = resourcesOf(t, 'AWS::Lambda::Function').find(([, f]) => f.Metadata?.['jitgate:entry'] === `functions/${entry}/index.ts`);
  if (!found) throw new Error(`no function for ${entry}`);
  return found[0];
}
