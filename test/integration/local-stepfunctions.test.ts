/**
 * Local Step Functions (local/stepfunctions/) and the template helpers (local/cfn.ts), with a small
 * hand-written definition shaped like the jitgate workflow; the Step Functions API is exercised through the
 * real @aws-sdk/client-sfn against the HTTP endpoint mounted under a path prefix, as local mode does.
 * DynamoDB is a fake client here (the real DynamoDB Local binding is covered by the local-mode tests).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidOutput,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  createStepFunctionsEndpoint,
  LocalStepFunctions,
  StepFunctionsError,
  type HistoryEvent,
  type SnsPublishParams,
} from '../../local/stepfunctions';
import { findResources, lambdaEntries, localResolver, resolveIntrinsics, stateMachineDefinition } from '../../local/cfn';
import { defined, waitFor } from '../support/wait';

const STATE_MACHINE_ARN = 'arn:aws:states:local:000000000000:stateMachine:jitgate';
const fn = (logicalId: string) => `arn:aws:lambda:local:000000000000:function:${logicalId}`;

/** The jitgate workflow in miniature: callback approval with a dynamic timeout, DynamoDB transaction, SNS, timed wait. */
const workflow = {
  Comment: 'test workflow',
  StartAt: 'NeedsApproval',
  States: {
    NeedsApproval: {
      Type: 'Choice',
      Choices: [{ Variable: '$.approval', BooleanEquals: true, Next: 'AwaitApproval' }],
      Default: 'Activate',
    },
    AwaitApproval: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: fn('AwaitApprovalFn'),
        Payload: {
          'requestId.$': '$.requestId',
          'taskToken.$': '$$.Task.Token',
          'enteredAt.$': '$$.State.EnteredTime',
          'executionId.$': '$$.Execution.Id',
        },
      },
      TimeoutSecondsPath: '$.approvalTimeoutSeconds',
      ResultPath: '$.grant',
      Catch: [
        { ErrorEquals: ['Closed'], ResultPath: '$.closed', Next: 'Closed' },
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'TimedOut' },
      ],
      Next: 'Activate',
    },
    Activate: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:dynamodb:transactWriteItems',
      Parameters: {
        TransactItems: [
          {
            Update: {
              TableName: 'jitgate',
              Key: { pk: { 'S.$': '$.requestPk' }, sk: { S: 'REQUEST' } },
              UpdateExpression: 'SET #s = :active',
              ConditionExpression: '#s = :pending',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: { ':active': { S: 'active' }, ':pending': { S: 'pending_approval' } },
            },
          },
        ],
      },
      ResultPath: null,
      TimeoutSeconds: 10,
      Catch: [{ ErrorEquals: ['DynamoDb.TransactionCanceledException'], ResultPath: '$.error', Next: 'Closed' }],
      Next: 'NotifyActive',
    },
    NotifyActive: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: {
        TopicArn: 'arn:aws:sns:local:000000000000:EventsTopic',
        Message: { type: 'grant.activated', 'requestId.$': '$.requestId' },
        MessageAttributes: { type: { DataType: 'String', StringValue: 'grant.activated' } },
      },
      ResultPath: null,
      TimeoutSeconds: 10,
      Next: 'WaitUntilExpiry',
    },
    WaitUntilExpiry: { Type: 'Wait', TimestampPath: '$.grant.expiresAt', Next: 'Expire' },
    Expire: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: fn('EndRequestFn'), Payload: { 'requestId.$': '$.requestId', reason: 'expired' } },
      ResultSelector: { 'ended.$': '$.Payload.ended', 'status.$': '$.StatusCode' },
      ResultPath: '$.end',
      TimeoutSeconds: 10,
      End: true,
    },
    TimedOut: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: fn('EndRequestFn'), Payload: { 'requestId.$': '$.requestId', reason: 'timed_out' } },
      OutputPath: '$.Payload',
      TimeoutSeconds: 10,
      End: true,
    },
    Closed: { Type: 'Succeed' },
  },
};

// ----------------------------------------------------------------------------------------- fakes

