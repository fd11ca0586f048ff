/** DynamoDB Local's supervisor: a JVM that goes away unasked is started again on its port; one stopped is not. */
import type { DynamoDbLocal } from '../../../local/dynamodb-local';
import { DynamoDbSupervisor } from '../../../local/dynamodb-local/supervisor';

function fakeJvm(pid: number, port = 8000): DynamoDbLocal & { die(): void } {
  let die!: () => void;
  const exited = new Promise<void>((resolve) => (die = resolve));
  return { endpoint: `http://127.0.0.1:${port}`, port, pid, startupMs: 1, exited, die, stop: async () => die(), output: () => '' };
}

test('a JVM that dies is started again on the same port; the first start that fails is tried again', async () => {
  const first = fakeJvm(1);
  const started: number[] = [];
  const lines: string[] = [];
  let attempts = 0;
  const restarted: number[] = [];
  const supervisor = new DynamoDbSupervisor(first, {
    start: async (port) => {
      started.push(port);
      if (++attempts === 1) throw new Error('port 8000 is already in use');
      return fakeJvm(2, port);
    },
    onRestarted: async (db) => void restarted.push(db.pid),
    log: (line) => lines.push(line),
  });
  first.die();
  await new Promise((resolve) => setImmediate(resolve));
  expect(supervisor.status).toBe('restarting');
  await supervisor.whenUp();
  expect({ status: supervisor.status, pid: supervisor.dynamodb.pid, restarts: supervisor.restarts }).toEqual({
    status: 'up',
    pid: 2,
    restarts: 1,
  });
  expect(started).toEqual([8000, 8000]);
  expect(restarted).toEqual([2]);
  expect(lines.join('\n')).toMatch(/did not come back \(attempt 1\): port 8000/);
  await supervisor.stop();
});

test('a stop is not a death: nothing is started again', async () => {
  const first = fakeJvm(1);
  const start = jest.fn(async (port: number) => fakeJvm(2, port));
  const supervisor = new DynamoDbSupervisor(first, { start, onRestarted: async () => undefined, log: () => undefined });
  await supervisor.stop();
  await new Promise((resolve) => setImmediate(resolve));
  expect(start).not.toHaveBeenCalled();
  expect(supervisor.status).toBe('stopped');
});
