/**
 * A second `npm start` on a taken port says so at once, before DynamoDB Local or anything else starts;
 * a port taken later, while the parts start, fails the start without leaving them running.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../local/dynamodb-local';
import { DynamoDbSupervisor } from '../../local/dynamodb-local/supervisor';
import { LocalLambda } from '../../local/lambda/runtime';
import { assertPortFree, PortInUse } from '../../local/port-check';
import { startLocal } from '../../local/server';
import { npmStart } from '../support/local-mode';
import { sharedDynamoDb } from '../support/shared-dynamodb';

const ROOT = path.resolve(__dirname, '../..');
let taken: Server;
let port: number;
let dir: string;
const inUse = (p: number) =>
  `port ${p} is already in use (another jitgate local mode, or another program); stop it, or choose another port: PORT=${p + 1} npm start`;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'jitgate-port-'));
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
  port = (taken.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => taken.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

test('assertPortFree: a free port passes and stays free; a taken one is PortInUse naming it and PORT', async () => {
  const free = createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', () => resolve()));
  const freePort = (free.address() as { port: number }).port;
  await new Promise((resolve) => free.close(resolve));
  await expect(assertPortFree(freePort)).resolves.toBeUndefined();
  await expect(assertPortFree(freePort)).resolves.toBeUndefined();
  const err = await assertPortFree(port).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PortInUse);
  expect((err as Error).message).toBe(inUse(port));
});

test('startLocal on a taken port fails within a second, before it creates its data directory', async () => {
  const dataDir = path.join(dir, 'data');
  const t0 = Date.now();
  await expect(startLocal({ port, dataDir, inMemory: true })).rejects.toBeInstanceOf(PortInUse);
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(existsSync(dataDir)).toBe(false);
});

test('npm start on a taken port prints the message and exits 1', async () => {
  const start = npmStart();
  const env = { ...process.env, ...start.env, PORT: String(port), JITGATE_DATA_DIR: path.join(dir, 'npm') };
  const child = spawn(process.execPath, start.args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(1);
  expect(out.trim()).toBe(inUse(port));
  expect(existsSync(path.join(dir, 'npm'))).toBe(false);
}, 60_000);

test('a port taken while local mode starts: the start fails with EADDRINUSE and stops what it had started', async () => {
  const late = await freePort();
  // It hangs up on whoever connects: the containers warming up call local mode's endpoints on that port.
  const squatter = createServer((socket) => socket.destroy());
  const stops = [jest.spyOn(LocalLambda.prototype, 'close'), jest.spyOn(DynamoDbSupervisor.prototype, 'stop')];
  try {
    const starting = startLocal({
      port: late,
      dataDir: path.join(dir, 'late'),
      inMemory: true,
      idp: 'keys',
      // A table in the run's DynamoDB Local: the supervisor is stopped all the same, without a JVM started to be stopped.
      dynamodb: await sharedDynamoDb(),
      // Runs after the port check: another program takes the port while the parts start.
      alterTemplate: (template) => {
        squatter.listen(late, '127.0.0.1');
        return template;
      },
    });
    await expect(starting).rejects.toMatchObject({ code: 'EADDRINUSE' });
    for (const stop of stops) expect(stop).toHaveBeenCalledTimes(1);
  } finally {
    for (const stop of stops) stop.mockRestore();
    await new Promise((resolve) => squatter.close(resolve));
  }
}, 120_000);

test('a start that fails after it launched its own DynamoDB Local stops the JVM', async () => {
  const dbPath = path.join(dir, 'two-tables', 'dynamodb');
  const jvmsOnDbPath = () =>
    execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('DynamoDBLocal') && line.includes(dbPath));
  // A template local mode refuses (two tables), found only after the JVM was launched.
  const starting = startLocal({
    port: await freePort(),
    dataDir: path.join(dir, 'two-tables'),
    idp: 'keys',
    alterTemplate: (template) => {
      const [id, table] = Object.entries(template.Resources ?? {}).find(([, r]) => r.Type === 'AWS::DynamoDB::Table')!;
      return { ...template, Resources: { ...template.Resources, [`${id}Copy`]: table } };
    },
  });
  await expect(starting).rejects.toThrow('expected one table in the stack, found 2');
  // stop() has sent SIGTERM and waited for the exit.
  expect(jvmsOnDbPath()).toEqual([]);
}, 120_000);