const lambdaCalls: Array<{ functionName: string; payload: any; at: number }> = [];
const tokensByRequest = new Map<string, string>();
const ddbCommands: any[] = [];
const published: SnsPublishParams[] = [];
let flakyCalls = 0;

async function invokeLambda(functionName: string, payload: any): Promise<unknown> {
  lambdaCalls.push({ functionName, payload, at: Date.now() });
  switch (functionName) {
    case 'AwaitApprovalFn':
      tokensByRequest.set(payload.requestId, payload.taskToken);
      return { stored: true };
    case 'EndRequestFn':
      return { ended: payload.reason };
    case 'FlakyFn': {
      flakyCalls += 1;
      const error = new Error(flakyCalls === 1 ? 'try again' : 'gave up');
      error.name = flakyCalls === 1 ? 'Flaky.Transient' : 'Flaky.Permanent';
      throw error;
    }
    case 'EchoFn':
      return { echoed: payload };
    default:
      throw Object.assign(new Error(`no function ${functionName}`), { name: 'ResourceNotFoundException' });
  }
}

const fakeDynamoDb = {
  async send(command: any): Promise<any> {
    ddbCommands.push(command);
    const input = command.input;
    if (command.constructor.name === 'TransactWriteItemsCommand' && input.TransactItems[0].Update.Key.pk.S === 'REQ#cancelled') {
      throw new TransactionCanceledException({
        message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]',
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
      });
    }
    if (command.constructor.name === 'UpdateItemCommand') {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
    }
    if (command.constructor.name === 'GetItemCommand') {
      return {
        $metadata: { httpStatusCode: 200 },
        Item: { pk: { S: 'A' }, status: { S: 'active' }, blob: { B: new Uint8Array([1, 2, 3]) } },
      };
    }
    return { $metadata: { httpStatusCode: 200 } };
  },
};

async function publishSns(params: SnsPublishParams): Promise<{ MessageId: string }> {
  published.push(params);
  return { MessageId: `message-${published.length}` };
}

// ------------------------------------------------------------------------------------- harness

let sfn: LocalStepFunctions;
let server: http.Server;
let client: SFNClient;
let endpoint: string;

beforeAll(async () => {
  sfn = new LocalStepFunctions({
    definition: workflow,
    stateMachineArn: STATE_MACHINE_ARN,
    invokeLambda,
    dynamodb: fakeDynamoDb,
    publishSns,
  });
  const handle = createStepFunctionsEndpoint(sfn);
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (!req.url?.startsWith('/dev/aws/sfn')) {
        res.writeHead(404).end();
        return;
      }
      void handle(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dev/aws/sfn`;
  client = new SFNClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
});

afterAll(async () => {
  await sfn.close();
  client.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function settled(engine: LocalStepFunctions, executionArn: string) {
  return waitFor(
    async () => {
      const description = await engine.describeExecution({ executionArn });
      return description.status === 'RUNNING' ? undefined : description;
    },
    defined,
    { what: `${executionArn} to finish`, intervalMs: 10 },
  );
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  return (await sfn.getExecutionHistory({ executionArn })).events;
}

const types = (events: Array<{ type?: string }>) => events.map((event) => event.type);
/** Names of the states entered, in order (one per state transition). */
const entered = (events: Array<{ type?: string; stateEnteredEventDetails?: unknown }>) =>
  events.filter((event) => event.type?.endsWith('StateEntered')).map((event) => (event.stateEnteredEventDetails as { name: string }).name);

function input(requestId: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({ requestId, requestPk: `REQ#${requestId}`, approval: true, approvalTimeoutSeconds: 30, ...extra });
}

async function expectRejects(promise: Promise<unknown>, errorClass: abstract new (...args: any[]) => Error): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(errorClass);
    return error as Error;
  }
  throw new Error(`expected ${errorClass.name}`);
}

// ------------------------------------------------------------------------------------------ tests

