/**
 * Closing the request of an execution that ended abnormally, in process against
 * DynamoDB Local and the synthesized state machine: the event EventBridge (or local
 * mode) delivers at least once, late, or for a request that ended normally changes
 * nothing twice; and the local interpreter reports how its executions end.
 */
import { devPerson } from '../support/principals';
import type { Deps } from '../../shared/runtime';
import { depsOf } from '../support/in-process';
import { closeFailedExecution } from '../../shared/usecases/execution-ended';
import { createRequest } from '../../shared/usecases/requests';
import { statusChangeEvent, statusChangeRules } from '../../local/execution-events';
import { findStateMachine } from '../../local/cfn';
import { LocalStepFunctions, type ExecutionDescription } from '../../local/stepfunctions';
import { startLocal, type LocalJitgate } from '../../local/server';
import { freePort, tempDir } from '../support/local-mode';
import { sharedDynamoDb } from '../support/shared-dynamodb';
import { waitFor } from '../support/wait';

let local: LocalJitgate;
let deps: Deps;

beforeAll(async () => {
  local = await startLocal({
    port: await freePort(),
    dataDir: tempDir('jitgate-int-failed-'),
    inMemory: true,
    idp: 'keys',
    dynamodb: await sharedDynamoDb(),
  });
  deps = depsOf(local, 'api');
}, 120_000);

afterAll(async () => {
  await local?.close();
});

const person = (sub: string, claims: Record<string, unknown>) => devPerson(local.config, sub, claims);

const statusOf = async (id: string) => (await deps.store.getRequest(id))!.request.status;
const failedEvents = (id: string) => local.outbox.list().filter((m) => m.message.includes(id) && m.message.includes('request.failed'));

function eventFor(id: string, status: string, extra: Partial<ExecutionDescription> = {}) {
  return statusChangeEvent(
    {
      executionArn: local.sfn.executionArnFor(id),
      stateMachineArn: local.sfn.stateMachineArn,
      name: id,
      status: status as ExecutionDescription['status'],
      startDate: new Date(),
      stopDate: new Date(),
      input: '{}',
      inputDetails: { included: true },
      ...extra,
    },
    'us-east-1',
    '000000000000',
  );
}

test('delivered twice (at least once): closed once, audited once, told once', async () => {
  const alice = person('alice-twice', { groups: ['engineering'] });
  const { request } = await createRequest(
    deps,
    alice,
    { action: 'prod:debug', resource: 'failed/twice', durationSeconds: 60 },
    { linkBase: `${local.url}/approve/` },
  );
  await waitFor(
    () => statusOf(request.id),
    (s) => s === 'pending_approval',
  );

  const event = eventFor(request.id, 'FAILED', { error: 'States.Runtime', cause: 'An error occurred while executing the state' });
  const [first, second] = await Promise.all([closeFailedExecution(deps, event), closeFailedExecution(deps, event)]);
  expect([first.outcome, second.outcome].sort()).toEqual(['failed', 'ignored']);
  expect(await closeFailedExecution(deps, event)).toEqual({ outcome: 'ignored', reason: 'request is already failed' });

  const stored = (await deps.store.getRequest(request.id))!;
  expect(stored.request).toMatchObject({
    status: 'failed',
    failure: { executionStatus: 'FAILED', error: 'States.Runtime', cause: 'An error occurred while executing the state' },
  });
  expect(stored.tokens).toEqual({});
  const audit = await deps.store.listAudit({ requestId: request.id, limit: 50 });
  expect(audit.events.filter((e) => e.type === 'failed')).toHaveLength(1);
  expect(failedEvents(request.id)).toHaveLength(1);
  // The slot is free.
  expect(await deps.store.getGrantSlot(alice.id, 'prod:debug', 'failed/twice')).toBeUndefined();
});

test('a late event for a request that ended normally changes nothing', async () => {
  const alice = person('alice-late', { groups: ['engineering'] });
  const { request } = await createRequest(
    deps,
    alice,
    { action: 'reports:read', resource: 'reports/late', durationSeconds: 1 },
    { linkBase: `${local.url}/approve/` },
  );
  await waitFor(
    () => statusOf(request.id),
    (s) => s === 'expired',
  );
  const before = (await deps.store.getRequest(request.id))!.request;

  expect(await closeFailedExecution(deps, eventFor(request.id, 'ABORTED'))).toEqual({
    outcome: 'ignored',
    reason: 'request is already expired',
  });
  expect((await deps.store.getRequest(request.id))!.request).toEqual(before);
  expect(failedEvents(request.id)).toHaveLength(0);
});

