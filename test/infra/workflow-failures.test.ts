/**
 * The template parts that keep a request from being stranded on AWS: the parking steps
 * may answer their own task (IAM), and an execution that ends abnormally closes its
 * request (EventBridge rule → execution-ended function) and raises an alarm.
 */
import { Template as Assertions } from 'aws-cdk-lib/assertions';
import { synthesizeTemplate } from '../../infra/stack';
import { configWithHttpsIssuer, resourcesOf, type Template } from './support';

let template: Template;
let assertions: Assertions;

beforeAll(() => {
  template = synthesizeTemplate(configWithHttpsIssuer(), { bundle: false });
  assertions = Assertions.fromJSON(template);
});

function functionIdFor(entry: string): string {
  const found = resourcesOf(template, 'AWS::Lambda::Function').find(([, fn]) => fn.Metadata?.['jitgate:entry'] === `functions/${entry}/index.ts`);
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
