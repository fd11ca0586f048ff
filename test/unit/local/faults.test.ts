/** The faults a test arms in local mode: which calls they hit, how many, and how each service answers them. */
import { LocalFaults } from '../../../local/faults';
import { serviceError } from '../../../local/faults/inject';

test('a fault hits the next matching calls, as many as it says, then is gone', () => {
  const faults = new LocalFaults();
  faults.inject({ service: 'dynamodb', operation: 'TransactWriteItems', kind: 'throttle', times: 2, caller: 'stateMachine' });
  expect(faults.take('dynamodb', 'TransactWriteItems', 'function')).toBeUndefined();
  expect(faults.take('dynamodb', 'GetItem', 'stateMachine')).toBeUndefined();
  expect(faults.take('dynamodb', 'TransactWriteItems', 'stateMachine')).toMatchObject({ kind: 'throttle' });
  expect(faults.pending()).toEqual([expect.objectContaining({ hits: 1, times: 2 })]);
  expect(faults.take('dynamodb', 'TransactWriteItems', 'stateMachine')).toMatchObject({ kind: 'throttle' });
  expect(faults.take('dynamodb', 'TransactWriteItems', 'stateMachine')).toBeUndefined();
  expect(faults.pending()).toEqual([]);
  expect(faults.hits()).toHaveLength(2);
  faults.clear();
  expect(faults.hits()).toEqual([]);
});

test('faults that cannot happen are refused when armed, naming what can', () => {
  const faults = new LocalFaults();
  expect(() => faults.inject({ service: 'sns', operation: 'Publish', kind: 'conflict' })).toThrow(/throttle, unavailable, timeout, crash/);
  expect(() => faults.inject({ service: 'lambda', operation: 'api', kind: 'throttle' })).toThrow(/crash/);
  expect(() => faults.inject({ service: 'dynamodb', operation: 'GetItem', kind: 'throttle', times: 0 })).toThrow(/times/);
  expect(() => faults.inject({ service: 'dynamodb', operation: 'GetItem', kind: 'timeout', caller: 'stateMachine' })).toThrow(
    /only the functions' calls/,
  );
  // A timeout or a crash hangs or kills a function's call; the state machine's calls pass.
  faults.inject({ service: 'dynamodb', operation: 'GetItem', kind: 'timeout' });
  expect(faults.take('dynamodb', 'GetItem', 'stateMachine')).toBeUndefined();
  expect(faults.take('dynamodb', 'GetItem', 'function')).toMatchObject({ kind: 'timeout' });
});

test("each service's own error: DynamoDB's transaction conflict names one reason per item", () => {
  const fault = (kind: 'throttle' | 'unavailable' | 'conflict', error?: string) => ({
    service: 'dynamodb' as const,
    operation: 'TransactWriteItems',
    kind,
    times: 1,
    hits: 1,
    ...(error ? { error } : {}),
  });
  const input = { TransactItems: [{}, {}, {}] };
  expect(serviceError('dynamodb', 'TransactWriteItems', fault('conflict'), input)).toMatchObject({
    status: 400,
    name: 'TransactionCanceledException',
    cancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }],
  });
  expect(serviceError('dynamodb', 'UpdateItem', fault('conflict'), {})).toMatchObject({ name: 'TransactionConflictException' });
  expect(serviceError('dynamodb', 'GetItem', fault('throttle'), {})).toMatchObject({
    status: 400,
    name: 'ProvisionedThroughputExceededException',
  });
  expect(serviceError('dynamodb', 'GetItem', fault('throttle', 'ThrottlingException'), {})).toMatchObject({ name: 'ThrottlingException' });
  expect(serviceError('sfn', 'StartExecution', { ...fault('unavailable'), service: 'sfn' }, {})).toMatchObject({
    status: 503,
    name: 'ServiceUnavailable',
  });
  expect(serviceError('sns', 'Publish', { ...fault('throttle'), service: 'sns' }, {})).toMatchObject({ status: 400, name: 'Throttled' });
});
