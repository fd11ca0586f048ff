/**
 * `jitgate/cdk` in someone else's app (test/infra/platform-app.ts): a platform team puts the Jitgate
 * construct in its own stack, a few levels down, with its domain and its on-call topic. That cdk-nag
 * still finds nothing unacknowledged there is checked by nag.test.ts, whose process already holds CDK's
 * CloudFormation validator (its engine takes seconds to load, once per test file).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Annotations, Match, Template as Assertions } from 'aws-cdk-lib/assertions';
import { ENTRIES } from '../../infra/functions';
import { DOMAIN, platformApp, withDomainAndOnCall } from './platform-app';
import { resourcesOf, type Template } from './support';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

function withTmp<T>(fn: (outdir: string) => T): T {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-construct-'));
  try {
    return fn(outdir);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const outputNamed = (template: Template, name: string) => {
  // Logical ids carry the construct's path below the stack: Security/Approvals/<name> becomes SecurityApprovals<name><hash>.
  const outputs = Object.entries(template.Outputs as Record<string, { Value: unknown }>);
  const found = outputs.filter(([id]) => new RegExp(`^SecurityApprovals${name}[0-9A-F]{8}$`).test(id));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0]![1].Value;
};

describe('inside a platform stack, with a custom domain and an on-call topic', () => {
  let template: Template;
  let assertions: Assertions;
  let jitgatePath: string;

  beforeAll(() => {
    withTmp((outdir) => {
      const { app, jitgate } = platformApp(outdir, withDomainAndOnCall);
      jitgatePath = jitgate.node.path;
      template = app.synth().getStackByName('PlatformTools').template;
    });
    assertions = Assertions.fromJSON(template);
  });

  test('the construct lives where it was put, not at the root', () => {
    expect(jitgatePath).toBe('PlatformTools/Security/Approvals');
    const tables = resourcesOf(template, 'AWS::DynamoDB::Table').map(([id]) => id);
    expect(tables).toEqual([expect.stringMatching(/^SecurityApprovalsDataTable[0-9A-F]{8}$/)]);
  });

  test('the key resources: table, two topics of its own, state machine, REST API, one function per entry', () => {
    assertions.resourceCountIs('AWS::DynamoDB::Table', 1);
    assertions.resourceCountIs('AWS::SNS::Topic', 3); // approvals, events, and the platform's on-call topic
    assertions.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    assertions.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    assertions.resourceCountIs('AWS::SecretsManager::Secret', 1);
    assertions.resourceCountIs('AWS::Lambda::Function', ENTRIES.length);
  });

  test('outputs: the API URL on the custom domain, the events topic, the table', () => {
    expect(outputNamed(template, 'ApiUrl')).toBe(`https://${DOMAIN}/`);
    const topics = resourcesOf(template, 'AWS::SNS::Topic');
    const [eventsTopic] = topics.find(([, t]) => t.Properties.DisplayName === 'jitgate lifecycle events')!;
    expect(outputNamed(template, 'EventsTopicArn')).toEqual({ Ref: eventsTopic });
    expect(outputNamed(template, 'TableName')).toEqual({ Ref: resourcesOf(template, 'AWS::DynamoDB::Table')[0]![0] });
    expect(outputNamed(template, 'DomainTarget')).toEqual({ 'Fn::GetAtt': [expect.any(String), 'RegionalDomainName'] });
  });

  test('the custom domain: regional, TLS 1.2, mapped to the stage; links in notifications name it', () => {
    assertions.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: DOMAIN,
      SecurityPolicy: 'TLS_1_2',
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    assertions.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
    for (const [id, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
      expect([id, fn.Properties.Environment.Variables.PUBLIC_URL]).toEqual([id, `https://${DOMAIN}`]);
    }
  });

  test('every alarm notifies the on-call topic, when it fires and when it clears', () => {
    const [onCall] = resourcesOf(template, 'AWS::SNS::Topic').find(([id]) => id.startsWith('OnCall'))!;
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(6);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: onCall }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: onCall }]);
    }
  });
});

test('config as a path, alarms off: no alarm, no custom domain, the stage URL as ApiUrl', () => {
  withTmp((outdir) => {
    const { app } = platformApp(outdir, () => ({ config: DEMO_CONFIG_FILE, alarms: false }));
    const template = app.synth().getStackByName('PlatformTools').template;
    expect(resourcesOf(template, 'AWS::CloudWatch::Alarm')).toHaveLength(0);
    expect(resourcesOf(template, 'AWS::CloudWatch::Dashboard')).toHaveLength(0);
    expect(resourcesOf(template, 'AWS::ApiGateway::DomainName')).toHaveLength(0);
    expect(JSON.stringify(outputNamed(template, 'ApiUrl'))).toContain('execute-api');
    for (const [, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables.PUBLIC_URL).toBeUndefined();
    }
  });
});

test('a config path with an issuer that needs discovery: a synth error that says what to do', () => {
  withTmp((outdir) => {
    const file = path.join(outdir, 'jitgate.config.json');
    const raw = JSON.parse(fs.readFileSync(DEMO_CONFIG_FILE, 'utf8'));
    raw.issuers.corp = { issuer: 'https://corp-idp.jitgate.test', audience: ['jitgate-api'] };
    fs.writeFileSync(file, JSON.stringify(raw));
    const { stack } = platformApp(path.join(outdir, 'out'), () => ({ config: file }));
    const annotations = Annotations.fromStack(stack);
    annotations.hasError('/PlatformTools/Security/Approvals', Match.stringLikeRegexp('issuers.corp.jwksUri.*loadJitgateConfig'));
  });
});