describe('LocalStepFunctions through @aws-sdk/client-sfn', () => {
  test('approval by SendTaskSuccess, transaction, SNS, Wait TimestampPath, Expire; tokens are one-shot', async () => {
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'req-approved', input: input('approved') }),
    );
    expect(started.executionArn).toBe('arn:aws:states:local:000000000000:execution:jitgate:req-approved');
    expect(started.startDate).toBeInstanceOf(Date);

    const token = await waitFor(() => tokensByRequest.get('approved'), defined, { what: 'the approval task token', intervalMs: 10 });
    expect(token).toMatch(/^AQCEAAAAKgAAAAMAAAAAAAAAA[A-Za-z0-9+/=]{643}$/); // as long as AWS's, in its alphabet
    expect(token).not.toContain('placeholder');
    const call = lambdaCalls.find((c) => c.payload.requestId === 'approved')!;
    expect(call.functionName).toBe('AwaitApprovalFn');
    expect(call.payload.executionId).toBe(started.executionArn);
    expect(Date.parse(call.payload.enteredAt)).toBeGreaterThan(Date.now() - 5000);
    expect((await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }))).status).toBe('RUNNING');

    const expiresAt = new Date(Date.now() + 1000).toISOString();
    const approvedAt = Date.now();
    await client.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ activatedAt: new Date().toISOString(), expiresAt }) }),
    );
    // Answered: the same token again, while the execution waits for expiry → TaskDoesNotExist.
    await expectRejects(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), TaskDoesNotExist);

    const description = await settled(sfn, started.executionArn!);
    expect(description.status).toBe('SUCCEEDED');
    const output = JSON.parse(description.output!);
    expect(output.grant.expiresAt).toBe(expiresAt);
    expect(output.end).toEqual({ ended: 'expired', status: 200 });
    const expire = lambdaCalls.find((c) => c.functionName === 'EndRequestFn' && c.payload.requestId === 'approved')!;
    expect(expire.at - approvedAt).toBeGreaterThanOrEqual(900); // the Wait honoured expiresAt

    const transaction = ddbCommands.find((c) => c.input.TransactItems?.[0].Update.Key.pk.S === 'REQ#approved');
    expect(transaction.constructor.name).toBe('TransactWriteItemsCommand');
    expect(transaction.input.TransactItems[0].Update.ExpressionAttributeValues[':active']).toEqual({ S: 'active' });
    const notification = published.find((p) => p.Message.includes('"approved"'))!;
    expect(JSON.parse(notification.Message)).toEqual({ type: 'grant.activated', requestId: 'approved' });
    expect(notification.MessageAttributes).toEqual({ type: { DataType: 'String', StringValue: 'grant.activated' } });

    // Execution closed → TaskTimedOut, as AWS answers.
    await expectRejects(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), TaskTimedOut);

    // History through the SDK: state transitions and Lambda invocations can be counted.
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    expect(events![0]!.type).toBe('ExecutionStarted');
    expect(events!.at(-1)!.type).toBe('ExecutionSucceeded');
    expect(events!.map((e) => e.id)).toEqual(events!.map((_, i) => i + 1));
    expect(events![0]!.timestamp).toBeInstanceOf(Date);
    expect(entered(events!)).toEqual(['NeedsApproval', 'AwaitApproval', 'Activate', 'NotifyActive', 'WaitUntilExpiry', 'Expire']);
    const lambdaScheduled = events!.filter((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails!.resourceType === 'lambda');
    expect(lambdaScheduled.map((e) => e.taskScheduledEventDetails!.resource)).toEqual(['invoke.waitForTaskToken', 'invoke']);
    expect(JSON.parse(lambdaScheduled[0]!.taskScheduledEventDetails!.parameters!).Payload.taskToken).toBe(token);
    expect(types(events!)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const scheduled = events!.filter((e) => e.type === 'TaskScheduled').map((e) => e.taskScheduledEventDetails!);
    expect(scheduled.map((d) => `${d.resourceType}/${d.resource}`)).toEqual([
      'lambda/invoke.waitForTaskToken',
      'aws-sdk:dynamodb/transactWriteItems',
      'sns/publish',
      'lambda/invoke',
    ]);
    expect(scheduled[0]!.timeoutInSeconds).toBe(30);
  });

  test('SendTaskFailure "Closed" is caught to the Succeed state', async () => {
    const { executionArn } = await sfn.startExecution({ name: 'req-denied', input: input('denied') });
    const token = await waitFor(() => tokensByRequest.get('denied'), defined, { what: 'the approval task token', intervalMs: 10 });
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Closed', cause: 'denied by bob' }));
    const description = await settled(sfn, executionArn);
    expect(description.status).toBe('SUCCEEDED');
    expect(JSON.parse(description.output!).closed).toEqual({ Error: 'Closed', Cause: 'denied by bob' });
    const events = await history(executionArn);
    expect(events.find((e) => e.type === 'TaskFailed')!['taskFailedEventDetails']).toMatchObject({
      error: 'Closed',
      cause: 'denied by bob',
    });
    expect(entered(events)).toEqual(['NeedsApproval', 'AwaitApproval', 'Closed']);
    await expectRejects(client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Closed' })), TaskTimedOut);
  });

  test('TimeoutSecondsPath (evaluated on the state input, not the Parameters) raises States.Timeout; the token is dropped', async () => {
    const { executionArn } = await sfn.startExecution({ name: 'req-slow', input: input('slow', { approvalTimeoutSeconds: 1 }) });
    const token = await waitFor(() => tokensByRequest.get('slow'), defined, { what: 'the approval task token', intervalMs: 10 });
    const description = await settled(sfn, executionArn);
    expect(description.status).toBe('SUCCEEDED');
    expect(JSON.parse(description.output!)).toEqual({ ended: 'timed_out' });
    const events = await history(executionArn);
    expect(events.find((e) => e.type === 'TaskTimedOut')!['taskTimedOutEventDetails']).toMatchObject({
      error: 'States.Timeout',
      resource: 'invoke.waitForTaskToken',
    });
    expect(entered(events)).toEqual(['NeedsApproval', 'AwaitApproval', 'TimedOut']);
    await expectRejects(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), TaskTimedOut);
  });

  test('a cancelled transaction surfaces as DynamoDb.TransactionCanceledException and is caught', async () => {
    const { executionArn } = await sfn.startExecution({
      name: 'req-cancelled',
      input: input('cancelled', { approval: false, grant: { expiresAt: new Date().toISOString() } }),
    });
    const description = await settled(sfn, executionArn);
    expect(description.status).toBe('SUCCEEDED');
    const error = JSON.parse(description.output!).error;
    expect(error.Error).toBe('DynamoDb.TransactionCanceledException');
    expect(error.Cause).toContain('Transaction cancelled');
    const failed = (await history(executionArn)).find((e) => e.type === 'TaskFailed')!;
    expect(failed['taskFailedEventDetails']).toMatchObject({
      resourceType: 'aws-sdk:dynamodb',
      resource: 'transactWriteItems',
      error: 'DynamoDb.TransactionCanceledException',
    });
  });

  test('startAt resumes at a later state; unknown states are refused', async () => {
    const { executionArn } = await sfn.startExecution({
      name: 'req-resumed',
      input: input('resumed', { grant: { expiresAt: new Date(Date.now() - 1000).toISOString() } }),
      startAt: 'WaitUntilExpiry',
    });
    const description = await settled(sfn, executionArn);
    expect(description.status).toBe('SUCCEEDED');
    expect(JSON.parse(description.output!).end.ended).toBe('expired');
    expect(entered(await history(executionArn))).toEqual(['WaitUntilExpiry', 'Expire']);

    // Resuming after DynamoDB Local came back: an ended execution of the name gives way; without asking, the name is taken.
    const ended = { grant: { expiresAt: new Date(Date.now() - 1000).toISOString() } };
    const again = { name: 'req-resumed', input: input('resumed', { ...ended, again: true }), startAt: 'WaitUntilExpiry' };
    await expect(sfn.startExecution(again)).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    const resumed = await sfn.startExecution({ ...again, replaceEnded: true });
    expect(resumed.executionArn).toBe(executionArn);
    expect(await settled(sfn, executionArn)).toMatchObject({ status: 'SUCCEEDED', input: again.input });

    await expect(sfn.startExecution({ name: 'req-nowhere', input: '{}', startAt: 'Nowhere' })).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  test('idempotent StartExecution, API errors, StopExecution', async () => {
    const first = await client.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'req-stopped', input: input('stopped') }),
    );
    const again = await client.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'req-stopped', input: input('stopped') }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate!.getTime()).toBe(first.startDate!.getTime());
    await expectRejects(
      client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'req-stopped', input: input('other') })),
      ExecutionAlreadyExists,
    );
    await expectRejects(
      client.send(new DescribeExecutionCommand({ executionArn: `${first.executionArn}-missing` })),
      ExecutionDoesNotExist,
    );

    const token = await waitFor(() => tokensByRequest.get('stopped'), defined, { what: 'the approval task token', intervalMs: 10 });
    await expectRejects(client.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' })), InvalidOutput);
    await expectRejects(client.send(new SendTaskSuccessCommand({ taskToken: 'unknown-token', output: '{}' })), TaskDoesNotExist);

    await client.send(new StopExecutionCommand({ executionArn: first.executionArn, error: 'Cancelled', cause: 'by the requester' }));
    const description = await client.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(description).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by the requester' });
    expect(description.stopDate).toBeInstanceOf(Date);
    await expectRejects(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })), TaskTimedOut);
    const events = await history(first.executionArn!);
    expect(types(events).slice(-2)).toEqual(['TaskStateAborted', 'ExecutionAborted']);
    expect(events.at(-1)!['executionAbortedEventDetails']).toEqual({ error: 'Cancelled', cause: 'by the requester' });
  });

  test('StopExecution during a Wait; history without execution data', async () => {
    const { executionArn } = await sfn.startExecution({
      name: 'req-waiting',
      input: input('waiting', { grant: { expiresAt: new Date(Date.now() + 3_600_000).toISOString() } }),
      startAt: 'WaitUntilExpiry',
    });
    await waitFor(async () => (types(await history(executionArn)).includes('WaitStateEntered') ? true : undefined), defined, {
      what: 'the Wait state',
      intervalMs: 10,
    });
    await sfn.stopExecution({ executionArn });
    expect((await sfn.describeExecution({ executionArn })).status).toBe('ABORTED');
    expect(types(await history(executionArn)).slice(-2)).toEqual(['WaitStateAborted', 'ExecutionAborted']);

    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));
    expect(events![0]!.executionStartedEventDetails!.input).toBeUndefined();
    const stored = (await history(executionArn))[0]!['executionStartedEventDetails'] as { input: string };
    expect(JSON.parse(stored.input).requestId).toBe('waiting'); // the stored history is untouched
  });

  test('the endpoint answers awsJson errors for other methods and operations', async () => {
    const get = await fetch(endpoint, { method: 'GET' });
    expect(get.status).toBe(405);
    const unknown = await fetch(endpoint, { method: 'POST', headers: { 'x-amz-target': 'AWSStepFunctions.CreateActivity' }, body: '{}' });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('LocalStepFunctions task bindings', () => {
  const bindings = {
    StartAt: 'Get',
    States: {
      Get: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:getItem',
        Parameters: { TableName: 'jitgate', Key: { pk: { 'S.$': '$.pk' }, sk: { S: 'REQUEST' } } },
        ResultSelector: { 'status.$': '$.Item.status.S', 'blob.$': '$.Item.blob.B' },
        ResultPath: '$.got',
        TimeoutSeconds: 5,
        Next: 'Update',
      },
      Update: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: {
          TableName: 'jitgate',
          Key: { pk: { 'S.$': '$.pk' }, sk: { S: 'REQUEST' } },
          UpdateExpression: 'SET a = :a',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':a': { B: 'AQID' } },
        },
        ResultPath: null,
        TimeoutSeconds: 5,
        Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.updateError', Next: 'Echo' }],
        Next: 'Echo',
      },
      Echo: {
        Type: 'Task',
        Resource: fn('EchoFn'),
        Parameters: { 'pk.$': '$.pk' },
        ResultPath: '$.echo',
        TimeoutSeconds: 5,
        Next: 'Flaky',
      },
      Flaky: {
        Type: 'Task',
        Resource: fn('FlakyFn'),
        TimeoutSeconds: 5,
        Retry: [{ ErrorEquals: ['Flaky.Transient'], IntervalSeconds: 1, MaxAttempts: 2 }],
        Catch: [{ ErrorEquals: ['Flaky.Permanent'], ResultPath: '$.lambdaError', Next: 'Done' }],
        Next: 'Done',
      },
      Done: { Type: 'Pass', Parameters: { 'state.$': '$$.State.Name', 'entered.$': '$$.State.EnteredTime', 'all.$': '$' }, End: true },
    },
  };

  test(
    'optimized DynamoDB (DynamoDB.<Exception>), ' + 'plain Lambda ARN resources, Retry/Catch on the thrown error ' + 'name, $$.State',
    async () => {
      const engine = new LocalStepFunctions({
        definition: bindings,
        stateMachineArn: STATE_MACHINE_ARN,
        invokeLambda,
        dynamodb: fakeDynamoDb,
        publishSns,
      });
      try {
        const { executionArn } = await engine.startExecution({ name: 'bindings', input: JSON.stringify({ pk: 'A' }) });
        const description = await settled(engine, executionArn);
        expect(description.status).toBe('SUCCEEDED');
        const output = JSON.parse(description.output!);
        expect(output.state).toBe('Done');
        expect(Date.parse(output.entered)).toBeGreaterThan(Date.now() - 5000);
        expect(output.all.got).toEqual({ status: 'active', blob: 'AQID' });
        expect(output.all.updateError.Error).toBe('DynamoDB.ConditionalCheckFailedException');
        expect(output.all.echo).toEqual({ echoed: { pk: 'A' } }); // plain ARN: the result as is
        expect(output.all.lambdaError.Error).toBe('Flaky.Permanent'); // retried once on Flaky.Transient, then caught
        expect(JSON.parse(output.all.lambdaError.Cause)).toMatchObject({ errorType: 'Flaky.Permanent', errorMessage: 'gave up' });

        const update = ddbCommands.find((c) => c.constructor.name === 'UpdateItemCommand');
        expect(update.input.ExpressionAttributeValues[':a'].B).toEqual(Buffer.from([1, 2, 3]));
        expect(ddbCommands.some((c) => c.constructor.name === 'GetItemCommand' && c.input.Key.pk.S === 'A')).toBe(true);

        const events = (await engine.getExecutionHistory({ executionArn })).events;
        expect(types(events).filter((t) => t!.startsWith('LambdaFunction'))).toEqual([
          'LambdaFunctionScheduled',
          'LambdaFunctionStarted',
          'LambdaFunctionSucceeded',
          'LambdaFunctionScheduled',
          'LambdaFunctionStarted',
          'LambdaFunctionFailed',
          'LambdaFunctionScheduled',
          'LambdaFunctionStarted',
          'LambdaFunctionFailed',
        ]);
        expect(events.filter((e) => e.type === 'TaskScheduled').map((e) => (e['taskScheduledEventDetails'] as any).resourceType)).toEqual([
          'dynamodb',
          'dynamodb',
        ]);
        // Paging as AWS does.
        const page = await engine.getExecutionHistory({ executionArn, maxResults: 5 });
        expect(page.events).toHaveLength(5);
        const rest = await engine.getExecutionHistory({ executionArn, nextToken: page.nextToken! });
        expect(page.events.length + rest.events.length).toBe(events.length);
      } finally {
        await engine.close();
      }
    },
  );

  test('an unsupported resource fails the task with States.TaskFailed', async () => {
    const engine = new LocalStepFunctions({
      definition: {
        StartAt: 'Send',
        States: {
          Send: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sqs:sendMessage',
            Parameters: { QueueUrl: 'q', MessageBody: 'x' },
            TimeoutSeconds: 5,
            End: true,
          },
        },
      },
      stateMachineArn: STATE_MACHINE_ARN,
      invokeLambda,
      dynamodb: fakeDynamoDb,
      publishSns,
      log: () => undefined,
    });
    const { executionArn } = await engine.startExecution({ name: 'unsupported' });
    const description = await settled(engine, executionArn);
    expect(description).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    expect(description.cause).toContain('sqs:sendMessage');
    await engine.close();
    await expect(engine.startExecution({ name: 'after-close' })).rejects.toBeInstanceOf(StepFunctionsError);
  });
});

