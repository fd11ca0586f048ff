/**
 * Finding 8, local mode's backing services: each attack replayed over HTTP against a
 * running local mode. A page or a host that is not local mode must not be able to
 * approve a request (SendTaskSuccess with its own expiresAt), read task tokens
 * (GetExecutionHistory), read the outbox through DNS rebinding, or write the table
 * (a grant slot is an authorization).
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import os from 'node:os';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { localDynamoDbClient } from '../../local/dynamodb-local';
import { startLocal, STATE_MACHINE_ARN, TABLE_NAME, type LocalJitgate } from '../../local/server';
import { devPerson } from '../support/principals';
import { depsOf } from '../support/in-process';
import { createRequest } from '../../shared/usecases/requests';
import { freePort, tempDir } from '../support/local-mode';
import { waitFor } from '../support/wait';

let local: LocalJitgate;

beforeAll(async () => {
  local = await startLocal({ port: await freePort(), dataDir: tempDir('jitgate-exposure-'), inMemory: true, idp: 'keys' });
}, 180_000);

afterAll(async () => {
  await local?.close();
});

/** A raw HTTP call, Host header and all (what a rebinding page or another process sends). */
function raw(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const sfnCall = (operation: string, input: object, headers: Record<string, string> = {}) =>
  raw(local.port, '/dev/aws/sfn/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${operation}`, ...headers },
    body: JSON.stringify(input),
  });

async function pendingRequest(sub: string): Promise<{ id: string; token: string }> {
  const deps = depsOf(local, 'api');
  const alice = devPerson(local.config, sub, { groups: ['engineering'] });
  const { request } = await createRequest(
    deps,
    alice,
    { action: 'prod:debug', resource: `exposure/${sub}` },
    { linkBase: `${local.url}/approve/` },
  );
  const what = 'the request to park its approval token';
  const token = await waitFor(
    async () => (await deps.store.getRequest(request.id))?.tokens.approvalTaskToken,
    (t) => !!t,
    { timeoutMs: 20_000, intervalMs: 100, what },
  );
  return { id: request.id, token: token! };
}

test('an unsigned SendTaskSuccess with a real token and a far expiresAt is refused, and the request stays pending', async () => {
  const { id, token } = await pendingRequest('alice-sts');
  const forged = { activatedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00.000Z', expiringAt: '2098-12-31T00:00:00.000Z' };
  const res = await sfnCall('SendTaskSuccess', { taskToken: token, output: JSON.stringify(forged) });
  expect(res.status).toBe(400);
  expect(JSON.parse(res.text).__type).toMatch(/MissingAuthenticationTokenException$/);
  // A made-up key is no better than none.
  const foreign = await sfnCall(
    'SendTaskSuccess',
    { taskToken: token, output: JSON.stringify(forged) },
    { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAEVIL/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=x' },
  );
  expect(JSON.parse(foreign.text).__type).toMatch(/UnrecognizedClientException$/);
  const execution = await local.sfn.describeExecution({
    executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${id}`,
  });
  expect(execution.status).toBe('RUNNING');
  expect((await depsOf(local, 'api').store.getRequest(id))?.request.status).toBe('pending_approval');
});

test('an unsigned GetExecutionHistory is refused and shows no task token', async () => {
  const { id, token } = await pendingRequest('alice-history');
  const res = await sfnCall('GetExecutionHistory', { executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${id}` });
  expect(res.status).toBe(400);
  expect(JSON.parse(res.text).__type).toMatch(/MissingAuthenticationTokenException$/);
  expect(res.text).not.toContain(token);
});

test('DNS rebinding: /dev/outbox and the AWS endpoints answer only a loopback Host', async () => {
  const rebound = await raw(local.port, '/dev/outbox', { headers: { host: `evil.example:${local.port}` } });
  expect(rebound.status).toBe(421);
  expect(JSON.parse(rebound.text)).toMatchObject({ status: 421, title: 'Misdirected request' });
  expect(
    (await raw(local.port, '/dev/aws/sfn/', { method: 'POST', headers: { host: `evil.example:${local.port}` }, body: '{}' })).status,
  ).toBe(421);
  // The right port on another name is still another name.
  expect((await raw(local.port, '/dev/outbox', { headers: { host: 'localhost' } })).status).toBe(421);
  for (const host of [`127.0.0.1:${local.port}`, `localhost:${local.port}`, `[::1]:${local.port}`]) {
    expect((await raw(local.port, '/dev/outbox', { headers: { host } })).status).toBe(200);
  }
});

test('an unsigned PutItem of a grant slot through local mode is refused and writes nothing', async () => {
  const key = { pk: { S: 'GRANT#attacker#prod:debug#*' }, sk: { S: 'GRANT' } };
  const res = await raw(local.port, '/dev/aws/dynamodb/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' },
    body: JSON.stringify({
      TableName: TABLE_NAME,
      Item: { ...key, status: { S: 'active' }, expiresAt: { S: '2099-01-01T00:00:00.000Z' } },
    }),
  });
  expect(res.status).toBe(400);
  expect(JSON.parse(res.text).__type).toMatch(/MissingAuthenticationTokenException$/);
  const direct = localDynamoDbClient(local.dynamodb.endpoint);
  expect((await direct.send(new GetItemCommand({ TableName: TABLE_NAME, Key: key, ConsistentRead: true }))).Item).toBeUndefined();
  direct.destroy();
});

test('an oversized call to a local AWS endpoint gets a 413 problem, not a 500', async () => {
  const res = await raw(local.port, '/dev/aws/sfn/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: 'x'.repeat(1024 * 1024 + 1),
  });
  expect(res.status).toBe(413);
  expect(JSON.parse(res.text)).toMatchObject({ status: 413, title: 'Payload too large' });
});

test('DynamoDB Local listens on loopback only, and refuses foreign Hosts and browsers there', async () => {
  const port = local.dynamodb.port;
  const outside = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && !a.internal && a.family === 'IPv4')?.address;
  if (outside) {
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const socket = connect({ host: outside, port }, () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.on('error', resolve);
    });
    expect(error?.code).toBe('ECONNREFUSED');
  }
  const listTables = {
    method: 'POST',
    body: '{}',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      authorization: 'AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
    },
  };
  expect((await raw(port, '/', listTables)).status).toBe(200);
  expect((await raw(port, '/', { ...listTables, headers: { ...listTables.headers, host: `evil.example:${port}` } })).status).toBe(421);
  expect((await raw(port, '/', { ...listTables, headers: { ...listTables.headers, origin: 'https://evil.example' } })).status).toBe(403);
});
