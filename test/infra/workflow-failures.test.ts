/**
 * The template parts that keep a request from being stranded on AWS: the parking steps
 * may answer their own task (IAM), and an execution that ends abnormally closes its
 * request (EventBridge rule → execution-ended function) and raises an alarm.
 */
import { httpsIssuerTemplate, resourcesOf, type Template } from './support';

let template: Template;

beforeAll(async () => {
  template = await httpsIssuerTemplate();
});

function functionIdFor(entry: string): string {
  const found = resourcesOf(template, 'AWS::Lambda::Function').find(
    ([, fn]) => fn.Metadata?.['jitgate:entry'] === `functions/${entry}/index.ts`,
  );
  if (!found) throw new Error(`no function for ${entry}`);
  return found[0];
}

function roleIdOf(functionId: string): string {
  return template.Resources[functionId].Properties.Role['Fn::GetAtt'][0];
}

function stateMachineId(): string {
  const [[id]] = resourcesOf(template, 'AWS::StepFunctions::StateMachine') as [[string, unknown]];
  return id;
}

/** Every IAM statement attached to a role, across all policies naming it. */
function statementsOf(roleId: string): Array<{ Action: string | string[]; Resource: unknown }> {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

describe('the parking steps may answer their own task', () => {
  test.each(['mfa-challenge', 'await-approval'])('%s: states:SendTaskSuccess and SendTaskFailure on this state machine', (entry) => {
    const statements = statementsOf(roleIdOf(functionIdFor(entry)));
    const answer = statements.find((s) => [s.Action].flat().includes('states:SendTaskSuccess'));
    expect(answer).toBeDefined();
    expect([answer!.Action].flat().sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess']);
    expect(answer!.Resource).toEqual({ Ref: stateMachineId() });
  });

  test('end-request has no states:* action (it never answers a task)', () => {
    const actions = statementsOf(roleIdOf(functionIdFor('end-request'))).flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('states:'))).toEqual([]);
  });
});

describe('an execution that ends abnormally closes its request', () => {
  test('the execution-ended function exists, with the table and the events topic', () => {
    const id = functionIdFor('execution-ended');
    const env = template.Resources[id].Properties.Environment.Variables;
    expect(Object.keys(env).sort()).toEqual(['EVENTS_TOPIC_ARN', 'TABLE_NAME']);
    const actions = statementsOf(roleIdOf(id)).flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'sns:Publish']));
    expect(actions.filter((a) => a.startsWith('states:'))).toEqual([]);
  });

  test("an EventBridge rule sends this state machine's FAILED, TIMED_OUT and ABORTED executions to it", () => {
    const rules = resourcesOf(template, 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const [[, rule]] = rules as [[string, any]];
    expect(rule.Properties.State ?? 'ENABLED').toBe('ENABLED');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: stateMachineId() }] },
    });
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [functionIdFor('execution-ended'), 'Arn'] });
    // EventBridge may invoke it, from this rule only.
    const permissions = resourcesOf(template, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 'events.amazonaws.com',
    );
    expect(permissions.map(([, p]) => [p.Properties.FunctionName, p.Properties.SourceArn])).toEqual([
      [{ 'Fn::GetAtt': [functionIdFor('execution-ended'), 'Arn'] }, { 'Fn::GetAtt': [rules[0]![0], 'Arn'] }],
    ]);
  });
});

describe('alarms', () => {
  const alarms = () => resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

  test('abnormal executions of this state machine: failed + timed out + aborted, from the first one', () => {
    const alarm = alarms().find((a) => /executions ended FAILED/.test(a.AlarmDescription));
    expect(alarm).toBeDefined();
    expect(alarm).toMatchObject({
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    const metrics = alarm!.Metrics as any[];
    const named = metrics
      .filter((m) => m.MetricStat)
      .map((m) => [m.MetricStat.Metric.Namespace, m.MetricStat.Metric.MetricName, m.MetricStat.Metric.Dimensions]);
    expect(named.map(([, name]) => name).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const [namespace, , dimensions] of named) {
      expect(namespace).toBe('AWS/States');
      expect(dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: stateMachineId() } }]);
    }
    expect(metrics.find((m) => m.Expression)?.ReturnData ?? true).toBe(true);
  });

  test('errors of every jitgate function', () => {
    const alarm = alarms().find((a) => /a function failed/.test(a.AlarmDescription));
    expect(alarm).toBeDefined();
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    const watched = (alarm!.Metrics as any[])
      .filter((m) => m.MetricStat)
      .map((m) => {
        expect([m.MetricStat.Metric.Namespace, m.MetricStat.Metric.MetricName]).toEqual(['AWS/Lambda', 'Errors']);
        return m.MetricStat.Metric.Dimensions[0].Value.Ref;
      });
    expect(watched.sort()).toEqual(
      resourcesOf(template, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    );
  });

  const metricsOf = (alarm: any): [string, string, unknown][] =>
    (alarm.Metrics ? (alarm.Metrics as any[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric) : [alarm]).map((m: any) => [
      m.Namespace,
      m.MetricName,
      m.Dimensions,
    ]);

  test('throttles of every jitgate function', () => {
    const alarm = alarms().find((a) => /throttled/.test(a.AlarmDescription));
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    const watched = metricsOf(alarm).map(([namespace, name, dimensions]) => {
      expect([namespace, name]).toEqual(['AWS/Lambda', 'Throttles']);
      return (dimensions as any)[0].Value.Ref;
    });
    expect(watched.sort()).toEqual(
      resourcesOf(template, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    );
  });

  test("the API's 5xx answers, from the first one", () => {
    const alarm = alarms().find((a) => /answered 5xx/.test(a.AlarmDescription));
    expect(alarm).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Statistic: 'Sum', Threshold: 1 });
  });

  test("jitgate's own metrics: a break-glass use at once, three approvals timing out within an hour", () => {
    const breakGlass = alarms().find((a) => /break-glass/.test(a.AlarmDescription));
    expect(breakGlass).toMatchObject({
      Namespace: 'jitgate',
      MetricName: 'BreakGlassUses',
      Dimensions: [{ Name: 'service', Value: 'jitgate' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
    });
    const timingOut = alarms().find((a) => /timed out within an hour/.test(a.AlarmDescription));
    expect(timingOut).toMatchObject({ Namespace: 'jitgate', MetricName: 'RequestsTimedOut', Period: 3600, Threshold: 3 });
  });

  test("a dashboard of jitgate's metrics and the alarms", () => {
    const dashboards = resourcesOf(template, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]![1].Properties.DashboardBody);
    for (const name of ['RequestsCreated', 'RequestsApproved', 'RequestsDenied', 'RequestsTimedOut', 'RequestsFailed', 'TimeToDecision']) {
      expect(body).toContain(name);
    }
    for (const name of ['AuthorizeAllowed', 'AuthorizeDenied', 'AuthorizeLatency', 'MfaFailures', 'MfaLockouts', 'BreakGlassUses']) {
      expect(body).toContain(name);
    }
    expect(body).toContain('alarm');
  });

  test('every alarm notifies the operator topic when it fires and when it clears; CloudWatch may use its key', () => {
    const [operator] = resourcesOf(template, 'AWS::SNS::Topic').find(([, t]) => t.Properties.DisplayName === 'jitgate operator alarms')!;
    expect(alarms()).toHaveLength(6);
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([{ Ref: operator }]);
      expect(alarm.OKActions).toEqual([{ Ref: operator }]);
    }
    const [, key] = resourcesOf(template, 'AWS::KMS::Key')[0]!;
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({ Sid: 'CloudWatchAlarmsToOperatorTopic', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
    );
  });
});
