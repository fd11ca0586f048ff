/**
 * Local Waits and task timeouts past Node's timer limit (2^31-1 ms, about 24.8 days),
 * with injected and fake time: no real waiting.
 */
import { installLongTimers, MAX_TIMER_MS, type TimerHost } from '../../../local/long-timers';
import { LocalStepFunctions } from '../../../local/stepfunctions';

const DAY_MS = 86_400_000;

/** A clock with Node's timer semantics: a delay above MAX_TIMER_MS fires after 1 ms. */
function nodeLikeHost() {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const host: TimerHost = {
    Date: { now: () => now },
    setTimeout: (fn: () => void, ms = 0) => {
      const id = nextId++;
      timers.set(id, { at: now + (ms > MAX_TIMER_MS ? 1 : Math.max(1, ms)), fn });
      return id;
    },
    clearTimeout: (id: number) => void timers.delete(id),
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = end;
  };
  return { host, advance, pending: () => timers.size };
}

describe('installLongTimers', () => {
  test('without it, a 30-day timer fires after 1 ms (the Node behaviour being fixed)', () => {
    const { host, advance } = nodeLikeHost();
    const fired: number[] = [];
    host.setTimeout(() => fired.push(host.Date.now()), 30 * DAY_MS);
    advance(1);
    expect(fired).toEqual([1]);
  });

  test('with it, a 30-day timer fires at 30 days, not before; short timers are untouched', () => {
    const { host, advance } = nodeLikeHost();
    installLongTimers(host);
    const fired: string[] = [];
    host.setTimeout(() => fired.push(`long at ${host.Date.now() / DAY_MS} d`), 30 * DAY_MS);
    host.setTimeout(() => fired.push(`short at ${host.Date.now()} ms`), 500);
    advance(1000);
    expect(fired).toEqual(['short at 500 ms']);
    advance(30 * DAY_MS - 1001);
    expect(fired).toHaveLength(1);
    advance(1);
    expect(fired).toEqual(['short at 500 ms', 'long at 30 d']);
  });

  test('a year-long timer can be cleared mid-chain; installing twice changes nothing', () => {
    const { host, advance, pending } = nodeLikeHost();
    installLongTimers(host);
    const setOnce = host.setTimeout;
    installLongTimers(host);
    expect(host.setTimeout).toBe(setOnce);
    let fired = false;
    const handle = host.setTimeout(() => (fired = true), 365 * DAY_MS);
    advance(100 * DAY_MS);
    host.clearTimeout(handle);
    expect(pending()).toBe(0);
    advance(300 * DAY_MS);
    expect(fired).toBe(false);
  });
});

describe('local Step Functions with waits and timeouts beyond 24.8 days (fake time)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    installLongTimers(); // over the fake timers, as local mode does over Node's
  });
  afterEach(() => jest.useRealTimers());

  const machine = (definition: object) =>
    new LocalStepFunctions({
      definition,
      stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:long',
      invokeLambda: async () => undefined,
      dynamodb: { send: async () => ({}) },
      publishSns: async () => ({ MessageId: 'm' }),
      log: () => undefined,
    });

  test('a 30-day Wait (TimestampPath, as WaitUntilExpiry) ends at 30 days', async () => {
    const sfn = machine({
      StartAt: 'WaitUntilExpiry',
      States: { WaitUntilExpiry: { Type: 'Wait', TimestampPath: '$.expiresAt', End: true } },
    });
    const { executionArn } = await sfn.startExecution({ name: 'wait', input: JSON.stringify({ expiresAt: '2026-01-31T00:00:00Z' }) });
    await jest.advanceTimersByTimeAsync(29 * DAY_MS);
    expect((await sfn.describeExecution({ executionArn })).status).toBe('RUNNING');
    await jest.advanceTimersByTimeAsync(DAY_MS + 1000);
    expect((await sfn.describeExecution({ executionArn })).status).toBe('SUCCEEDED');
  });

  test('a 40-day task timeout (TimeoutSecondsPath, as AwaitApproval) times out at 40 days', async () => {
    const sfn = machine({
      StartAt: 'AwaitApproval',
      States: {
        AwaitApproval: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'arn:aws:lambda:local:000000000000:function:Park', Payload: { 'taskToken.$': '$$.Task.Token' } },
          TimeoutSecondsPath: '$.approvalTimeoutSeconds',
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'TimedOut' }],
          End: true,
        },
        TimedOut: { Type: 'Fail', Error: 'TimedOut' },
      },
    });
    const { executionArn } = await sfn.startExecution({ name: 'timeout', input: JSON.stringify({ approvalTimeoutSeconds: 40 * 86_400 }) });
    await jest.advanceTimersByTimeAsync(39 * DAY_MS);
    expect((await sfn.describeExecution({ executionArn })).status).toBe('RUNNING');
    await jest.advanceTimersByTimeAsync(DAY_MS + 1000);
    expect(await sfn.describeExecution({ executionArn })).toMatchObject({ status: 'FAILED', error: 'TimedOut' });
  });
});
