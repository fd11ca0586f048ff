/**
 * The example payments service (examples/express-app) against local mode started as
 * `npm start` does, with the demo config: `payments:approve` takes a justification, the
 * requester's TOTP code, and one approval each from security-admins and finance-approvers.
 *
 * Alice tries to approve payment 42: refused with what is missing; with a justification the
 * middleware asks jitgate for her (202); she answers MFA, bob approves through his emailed
 * link, carol through the API; the call goes through once, and the next is refused again.
 * Then `jitgate/middy` against the same jitgate, for a step-up the demo config asks for.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { JitgateClient } from 'jitgate/client';
import { requireApproval } from 'jitgate/middy';
import { paymentsApp } from '../../examples/express-app/app';
import { Client, decideByLink, freePort, startLocalMode, tempDir, type Running } from '../support/local-mode';

let local: Running;
let api: Client;
let server: Server;
let payments: string;

beforeAll(async () => {
  const dataDir = tempDir('jitgate-express-app-');
  // A generous start: on a busy shared machine local mode has taken over 90 s to come up.
  local = await startLocalMode({ port: await freePort(), dataDir, timeoutMs: 240_000 });
  api = new Client(local.url, dataDir);
  server = paymentsApp({ jitgateUrl: local.url }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  payments = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 300_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await local?.stop();
});

async function approvePayment(token: string | undefined, id: string, body?: object) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const init = { method: 'POST', headers, ...(body ? { body: JSON.stringify(body) } : {}) };
  const res = await fetch(`${payments}/payments/${id}/approve`, init);
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

test('alice approves payment 42: 403 with what is missing, 202 request, MFA, bob by link, carol by API, allowed once', async () => {
  const aliceToken = await api.token('alice');
  const alice = new JitgateClient({ baseUrl: local.url, token: () => api.token('alice') });
  const code = await api.enrolTotp(aliceToken);

  expect((await approvePayment(undefined, '42')).status).toBe(401);

  const refused = await approvePayment(aliceToken, '42');
  expect(refused.status).toBe(403);
  expect(refused.headers.get('content-type')).toBe('application/problem+json');
  expect(refused.json).toMatchObject({
    type: 'https://jitgate.dev/problems/approval-required',
    action: 'payments:approve',
    missing: ['request', 'justification', 'mfa totp', 'approval from security-admins x1', 'approval from finance-approvers x1'],
  });
  expect(refused.json.requestId).toBeUndefined();

  const requested = await approvePayment(aliceToken, '42', { justification: 'supplier invoice 881, checked by finance' });
  expect(requested.status).toBe(202);
  const id: string = requested.json.requestId;
  expect(requested.headers.get('location')).toBe(`${local.url}/v1/requests/${id}`);
  expect(requested.json).toMatchObject({ status: 'pending_mfa', waitingFor: { mfa: { method: 'totp' } } });
  const request = await alice.getRequest(id);
  const why = 'supplier invoice 881, checked by finance';
  expect(request).toMatchObject({ action: 'payments:approve', resource: 'payments/42', justification: why });

  // Pending: the same request is named, with what it still waits for; no second request.
  const pending = await approvePayment(aliceToken, '42', { justification: why });
  expect(pending.status).toBe(403);
  const approvals = ['approval from security-admins x1', 'approval from finance-approvers x1'];
  expect(pending.json).toMatchObject({ requestId: id, missing: ['mfa totp', ...approvals] });
  expect(pending.headers.get('location')).toBe(`${local.url}/v1/requests/${id}`);

  await alice.answerMfa(id, code());
  await alice.waitFor(id, 'pending_approval', { timeoutMs: 30_000 });
  const bobLink = await api.linkFor('bob@example.com', id);
  expect((await decideByLink(bobLink, 'approve', 'invoice matches')).status).toBe(200);
  const halfway = await approvePayment(aliceToken, '42');
  expect(halfway.json).toMatchObject({ requestId: id, missing: ['approval from finance-approvers x1'] });

  const carol = new JitgateClient({ baseUrl: local.url, token: () => api.token('carol') });
  await carol.decide(id, 'approve', 'budget ok');
  await alice.waitFor(id, 'active', { timeoutMs: 30_000 });

  const approved = await approvePayment(aliceToken, '42');
  expect(approved.status).toBe(200);
  expect(approved.json).toEqual({ id: '42', amount: 125_000, currency: 'EUR', status: 'approved', grant: id });
  expect((await alice.getRequest(id)).status).toBe('consumed');

  // The one-time grant is used: the next call needs a new request.
  const again = await approvePayment(aliceToken, '42');
  expect(again.status).toBe(403);
  expect(again.json.missing).toEqual(expect.arrayContaining(['request', 'approval from finance-approvers x1']));
  expect(again.json.requestId).toBeUndefined();
  expect(await api.auditTypes(id)).toEqual(expect.arrayContaining(['created', 'mfa_passed', 'approved', 'activated', 'consumed']));
}, 180_000);

test('jitgate/middy against local mode: prod:deploy asks for a step-up (401 with the challenge), then for a request', async () => {
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(requireApproval<APIGatewayProxyEvent>({ url: local.url, action: 'prod:deploy', resource: () => 'service/web' }))
    .handler(async () => ({ statusCode: 200, body: 'deployed' }));
  const call = async (user: string) => {
    const event = { headers: { Authorization: `Bearer ${await api.token(user)}` } } as unknown as APIGatewayProxyEvent;
    return handler(event, {} as Context);
  };
  const alice = await call('alice');
  expect(alice.statusCode).toBe(401);
  expect(alice.headers?.['www-authenticate']).toMatch(/^Bearer error="insufficient_user_authentication".*max_age=900/);
  expect(JSON.parse(alice.body)).toMatchObject({ type: 'https://jitgate.dev/problems/insufficient-user-authentication' });

  const bob = await call('bob');
  expect(bob.statusCode).toBe(401);
  const stepped = await handler(
    {
      headers: { authorization: `Bearer ${await api.token('bob', { amr: ['mfa'] })}` },
    } as unknown as APIGatewayProxyEvent,
    {} as Context,
  );
  expect(stepped.statusCode).toBe(403);
  expect(JSON.parse(stepped.body)).toMatchObject({
    type: 'https://jitgate.dev/problems/approval-required',
    missing: ['request', 'mfa step-up (amr mfa, signed in within 900 s)', 'approval from security-admins x1'],
  });
}, 60_000);
