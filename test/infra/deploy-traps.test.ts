/**
 * Deploy-time traps (issue 9, defect 6): what a deploy costs or changes beyond the
 * stack itself. The Step Functions log group under AWS's vended-logs prefix, the
 * account-wide API Gateway logging role only when the config asks for it, and
 * per-method metrics (billed monthly, even idle) off unless the config turns them on.
 */
import { Match, Template as Assertions } from 'aws-cdk-lib/assertions';
import { synthesizeTemplate } from '../../infra/stack';
import { VENDED_LOGS_PREFIX } from '../../infra/workflow';
import { parseConfig } from '../../shared/config/config';
import { configWithHttpsIssuer, flatten, httpsIssuerTemplate, resourcesOf, type Template } from './support';

const withAws = (aws: Record<string, unknown>) => parseConfig({ ...configWithHttpsIssuer(), aws });

let defaults: Template;
beforeAll(async () => {
  defaults = await httpsIssuerTemplate();
});

describe('the state machine log group', () => {
  test('is named under /aws/vendedlogs/states/, unique per stack, and is the one the state machine logs to', () => {
    const [[machineId, machine]] = resourcesOf(defaults, 'AWS::StepFunctions::StateMachine') as [[string, any]];
    const destination = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn;
    const groupId = destination['Fn::GetAtt'][0] as string;
    const group = defaults.Resources[groupId];
    expect([machineId, group.Type]).toEqual([machineId, 'AWS::Logs::LogGroup']);
    const name = flatten(group.Properties.LogGroupName);
    expect(name.startsWith(`${VENDED_LOGS_PREFIX}Jitgate-`)).toBe(true);
    // The UUID part of the stack id: a retained group never blocks a new stack.
    expect(JSON.stringify(group.Properties.LogGroupName)).toContain('AWS::StackId');
    expect(group.DeletionPolicy).toBe('Retain');
  });
});

describe('per-method (detailed) metrics', () => {
  const stageMetrics = (t: Template) =>
    resourcesOf(t, 'AWS::ApiGateway::Stage').map(([, s]) => s.Properties.MethodSettings.map((m: any) => m.MetricsEnabled));

  test('off by default', () => {
    expect(stageMetrics(defaults)).toEqual([[false]]);
  });

  test('on with "aws": {"detailedMetrics": true}', () => {
    expect(stageMetrics(synthesizeTemplate(withAws({ detailedMetrics: true }), { bundle: false }))).toEqual([[true]]);
  });
});

describe("the account's API Gateway logging role", () => {
  test('by default the stack sets it, and keeps it (and the account setting) when the stack is deleted', () => {
    const assertions = Assertions.fromJSON(defaults);
    assertions.resourceCountIs('AWS::ApiGateway::Account', 1);
    assertions.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    assertions.hasResource('AWS::IAM::Role', {
      DeletionPolicy: 'Retain',
      Properties: {
        ManagedPolicyArns: [
          Match.objectLike({
            'Fn::Join': Match.arrayWith([Match.arrayWith([':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs'])]),
          }),
        ],
      },
    });
  });

  test('with "apiGatewayCloudWatchRole": false the stack leaves the account setting alone', () => {
    const template = synthesizeTemplate(withAws({ apiGatewayCloudWatchRole: false }), { bundle: false });
    expect(resourcesOf(template, 'AWS::ApiGateway::Account')).toEqual([]);
    const pushRoles = resourcesOf(template, 'AWS::IAM::Role').filter(([, r]) =>
      JSON.stringify(r.Properties.ManagedPolicyArns ?? []).includes('AmazonAPIGatewayPushToCloudWatchLogs'),
    );
    expect(pushRoles).toEqual([]);
    // Logging stays on: it then uses the role already set in the account.
    const [[, stage]] = resourcesOf(template, 'AWS::ApiGateway::Stage') as [[string, any]];
    expect(stage.Properties.AccessLogSetting.DestinationArn).toBeDefined();
  });
});

describe('the config', () => {
  test('defaults: detailed metrics off, the logging role created', () => {
    expect(configWithHttpsIssuer().aws).toEqual({ detailedMetrics: false, apiGatewayCloudWatchRole: true });
  });

  test('a misspelt or mistyped choice names the path', () => {
    expect(() => withAws({ detailedMetric: true })).toThrow(/aws: Unrecognized key: "detailedMetric"/);
    expect(() => withAws({ detailedMetrics: 'yes' })).toThrow(/aws\.detailedMetrics: .*boolean/);
  });
});
