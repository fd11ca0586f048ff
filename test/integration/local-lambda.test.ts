/**
 * Local mode's Lambda service (local/lambda/): a fixture function bundled with the
 * deployed options, run in worker containers with exactly its template environment,
 * its timeout enforced, its errors reported as Lambda reports them (to a caller and to
 * the Step Functions integration), and its source never loaded, only its bundle.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { proxyIntegrationFailure } from '../../local/apigateway';
import { localResolver, type CfnTemplate } from '../../local/cfn';
import { accessKeyFor, LOCAL_SECRET_ACCESS_KEY } from '../../local/credentials';
import { buildBundles, type BuiltBundles } from '../../local/lambda/bundles';
import { localFunctions } from '../../local/lambda/functions';
import { containersFor, LocalLambda, type LocalLambdaOptions } from '../../local/lambda/runtime';
import { waitFor } from '../support/wait';
import { LocalStepFunctions } from '../../local/stepfunctions';
import { parseConfig } from '../../shared/config/config';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

const ENTRY = 'test/fixtures/lambda/index.ts';
const ENDPOINTS = {
  dynamodb: 'http://127.0.0.1:1/ddb',
  sfn: 'http://127.0.0.1:1/sfn',
  sns: 'http://127.0.0.1:1/sns',
  secretsManager: 'http://127.0.0.1:1/sm',
};

function fn(role: string, timeout: number, variables: Record<string, unknown>, handler = 'index.handler') {
  return {
    Type: 'AWS::Lambda::Function',
    Metadata: { 'jitgate:entry': ENTRY },
    Properties: {
      Handler: handler,
      Timeout: timeout,
      MemorySize: 256,
      Role: { 'Fn::GetAtt': [role, 'Arn'] },
      Environment: { Variables: variables },
    },
  };
}

const template: CfnTemplate = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
    Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
    ShortRole: { Type: 'AWS::IAM::Role', Properties: {} },
    OtherRole: { Type: 'AWS::IAM::Role', Properties: {} },
    Short: fn('ShortRole', 1, { TABLE_NAME: { Ref: 'Table' }, ONLY_SHORT: 'short' }),
    Other: fn('OtherRole', 30, { EVENTS_TOPIC_ARN: { Ref: 'Topic' }, ONLY_OTHER: 'other' }),
  },
};

let cacheDir: string;
let built: BuiltBundles;
const runtimes: LocalLambda[] = [];

function start(t: CfnTemplate, bundles: BuiltBundles, maxContainers?: LocalLambdaOptions['maxContainers'], idleMs?: number): LocalLambda {
  const functions = localFunctions(t, {
    resolver: localResolver(t, { tableName: 'jitgate' }),
    bundles: bundles.bundles,
    endpoints: ENDPOINTS,
    region: 'us-east-1',
  });
  const lambda = new LocalLambda({ functions, workerFile: bundles.worker, ...(maxContainers ? { maxContainers } : {}), idleMs });
  runtimes.push(lambda);
  return lambda;
}

beforeAll(async () => {
  cacheDir = mkdtempSync(path.join(os.tmpdir(), 'jitgate-bundles-'));
  built = await buildBundles({ entries: [ENTRY], configJson: '{}', configMode: 'local', cacheDir });
}, 60_000);

afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  rmSync(cacheDir, { recursive: true, force: true });
});

test("a function sees exactly its template's variables, the runtime's and the local endpoints: not another function's, " +
  "not local mode's", async () => {
  process.env.JITGATE_LEAK_CHECK = 'local mode process only';
  const lambda = start(template, built);
  const env = (await lambda.invoke('Short', { do: 'env' })) as Record<string, string>;
  const other = (await lambda.invoke('Other', { do: 'env' })) as Record<string, string>;
  expect(env).toEqual({
    TABLE_NAME: 'jitgate',
    ONLY_SHORT: 'short',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'Short',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/Short',
    AWS_ACCESS_KEY_ID: accessKeyFor('ShortRole'),
    AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL_DYNAMODB: ENDPOINTS.dynamodb,
    AWS_ENDPOINT_URL_SFN: ENDPOINTS.sfn,
    AWS_ENDPOINT_URL_SNS: ENDPOINTS.sns,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: ENDPOINTS.secretsManager,
  });
  expect(other.ONLY_OTHER).toBe('other');
  expect(other.EVENTS_TOPIC_ARN).toBe('arn:aws:sns:local:000000000000:Topic');
  expect(other.AWS_ACCESS_KEY_ID).toBe(accessKeyFor('OtherRole'));
  expect(other).not.toHaveProperty('ONLY_SHORT');
  expect(other).not.toHaveProperty('TABLE_NAME');
  expect(other).not.toHaveProperty('JITGATE_LEAK_CHECK');
  expect(await lambda.invoke('Short', { do: 'context' })).toMatchObject({ memoryLimitInMB: '256', functionName: 'Short' });
}, 60_000);

test("a handler running past the template's Timeout fails with Lambda's timeout error; its container is replaced", async () => {
  const lambda = start(template, built);
  await lambda.warm();
  expect(await lambda.invoke('Short', { do: 'count' })).toBe(1);
  // A busy loop: only terminating the container ends it.
  await expect(lambda.invoke('Short', { do: 'spin', ms: 20_000 })).rejects.toMatchObject({
    name: 'Sandbox.Timedout',
    message: expect.stringMatching(/^RequestId: [0-9a-f-]+ Error: Task timed out after 1\.00 seconds$/),
  });
  // The next invocation runs in a fresh container: a new module scope.
  expect(await lambda.invoke('Short', { do: 'count' })).toBe(1);
  expect(lambda.containers().Short).toBe(1);
}, 60_000);

test('a warm container is reused one invocation at a time; concurrent calls start more containers up to the cap, then queue', async () => {
  const lambda = start(template, built, 2);
  expect(await lambda.invoke('Other', { do: 'count' })).toBe(1);
  expect(await lambda.invoke('Other', { do: 'count' })).toBe(2);
  const results = await Promise.all([1, 2, 3, 4].map(() => lambda.invoke('Other', { do: 'wait', ms: 300 })));
  expect(results).toEqual(['waited', 'waited', 'waited', 'waited']);
  expect(lambda.containers().Other).toBe(2);
}, 60_000);

test("local mode gives the functions behind the API two containers and the state machine's steps one: their calls queue", async () => {
  const lambda = start(template, built, containersFor(new Set(['Short'])));
  const results = await Promise.all([1, 2, 3].map(() => lambda.invoke('Other', { do: 'wait', ms: 200 })));
  expect(results).toEqual(['waited', 'waited', 'waited']);
  expect(lambda.containers().Other).toBe(1);
  await Promise.all([1, 2, 3].map(() => lambda.invoke('Short', { do: 'count' })));
  expect(lambda.containers().Short).toBe(2);
}, 60_000);

test('a container nobody called for idleMs is shut down, as Lambda reclaims idle ones: the next call is a cold start', async () => {
  const lambda = start(template, built, 2, 300);
  expect(await lambda.invoke('Other', { do: 'count' })).toBe(1);
  expect(await lambda.invoke('Other', { do: 'count' })).toBe(2);
  expect(lambda.containers().Other).toBe(1);
  await waitFor(
    async () => lambda.containers().Other,
    (n) => n === 0,
    { what: 'the idle container to be reclaimed', timeoutMs: 10_000 },
  );
  // A fresh module scope: the count starts again.
  expect(await lambda.invoke('Other', { do: 'count' })).toBe(1);
}, 60_000);

test("a thrown error's name reaches the Step Functions Lambda integration as the error Retry and Catch match on", async () => {
  const lambda = start(template, built);
  const arn = (id: string) => `arn:aws:lambda:local:000000000000:function:${id}`;
  const call = (id: string) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: arn(id), 'Payload.$': '$' },
    TimeoutSeconds: 60,
    Catch: [
      { ErrorEquals: ['Closed'], ResultPath: '$.caught', Next: 'Caught' },
      { ErrorEquals: ['Sandbox.Timedout'], ResultPath: '$.caught', Next: 'Caught' },
    ],
    End: true,
  });
  const sfn = new LocalStepFunctions({
    definition: {
      StartAt: 'Route',
      States: {
        Route: { Type: 'Choice', Choices: [{ Variable: '$.do', StringEquals: 'spin', Next: 'CallShort' }], Default: 'CallOther' },
        CallShort: call('Short'),
        CallOther: call('Other'),
        Caught: { Type: 'Succeed' },
      },
    },
    stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:test',
    invokeLambda: (id, payload) => lambda.invoke(id, payload),
    dynamodb: { send: async () => ({}) },
    publishSns: async () => ({ MessageId: 'unused' }),
    log: () => undefined,
  });
  const outcome = async (input: unknown) => {
    const { executionArn } = await sfn.startExecution({ input: JSON.stringify(input) });
    for (;;) {
      const d = await sfn.describeExecution({ executionArn });
      if (d.status !== 'RUNNING')
        return { status: d.status, caught: JSON.parse(d.output ?? '{}').caught as { Error: string; Cause: string } };
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    const closed = await outcome({ do: 'throw', name: 'Closed', message: 'request is denied' });
    expect(closed.status).toBe('SUCCEEDED');
    expect(closed.caught.Error).toBe('Closed');
    expect(JSON.parse(closed.caught.Cause)).toMatchObject({ errorType: 'Closed', errorMessage: 'request is denied' });

    const custom = await outcome({ do: 'throw', name: 'DependencyUnavailable', message: 'the database is unavailable' });
    expect(custom.status).toBe('FAILED');

    const timedOut = await outcome({ do: 'spin', ms: 20_000 });
    expect(timedOut.caught.Error).toBe('Sandbox.Timedout');
  } finally {
    await sfn.close();
  }
}, 60_000);

test("API Gateway answers a function's error or timeout with its 502, never the error itself", async () => {
  const lambda = start(template, built);
  const viaApi = (fn: string, event: unknown) => lambda.invoke(fn, event).catch(proxyIntegrationFailure);
  const internal = { statusCode: 502, body: '{"message": "Internal server error"}' };
  expect(await viaApi('Other', { do: 'throw', name: 'TypeError', message: 'secret detail' })).toMatchObject(internal);
  expect(await viaApi('Short', { do: 'spin', ms: 20_000 })).toMatchObject(internal);
  expect(() => proxyIntegrationFailure(new Error('local mode bug'))).toThrow('local mode bug');
}, 60_000);

test('a handler the bundle does not export fails the start, naming the function', async () => {
  const broken: CfnTemplate = { Resources: { ...template.Resources, Short: fn('ShortRole', 1, {}, 'index.nothing') } };
  const lambda = start(broken, built);
  await expect(lambda.warm()).rejects.toThrow(/function Short .*Runtime\.HandlerNotFound: index\.nothing is undefined or not exported/);
}, 60_000);

test('the runtime loads the bundle, never the TypeScript source: a changed source runs only after a rebuild, ' +
  'an unchanged one is not rebuilt', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jitgate-source-'));
  try {
    const entry = path.join(dir, 'index.ts');
    const source = (v: string) => `export const handler = async (): Promise<string> => ${JSON.stringify(v)};\n`;
    const t: CfnTemplate = { Resources: { R: { Type: 'AWS::IAM::Role' }, F: { ...fn('R', 5, {}), Metadata: { 'jitgate:entry': entry } } } };
    writeFileSync(entry, source('v1'));
    const first = await buildBundles({ entries: [entry], configJson: '{}', configMode: 'local', cacheDir });
    const lambda = start(t, first);
    expect(await lambda.invoke('F', {})).toBe('v1');

    writeFileSync(entry, source('v2'));
    expect(await lambda.invoke('F', {})).toBe('v1');
    const second = await buildBundles({ entries: [entry], configJson: '{}', configMode: 'local', cacheDir });
    expect(second.built).toBe(true);
    expect(second.dir).not.toBe(first.dir);
    expect(await start(t, second).invoke('F', {})).toBe('v2');

    const third = await buildBundles({ entries: [entry], configJson: '{}', configMode: 'local', cacheDir });
    expect(third).toMatchObject({ built: false, dir: second.dir });

    // The module a container runs is the bundle file itself.
    const where = fileURLToPath((await start(template, built).invoke('Short', { do: 'where' })) as string);
    expect(where).toBe(built.bundles[ENTRY]);
    expect(where.endsWith('.mjs')).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('a function re-reads its inlined config under the rules it was checked with: a non-development http issuer passes in local mode ' +
  'only', async () => {
  const demo = JSON.parse(readFileSync(DEMO_CONFIG_FILE, 'utf8')) as { issuers: Record<string, unknown> };
  const withHttp = {
    ...demo,
    issuers: {
      ...demo.issuers,
      other: { issuer: 'http://127.0.0.1:9/other', jwksUri: 'http://127.0.0.1:9/other/keys', audience: ['jitgate'] },
    },
  };
  const configJson = JSON.stringify(parseConfig(withHttp, 'test config', { mode: 'local' }));
  const entry = 'functions/authorize/index.ts';
  const t: CfnTemplate = {
    Resources: { R: { Type: 'AWS::IAM::Role' }, F: { ...fn('R', 10, { TABLE_NAME: 'jitgate' }), Metadata: { 'jitgate:entry': entry } } },
  };
  const event = {
    httpMethod: 'POST',
    path: '/v1/authorize',
    headers: { authorization: 'Bearer not.a.token' },
    body: '{"action":"prod:debug"}',
    isBase64Encoded: false,
  };
  const statusWith = async (configMode: 'local' | 'deploy') => {
    // The default cache (inside node_modules): the real functions import the external @aws-sdk/* from there.
    const bundles = await buildBundles({ entries: [entry], configJson, configMode });
    return ((await start(t, bundles).invoke('F', event)) as { statusCode: number }).statusCode;
  };
  expect(await statusWith('local')).toBe(401);
  expect(await statusWith('deploy')).toBe(500);
}, 120_000);