describe('local/cfn.ts', () => {
  const template = {
    Resources: {
      AwaitApprovalFn1234: {
        Type: 'AWS::Lambda::Function',
        Properties: {},
        Metadata: { 'jitgate:entry': 'functions/await-approval/index.ts' },
      },
      EndRequestFn5678: { Type: 'AWS::Lambda::Function', Properties: {}, Metadata: { 'jitgate:entry': 'functions/end-request/index.ts' } },
      LogRetention: { Type: 'AWS::Lambda::Function', Properties: {} },
      Table1: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      EventsTopicAB: { Type: 'AWS::SNS::Topic', Properties: {} },
      Role9: { Type: 'AWS::IAM::Role', Properties: {} },
      Machine: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: {
          RoleArn: { 'Fn::GetAtt': ['Role9', 'Arn'] },
          DefinitionString: {
            'Fn::Join': [
              '',
              [
                '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:',
                { Ref: 'AWS::Partition' },
                ':states:::lambda:invoke","Parameters":{"FunctionName":"',
                { 'Fn::GetAtt': ['AwaitApprovalFn1234', 'Arn'] },
                '","Payload":{"table":"',
                { Ref: 'Table1' },
                '","tableArn":"',
                { 'Fn::GetAtt': ['Table1', 'Arn'] },
                '","topic":"',
                { Ref: 'EventsTopicAB' },
                '","role":"',
                { 'Fn::GetAtt': ['Role9', 'Arn'] },
                '"}},"End":true}}}',
              ],
            ],
          },
        },
      },
    },
  };

  test('stateMachineDefinition resolves the Fn::Join to local ARNs', () => {
    const definition = stateMachineDefinition(template, { tableName: 'jitgate' }) as any;
    expect(definition.StartAt).toBe('A');
    expect(definition.States.A.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(definition.States.A.Parameters).toEqual({
      FunctionName: 'arn:aws:lambda:local:000000000000:function:AwaitApprovalFn1234',
      Payload: {
        table: 'jitgate',
        tableArn: 'arn:aws:dynamodb:local:000000000000:table/jitgate',
        topic: 'arn:aws:sns:local:000000000000:EventsTopicAB',
        role: 'local-Role9',
      },
    });
    const overridden = stateMachineDefinition(template, {
      tableName: 'jitgate',
      overrides: { EventsTopicAB: 'arn:aws:sns:local:000000000000:events' },
    }) as any;
    expect(overridden.States.A.Parameters.Payload.topic).toBe('arn:aws:sns:local:000000000000:events');
  });

  test('lambdaEntries, findResources, Fn::Sub', () => {
    expect(lambdaEntries(template)).toEqual({
      AwaitApprovalFn1234: 'functions/await-approval/index.ts',
      EndRequestFn5678: 'functions/end-request/index.ts',
    });
    expect(findResources(template, 'AWS::SNS::Topic').map((r) => r.logicalId)).toEqual(['EventsTopicAB']);
    const resolver = localResolver(template, { tableName: 'jitgate' });
    expect(
      resolveIntrinsics({ 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${Table1}/${EndRequestFn5678.Arn}/${!Literal}' }, resolver),
    ).toBe('arn:aws:x:local:jitgate/arn:aws:lambda:local:000000000000:function:EndRequestFn5678/${Literal}');
    expect(resolveIntrinsics({ 'Fn::Sub': ['${A}-${Table1}', { A: { Ref: 'EventsTopicAB' } }] }, resolver)).toBe(
      'arn:aws:sns:local:000000000000:EventsTopicAB-jitgate',
    );
    expect(() => resolveIntrinsics({ Ref: 'Nope' }, resolver)).toThrow(/Nope/);
  });
});
