/** The roles local mode reads from a template, what each AWS call needs, and how a denial reads. */
import { accessKeyFor } from '../../../../local/credentials';
import { LocalIam } from '../../../../local/iam/authorizer';
import { dynamoDbCalls, MalformedCallError, snsCalls, stepFunctionsCalls, taskCall } from '../../../../local/iam/calls';
import { LOCAL_OPERATOR_ROLE, rolesFromTemplate } from '../../../../local/iam/roles';

const ARNS = { region: 'local', account: '000000000000' };
const TABLE = 'arn:aws:dynamodb:local:000000000000:table/jitgate';
const MACHINE = 'arn:aws:states:local:000000000000:stateMachine:jitgate';

const template = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Secret: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    FnRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Policies: [
          {
            PolicyName: 'inline',
            PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'Secret' } }] },
          },
        ],
      },
    },
    FnRolePolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        Roles: [{ Ref: 'FnRole' }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['dynamodb:GetItem', 'dynamodb:Query'],
              Resource: [{ 'Fn::GetAtt': ['Table', 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Table', 'Arn'] }, '/index/gsi1']] }],
            },
            { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': ['Key', 'Arn'] } },
            { Effect: 'Allow', Action: 'states:SendTaskSuccess', Resource: { Ref: 'Machine' } },
            {
              Effect: 'Allow',
              Action: 'states:StopExecution',
              Resource: {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':states:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':execution:',
                    { 'Fn::GetAtt': ['Machine', 'Name'] },
                    ':*',
                  ],
                ],
              },
            },
          ],
        },
      },
    },
    Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] } } },
    MachineRole: { Type: 'AWS::IAM::Role', Properties: {} },
    MachineRolePolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        Roles: [{ Ref: 'MachineRole' }],
        PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: { 'Fn::GetAtt': ['Table', 'Arn'] } }] },
      },
    },
    Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { RoleArn: { 'Fn::GetAtt': ['MachineRole', 'Arn'] } } },
  },
};

const roles = rolesFromTemplate(template, { tableName: 'jitgate', stateMachineArn: MACHINE });
const lines: string[] = [];
const iam = new LocalIam(roles, (l) => lines.push(l), ARNS);
const fnRole = roles.byLogicalId.get('FnRole')!;

test('each role gets its inline and attached policies, resolved to local ARNs, and its access key', () => {
  expect(fnRole.accessKeyId).toBe(accessKeyFor('FnRole'));
  expect(roles.byAccessKey.get(accessKeyFor('FnRole'))).toBe(fnRole);
  expect(fnRole.sessionName).toBe('Fn');
  expect(roles.functionRoles.get('Fn')).toBe(fnRole);
  expect(roles.stateMachineRole?.logicalId).toBe('MachineRole');
  expect(roles.stateMachineRole?.sessionName).toBe('jitgate');
  expect(fnRole.policies.map((p) => p.name)).toEqual(['FnRole/inline', 'FnRolePolicy']);
  const resources = fnRole.policies
    .flatMap((p) => (Array.isArray(p.document.Statement) ? p.document.Statement : [p.document.Statement]))
    .flatMap((s) => s.Resource);
  expect(resources).toEqual([
    'arn:aws:secretsmanager:local:000000000000:secret:Secret',
    TABLE,
    `${TABLE}/index/gsi1`,
    'arn:aws:kms:local:000000000000:key/local-Key',
    MACHINE,
    'arn:aws:states:local:000000000000:execution:jitgate:*',
  ]);
});

test('the operator only reads: it lists and stops executions, never reads their history (task tokens) or answers tasks', () => {
  const operator = roles.byAccessKey.get(accessKeyFor(LOCAL_OPERATOR_ROLE))!;
  expect(iam.check(operator, stepFunctionsCalls('ListExecutions', {}, MACHINE))).toBeUndefined();
  expect(
    iam.check(
      operator,
      stepFunctionsCalls('GetExecutionHistory', { executionArn: `${MACHINE.replace('stateMachine', 'execution')}:r1` }, MACHINE),
    ),
  ).toBeDefined();
  expect(iam.check(operator, stepFunctionsCalls('SendTaskSuccess', {}, MACHINE))).toBeDefined();
});

test('a denial reads as AWS writes it, and is logged with role, action and resource', () => {
  lines.length = 0;
  const denial = iam.check(fnRole, [{ action: 'dynamodb:PutItem', resource: TABLE }]);
  expect(denial?.message).toBe(
    'User: arn:aws:sts::000000000000:assumed-role/FnRole/Fn is not authorized to perform: dynamodb:PutItem on resource: ' +
      `${TABLE} because no identity-based policy allows the dynamodb:PutItem action`,
  );
  expect(lines).toEqual([
    expect.stringMatching(/ACCESS DENIED for role FnRole \(Fn\): dynamodb:PutItem on arn:aws:dynamodb:local:000000000000:table\/jitgate/),
  ]);
});

