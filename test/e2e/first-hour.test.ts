/**
 * Issue 13, "the first hour": the answers that misled a new user, over HTTP against
 * local mode started as `npm start` does. Each says what was wrong and how to fix it.
 */
import { Client, freePort, startLocalMode, tempDir, type Running } from '../support/local-mode';

let local: Running;
let client: Client;

beforeAll(async () => {
  const dataDir = tempDir('jitgate-first-hour-');
  // The answers it checks come from local mode alone, so its table is in the run's DynamoDB Local (a JVM of
  // its own costs ~4.4 s of CPU to start); restart.test.ts runs local mode with its own, as `npm start` does.
  local = await startLocalMode({ port: await freePort(), dataDir });
  client = new Client(local.url, dataDir);
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

const port = () => new URL(local.url).port;

test('a token minted for local mode on another port: the 401 names its iss, the trusted issuer and PORT', async () => {
  const other = Number(port()) === 65535 ? 65534 : Number(port()) + 1;
  const token = await client.token('alice', { extraClaims: { iss: `http://127.0.0.1:${other}/dev/idp` } });
  const res = await client.call('POST', '/v1/authorize', { token, body: { action: 'prod:debug' } });
  expect(res.status).toBe(401);
  expect(res.json.detail).toContain(`it has iss "http://127.0.0.1:${other}/dev/idp"; jitgate trusts "${local.url}/dev/idp"`);
  expect(res.json.detail).toContain(
    `minted for local mode on port ${other}, and this one runs on port ${port()}: ` +
      `mint a new one with PORT=${port()} npx jitgate token <user>`,
  );
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="the token's issuer is not/);
});

test('an expired token of alice: the 401 says to run npx jitgate token alice', async () => {
  const now = Math.floor(Date.now() / 1000);
  const token = await client.token('alice', { extraClaims: { iat: now - 7200, exp: now - 3600 } });
  const res = await client.call('POST', '/v1/authorize', { token, body: { action: 'prod:debug' } });
  expect(res.status).toBe(401);
  expect(res.json.detail).toMatch(/expired.*; get a new one with npx jitgate token alice, or sign in again at local mode's \/dev\/idp$/);
});

test('alice asks for "projects:delet": the 403 suggests "projects:delete"', async () => {
  const token = await client.token('alice');
  const body = { action: 'projects:delet', resource: 'projects/42', justification: 'cleanup of the old demo project' };
  const res = await client.call('POST', '/v1/requests', { token, body });
  expect(res.status).toBe(403);
  expect(res.json.detail).toContain('no policy covers "projects:delet" on resource "projects/42" (did you mean "projects:delete"?)');
  const authorize = await client.call('POST', '/v1/authorize', { token, body: { action: 'projects:delet', resource: 'projects/42' } });
  expect(authorize.json).toMatchObject({ allowed: false, reason: expect.stringContaining('(did you mean "projects:delete"?)') });
});

test('alice sends "duration": the 400 suggests "durationSeconds"', async () => {
  const token = await client.token('alice');
  const res = await client.call('POST', '/v1/requests', { token, body: { action: 'prod:debug', resource: 'cluster/eu-1', duration: 600 } });
  expect(res.status).toBe(400);
  expect(res.json.errors).toEqual([{ path: 'body', message: 'Unrecognized key: "duration" (did you mean "durationSeconds"?)' }]);
});

test('alice asks for prod:debug: /dev/outbox lists its messages under the request, its action and alice', async () => {
  const token = await client.token('alice');
  const body = { action: 'prod:debug', resource: 'cluster/eu-1', durationSeconds: 600 };
  const created = await client.call('POST', '/v1/requests', { token, body });
  expect(created.status).toBe(201);
  const id: string = created.json.id;
  type Group = { requestId?: string; action?: string; requester?: string; heading: string; messageIds: string[] };
  let group: Group | undefined;
  for (const t0 = Date.now(); Date.now() - t0 < 20_000; await new Promise((r) => setTimeout(r, 250))) {
    const outbox = await client.call('GET', '/dev/outbox');
    group = (outbox.json.requests as Group[]).find((g) => g.requestId === id);
    if (group?.messageIds.length && group.action) break;
  }
  expect(group).toMatchObject({ requestId: id, action: 'prod:debug' });
  expect(group!.heading).toMatch(new RegExp(`^Request ${id} · prod:debug · by \\S`));
  const page = (await client.call('GET', '/dev/outbox.html')).text;
  expect(page).toContain(`<h2>Request ${id} · prod:debug · by `);
}, 30_000);