test('events that are not an abnormal end of a request execution are ignored, not retried', async () => {
  expect(await closeFailedExecution(deps, eventFor('no-such-request', 'FAILED'))).toEqual({
    outcome: 'ignored',
    reason: 'no request no-such-request',
  });
  expect(await closeFailedExecution(deps, eventFor('../../etc', 'FAILED'))).toMatchObject({ outcome: 'ignored' });
  expect(await closeFailedExecution(deps, eventFor('x', 'SUCCEEDED'))).toEqual({
    outcome: 'ignored',
    reason: 'status SUCCEEDED needs nothing',
  });
  expect(await closeFailedExecution(deps, { source: 'aws.ec2', detail: {} })).toMatchObject({ outcome: 'ignored' });
  expect(await closeFailedExecution(deps, null)).toMatchObject({ outcome: 'ignored' });
});

test('local mode finds the rule and its target in the template', () => {
  const machine = findStateMachine(local.template);
  const rules = statusChangeRules(local.template, machine.logicalId);
  expect(rules).toHaveLength(1);
  expect(rules[0]!.statuses).toEqual(['FAILED', 'TIMED_OUT', 'ABORTED']);
  const entries = Object.entries(local.template.Resources as Record<string, any>).filter(
    ([, r]) => r.Metadata?.['jitgate:entry'] === 'functions/execution-ended/index.ts',
  );
  expect(rules[0]!.functionIds).toEqual(entries.map(([id]) => id));
});

describe('the local interpreter reports how executions end', () => {
  const definition = {
    StartAt: 'Work',
    States: {
      Work: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'arn:aws:lambda:local:000000000000:function:Broken', Payload: {} },
        Retry: [{ ErrorEquals: ['DependencyUnavailable'], IntervalSeconds: 1, MaxAttempts: 1, BackoffRate: 1 }],
        TimeoutSeconds: 30,
        End: true,
      },
    },
  };

  test('a Task that throws past its retries: FAILED with the error and cause, once; close() reports nothing', async () => {
    const ended: ExecutionDescription[] = [];
    let calls = 0;
    const sfn = new LocalStepFunctions({
      definition,
      stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:test',
      invokeLambda: async () => {
        calls++;
        const err = new Error('the database is unavailable; retry shortly');
        err.name = 'DependencyUnavailable';
        throw err;
      },
      dynamodb: { send: async () => ({}) },
      publishSns: async () => ({ MessageId: 'm' }),
      onExecutionEnded: (e) => ended.push(e),
      log: () => undefined,
    });
    await sfn.startExecution({ name: 'broken', input: '{}' });
    await sfn.waitForAll();
    expect(calls).toBe(2);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ name: 'broken', status: 'FAILED', error: 'DependencyUnavailable' });
    expect(JSON.parse(ended[0]!.cause!)).toMatchObject({
      errorType: 'DependencyUnavailable',
      errorMessage: 'the database is unavailable; retry shortly',
    });

    const event = statusChangeEvent(ended[0]!, 'us-east-1', '000000000000') as any;
    expect(event).toMatchObject({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      resources: [ended[0]!.executionArn],
    });
    expect(event.detail).toMatchObject({
      executionArn: ended[0]!.executionArn,
      name: 'broken',
      status: 'FAILED',
      error: 'DependencyUnavailable',
      output: null,
      input: '{}',
    });
    expect(typeof event.detail.startDate).toBe('number');

    // Shutting local mode down stops running executions; that is no status change to report.
    const waiting = new LocalStepFunctions({
      definition: { StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 3600, End: true } } },
      stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:test2',
      invokeLambda: async () => undefined,
      dynamodb: { send: async () => ({}) },
      publishSns: async () => ({ MessageId: 'm' }),
      onExecutionEnded: (e) => ended.push(e),
    });
    await waiting.startExecution({ name: 'waits', input: '{}' });
    await waiting.close();
    expect(ended).toHaveLength(1);
  }, 30_000);
});