describe('what a call needs', () => {
  test('DynamoDB: transactions as the operations they hold, queries on their index, batches per table', () => {
    expect(
      dynamoDbCalls(
        'TransactWriteItems',
        {
          TransactItems: [
            { Put: { TableName: 'jitgate' } },
            { Update: { TableName: 'jitgate' } },
            { Delete: { TableName: 'other' } },
            { ConditionCheck: { TableName: 'jitgate' } },
          ],
        },
        ARNS,
      ),
    ).toEqual([
      { action: 'dynamodb:PutItem', resource: TABLE },
      { action: 'dynamodb:UpdateItem', resource: TABLE },
      { action: 'dynamodb:DeleteItem', resource: 'arn:aws:dynamodb:local:000000000000:table/other' },
      { action: 'dynamodb:ConditionCheckItem', resource: TABLE },
    ]);
    expect(dynamoDbCalls('TransactGetItems', { TransactItems: [{ Get: { TableName: 'jitgate' } }] }, ARNS)).toEqual([
      { action: 'dynamodb:GetItem', resource: TABLE },
    ]);
    expect(dynamoDbCalls('Query', { TableName: 'jitgate', IndexName: 'gsi2' }, ARNS)).toEqual([
      { action: 'dynamodb:Query', resource: `${TABLE}/index/gsi2` },
    ]);
    expect(dynamoDbCalls('Scan', { TableName: TABLE }, ARNS)).toEqual([{ action: 'dynamodb:Scan', resource: TABLE }]);
    expect(dynamoDbCalls('BatchWriteItem', { RequestItems: { jitgate: [], other: [] } }, ARNS).map((r) => r.resource)).toEqual([
      TABLE,
      'arn:aws:dynamodb:local:000000000000:table/other',
    ]);
    expect(dynamoDbCalls('ListTables', {}, ARNS)).toEqual([{ action: 'dynamodb:ListTables', resource: '*' }]);
    expect(() => dynamoDbCalls('PutItem', {}, ARNS)).toThrow(MalformedCallError);
    expect(() => dynamoDbCalls('TransactWriteItems', { TransactItems: [{ Frobnicate: {} }] }, ARNS)).toThrow(/TransactItems\[0\]/);
  });

  test('Step Functions: task responses on the state machine, execution calls on the execution', () => {
    expect(stepFunctionsCalls('SendTaskSuccess', { taskToken: 't' }, MACHINE)).toEqual([
      { action: 'states:SendTaskSuccess', resource: MACHINE },
    ]);
    expect(
      stepFunctionsCalls('GetExecutionHistory', { executionArn: 'arn:aws:states:local:000000000000:execution:jitgate:r' }, MACHINE)[0]!
        .resource,
    ).toBe('arn:aws:states:local:000000000000:execution:jitgate:r');
    expect(stepFunctionsCalls('StartExecution', { stateMachineArn: MACHINE }, MACHINE)).toEqual([
      { action: 'states:StartExecution', resource: MACHINE },
    ]);
  });

  test('SNS: Publish and PublishBatch need sns:Publish on the topic', () => {
    expect(snsCalls(new URLSearchParams({ Action: 'PublishBatch', TopicArn: 'arn:aws:sns:local:000000000000:T' }))).toEqual([
      { action: 'sns:Publish', resource: 'arn:aws:sns:local:000000000000:T' },
    ]);
  });

  test("the state machine's tasks, with the error Step Functions reports when the role may not", () => {
    expect(
      taskCall('arn:aws:states:::lambda:invoke.waitForTaskToken', { FunctionName: 'arn:aws:lambda:local:000000000000:function:F' }, ARNS),
    ).toMatchObject({
      requests: [{ action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:local:000000000000:function:F' }],
      deniedError: 'Lambda.AWSLambdaException',
    });
    expect(
      taskCall(
        'arn:aws:states:::aws-sdk:dynamodb:transactWriteItems',
        { TransactItems: [{ Update: { TableName: 'jitgate' } }, { Put: { TableName: 'jitgate' } }] },
        ARNS,
      ),
    ).toMatchObject({
      requests: [{ action: 'dynamodb:UpdateItem' }, { action: 'dynamodb:PutItem' }],
      deniedError: 'DynamoDb.DynamoDbException',
    });
    expect(taskCall('arn:aws:states:::sns:publish', { TopicArn: 'arn:aws:sns:local:000000000000:T' }, ARNS)?.deniedError).toBe(
      'SNS.AuthorizationErrorException',
    );
    expect(taskCall('arn:aws:lambda:local:000000000000:function:F', {}, ARNS)?.requests).toEqual([
      { action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:local:000000000000:function:F' },
    ]);

    const denied = iam.checkTask('arn:aws:states:::aws-sdk:dynamodb:transactWriteItems', {
      TransactItems: [{ Update: { TableName: 'jitgate' } }, { Put: { TableName: 'jitgate' } }],
    });
    expect(denied?.error).toBe('DynamoDb.DynamoDbException');
    expect(denied?.cause).toMatch(
      new RegExp(
        '^User: arn:aws:sts::000000000000:assumed-role/MachineRole/jitgate is not authorized to perform: dynamodb:PutItem on resource: ' +
          'arn:aws:dynamodb:local:000000000000:table/jitgate because no identity-based policy allows the dynamodb:PutItem action ' +
          '\\(Service: DynamoDb, Status Code: 400, Error Code: AccessDeniedException',
      ),
    );
    expect(iam.checkTask('arn:aws:states:::aws-sdk:dynamodb:updateItem', { TableName: 'jitgate' })).toBeUndefined();
  });
});
