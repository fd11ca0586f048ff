/**
 * Local mode enforces the template's IAM: a copy of the synthesized template with a grant
 * taken from two functions' roles (authorize's, and activate's, which the state machine
 * invokes), and the calls those grants covered refused exactly as AWS refuses them.
 */
import { DynamoDBClient, GetItemCommand, ScanCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { accessKeyFor, LOCAL_SECRET_ACCESS_KEY } from '../../local/credentials';
import type { CfnTemplate } from '../../local/cfn';
import { startLocal, STATE_MACHINE_ARN, type LocalJitgate } from '../../local/server';
import { devPerson } from '../support/principals';
import { depsOf } from '../support/in-process';
import { createRequest } from '../../shared/usecases/requests';
import { freePort, tempDir } from '../support/local-mode';
import { sharedDynamoDb } from '../support/shared-dynamodb';
import { waitFor } from '../support/wait';

let local: LocalJitgate;
const log: string[] = [];

type Statement = { Action: string | string[]; Resource: unknown };
/** The DefaultPolicy of the role whose function has this entry, and its statements. */
function policyOf(template: CfnTemplate, roleRef: (t: CfnTemplate) => string): Statement[] {
  const roleId = roleRef(template);
  const policy = Object.values(template.Resources!).find(
    (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties!['Roles']) === JSON.stringify([{ Ref: roleId }]),
  )!;
  return (policy.Properties!['PolicyDocument'] as { Statement: Statement[] }).Statement;
}
const roleOfEntry = (entry: string) => (t: CfnTemplate) =>
  (
    Object.values(t.Resources!).find((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['jitgate:entry'] === entry)!.Properties![
      'Role'
    ] as { 'Fn::GetAtt': [string] }
  )['Fn::GetAtt'][0];
const without = (statements: Statement[], action: string) => {
  const i = statements.findIndex((s) => ([] as string[]).concat(s.Action).includes(action));
  if (i < 0) throw new Error(`no statement with Action ${action}`);
  statements.splice(i, 1);
};

beforeAll(async () => {
  local = await startLocal({
    port: await freePort(),
    dataDir: tempDir('jitgate-iam-'),
    inMemory: true,
    idp: 'keys',
    // A table of its own in the run's DynamoDB Local: the policies name it, whatever it is called.
    dynamodb: await sharedDynamoDb(),
    log: (line) => log.push(line),
    alterTemplate: (template) => {
      // The authorize function loses its table writes (consuming a grant); so does activate (committing one).
      without(policyOf(template, roleOfEntry('functions/authorize/index.ts')), 'dynamodb:UpdateItem');
      without(policyOf(template, roleOfEntry('functions/activate/index.ts')), 'dynamodb:PutItem');
      return template;
    },
  });
}, 180_000);

afterAll(async () => {
  await local?.close();
});

const roleKey = (entry: string) => accessKeyFor(roleOfEntry(entry)(local.template));
const credentials = (accessKeyId: string) => ({ accessKeyId, secretAccessKey: LOCAL_SECRET_ACCESS_KEY });

test('a function role without the grant gets AccessDeniedException, worded as AWS words it, and the console says so', async () => {
  const role = roleOfEntry('functions/authorize/index.ts')(local.template);
  const fn = [...local.iam.roles.functionRoles].find(([, r]) => r.logicalId === role)![0];
  const ddb = new DynamoDBClient({
    endpoint: `${local.url}/dev/aws/dynamodb`,
    region: 'us-east-1',
    credentials: credentials(accessKeyFor(role)),
    maxAttempts: 1,
  });
  const key = { pk: { S: 'GRANT#iam-test' }, sk: { S: 'GRANT' } };
  // Consuming a grant is a transaction; AWS authorizes each of its items as the operation it is.
  const refused = await ddb
    .send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { ConditionCheck: { TableName: local.tableName, Key: key, ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Update: {
              TableName: local.tableName,
              Key: key,
              UpdateExpression: 'SET used = :t',
              ExpressionAttributeValues: { ':t': { BOOL: true } },
            },
          },
        ],
      }),
    )
    .catch((e: Error) => e);
  const table = `arn:aws:dynamodb:local:000000000000:table/${local.tableName}`;
  expect((refused as Error).name).toBe('AccessDeniedException');
  expect((refused as Error).message).toBe(
    `User: arn:aws:sts::000000000000:assumed-role/${role}/${fn} is not authorized to perform: dynamodb:UpdateItem on resource: ` +
      `${table} because no identity-based policy allows the dynamodb:UpdateItem action`,
  );
  expect(log).toContainEqual(expect.stringContaining(`ACCESS DENIED for role ${role} (${fn}): dynamodb:UpdateItem on ${table}`));
  // Nothing reached DynamoDB Local.
  expect((await ddb.send(new GetItemCommand({ TableName: local.tableName, Key: key, ConsistentRead: true }))).Item).toBeUndefined();
  ddb.destroy();
  // The api role has no GetExecutionHistory grant at all.
  const sfn = new SFNClient({
    endpoint: `${local.url}/dev/aws/sfn`,
    region: 'us-east-1',
    credentials: credentials(roleKey('functions/api/index.ts')),
    maxAttempts: 1,
  });
  const history = await sfn
    .send(new GetExecutionHistoryCommand({ executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:x` }))
    .catch((e: Error) => e);
  sfn.destroy();
  expect((history as Error).name).toBe('AccessDeniedException');
});

test('a role with the grant passes the check and reaches the service', async () => {
  const sfn = new SFNClient({
    endpoint: `${local.url}/dev/aws/sfn`,
    region: 'us-east-1',
    credentials: credentials(roleKey('functions/approve/index.ts')),
    maxAttempts: 1,
  });
  const answer = await sfn.send(new SendTaskSuccessCommand({ taskToken: 'no-such-token', output: '{}' })).catch((e: Error) => e);
  sfn.destroy();
  expect((answer as Error).name).toBe('TaskDoesNotExist');
});

test('DynamoDB through local mode: each role may do what its policies say, on the table and the indexes they name', async () => {
  const client = (entry: string) =>
    new DynamoDBClient({
      endpoint: `${local.url}/dev/aws/dynamodb`,
      region: 'us-east-1',
      credentials: credentials(roleKey(entry)),
      maxAttempts: 1,
    });
  const authorize = client('functions/authorize/index.ts');
  const got = await authorize.send(new GetItemCommand({ TableName: local.tableName, Key: { pk: { S: 'GRANT#x' }, sk: { S: 'GRANT' } } }));
  expect(got.Item).toBeUndefined();
  // No role may Scan: the grant table is read item by item.
  const scan = await authorize.send(new ScanCommand({ TableName: local.tableName })).catch((e: Error) => e);
  expect((scan as Error).name).toBe('AccessDeniedException');
  expect((scan as Error).message).toContain(
    `is not authorized to perform: dynamodb:Scan on resource: arn:aws:dynamodb:local:000000000000:table/${local.tableName} because`,
  );
  const index = await authorize.send(new ScanCommand({ TableName: local.tableName, IndexName: 'gsi9' })).catch((e: Error) => e);
  expect((index as Error).message).toContain(`on resource: arn:aws:dynamodb:local:000000000000:table/${local.tableName}/index/gsi9 `);
  authorize.destroy();
});

test('SNS: a role may publish only to its topics (AuthorizationErrorException, as SNS names it)', async () => {
  const topics = local.template.Resources!;
  const approverTopicId = Object.keys(topics).find((id) => id.includes('ApproverTopic') && topics[id]!.Type === 'AWS::SNS::Topic');
  const approverTopic = `arn:aws:sns:local:000000000000:${approverTopicId}`;
  const sns = new SNSClient({
    endpoint: `${local.url}/dev/aws/sns`,
    region: 'us-east-1',
    credentials: credentials(roleKey('functions/authorize/index.ts')),
    maxAttempts: 1,
  });
  const refused = await sns.send(new PublishCommand({ TopicArn: approverTopic, Message: 'hi' })).catch((e: Error) => e);
  sns.destroy();
  expect((refused as Error).name).toBe('AuthorizationErrorException');
  expect((refused as Error).message).toContain(`is not authorized to perform: sns:Publish on resource: ${approverTopic}`);
});

test('the activate function without table writes: Activate fails as on AWS, the execution FAILS, the request ends failed', async () => {
  const deps = depsOf(local, 'api');
  const alice = devPerson(local.config, 'alice-iam', { groups: ['engineering'] });
  const { request } = await createRequest(
    deps,
    alice,
    { action: 'reports:read', resource: 'reports/q1' },
    { linkBase: `${local.url}/approve/` },
  );
  const executionArn = STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:') + `:${request.id}`;
  const execution = await waitFor(
    () => local.sfn.describeExecution({ executionArn }),
    (d) => d.status !== 'RUNNING',
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  expect(execution.status).toBe('FAILED');
  // The function's error (the SDK's AccessDeniedException) is no error its Retry names.
  expect(execution.error).toBe('AccessDeniedException');
  expect(execution.cause).toMatch(
    new RegExp(
      'assumed-role/.+ is not authorized to perform: dynamodb:PutItem on resource: ' +
        `arn:aws:dynamodb:local:000000000000:table/${local.tableName} because no identity-based policy allows the dynamodb:PutItem action`,
    ),
  );
  expect(log).toContainEqual(expect.stringMatching(/ACCESS DENIED for role .+: dynamodb:PutItem/));
  // Nothing of the transaction was written; the execution's end closes the request as failed, audited with the denial.
  const stored = await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.request.status === 'failed',
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  expect(stored?.request.status).toBe('failed');
  const audit = await deps.store.listAudit({ requestId: request.id, limit: 100 });
  expect(audit.events.map((e) => e.type)).not.toContain('activated');
  expect(audit.events.find((e) => e.type === 'failed')).toMatchObject({
    details: { executionStatus: 'FAILED', error: 'AccessDeniedException' },
  });
});
