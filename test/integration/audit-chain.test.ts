/**
 * The tamper-evident trail against the real thing: DynamoDB Local and the synthesized
 * state machine. Items are edited, deleted
 * and reordered directly in the table; `audit verify` (the use case, and the CLI over
 * HTTP) names the first broken event each time. And Activate survives a lost response
 * after its transaction committed.
 */
import path from 'node:path';
import type { Context } from 'aws-lambda';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { devPerson } from '../support/principals';
import { keys } from '../../shared/adapters/keys';
import { grantTimes } from '../../shared/domain/grant';
import { withState } from '../../shared/domain/request';
import type { Deps } from '../../shared/runtime';
import { depsOf } from '../support/in-process';
import { verifyAudit } from '../../shared/usecases/audit';
import { decide } from '../../shared/usecases/decisions';
import { revokeGrant } from '../../shared/usecases/cancel-revoke';
import { createRequest } from '../../shared/usecases/requests';
import { findStateMachine, lambdaEntries } from '../../local/cfn';
import { main } from '../../cli/cli';
import { localDynamoDbClient } from '../../local/dynamodb-local';
import { startLocal, type LocalJitgate } from '../../local/server';
import { LocalStepFunctions } from '../../local/stepfunctions';
import { STATE } from '../../infra/states';
import { freePort, tempDir } from '../support/local-mode';
import { sharedDynamoDb } from '../support/shared-dynamodb';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '../..');
let local: LocalJitgate;
let deps: Deps;
let doc: DynamoDBDocumentClient;
let dataDir: string;
const TABLE = () => process.env.TABLE_NAME!;

beforeAll(async () => {
  dataDir = tempDir('jitgate-audit-');
  local = await startLocal({ port: await freePort(), dataDir, inMemory: true, idp: 'keys', dynamodb: await sharedDynamoDb() });
  deps = depsOf(local, 'api');
  doc = DynamoDBDocumentClient.from(localDynamoDbClient(local.dynamodb.endpoint));
}, 120_000);

afterAll(async () => {
  await local?.close();
});

const person = (sub: string, groups: string[]) => devPerson(local.config, sub, { groups });

async function eventItems(requestId: string): Promise<Record<string, unknown>[]> {
  const out = await doc.send(
    new QueryCommand({
      TableName: TABLE(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :evt)',
      ExpressionAttributeValues: { ':pk': `REQ#${requestId}`, ':evt': 'EVT#' },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

async function put(items: Record<string, unknown>[]): Promise<void> {
  for (const Item of items) await doc.send(new PutCommand({ TableName: TABLE(), Item }));
}

async function remove(items: Record<string, unknown>[]): Promise<void> {
  for (const i of items) await doc.send(new DeleteCommand({ TableName: TABLE(), Key: { pk: i.pk, sk: i.sk } }));
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['audit', ...args], {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    cwd: ROOT,
    env: { PORT: String(local.port), JITGATE_DATA_DIR: dataDir },
  });
  return { code, stdout, stderr };
}

test('edited, deleted, reordered and inserted events are each named by audit verify; restoring them makes the trail whole', async () => {
  const alice = person('alice-audit', ['engineering']);
  const bob = person('bob-audit', ['security-admins']);
  const admin = person('ada-audit', ['platform-admins', ...local.config.adminGroups.map((g) => (typeof g === 'string' ? g : g.group))]);
  const { request } = await createRequest(
    deps,
    alice,
    { action: 'prod:debug', resource: 'audit/1', durationSeconds: 300 },
    { linkBase: `${local.url}/approve/` },
  );
  await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.tokens.approvalTaskToken !== undefined,
  );
  await decide(deps, { person: bob, groups: bob.groups, via: 'api' }, request.id, 'approve', 'looks fine');
  await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.request.status === 'active',
  );
  await revokeGrant(deps, admin, request.id, 'incident over');
  // A policy denial belongs to no request: it goes on the journal.
  await expect(createRequest(deps, alice, { action: 'nothing:matches', resource: 'x' }, { linkBase: '' })).rejects.toMatchObject({
    status: 403,
  });

  const items = await eventItems(request.id);
  expect(items.map((i) => i.type)).toEqual(['created', 'approvers_notified', 'approved', 'activated', 'revoked']);
  // The state machine hashed `activated` in ASL; the TypeScript verifier agrees.
  expect(await verifyAudit(deps, {})).toEqual({ ok: true, checked: expect.any(Number), chains: expect.any(Number) });
  expect(items[4]).toMatchObject({ actor: admin.id, issuer: admin.issuer, reason: 'incident over' });
  expect((await cli('verify', '--as', 'audrey')).code).toBe(0);

  const [, notified, approved, activated] = items as [
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  const broken = async () => (await verifyAudit(deps, {})).firstBroken;

  await doc.send(
    new UpdateCommand({
      TableName: TABLE(),
      Key: { pk: approved.pk, sk: approved.sk },
      UpdateExpression: 'SET reason = :r',
      ExpressionAttributeValues: { ':r': 'nothing to see' },
    }),
  );
  expect(await broken()).toEqual({ id: `${request.id}/3`, requestId: request.id, reason: 'edited', detail: expect.any(String) });
  const shown = await cli('verify', '--as', 'audrey');
  expect(shown.code).toBe(1);
  expect(JSON.parse(shown.stdout).firstBroken).toMatchObject({ id: `${request.id}/3`, reason: 'edited' });
  await put([approved]);

  await remove([notified]);
  expect(await broken()).toMatchObject({ id: `${request.id}/3`, reason: 'deleted' });
  await put([notified]);

  // Reordered: the items at places 2 and 3 swap sort keys.
  await put([
    { ...approved, sk: notified.sk },
    { ...notified, sk: approved.sk },
  ]);
  expect(await broken()).toMatchObject({ id: `${request.id}/3`, reason: 'reordered' });
  await put([notified, approved]);

  // Inserted: a copy of an event at a new place, after the last.
  await put([{ ...activated, sk: 'EVT#0000000099' }]);
  expect(await broken()).toMatchObject({ id: `${request.id}/4`, reason: 'inserted' });
  await remove([{ ...activated, sk: 'EVT#0000000099' }]);

  // Every event of the request gone: its item still records five.
  await remove(items);
  expect(await broken()).toMatchObject({ id: `${request.id}/1`, reason: 'deleted' });
  await put(items);
  expect(await verifyAudit(deps, {})).toMatchObject({ ok: true });

  // The policy denial, on the journal.
  const journal = (
    await doc.send(
      new QueryCommand({
        TableName: TABLE(),
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :a',
        ExpressionAttributeValues: { ':a': `ACTOR#${alice.id}` },
      }),
    )
  ).Items!.filter((i) => i.chain === 'journal');
  expect(journal).toHaveLength(1);
  await remove(journal);
  expect(await broken()).toMatchObject({ id: 'journal/1', reason: 'deleted' });
  await put(journal);
  expect(await verifyAudit(deps, {})).toMatchObject({ ok: true });

  // Offline: an export verifies without the server; an edited copy does not.
  const file = path.join(dataDir, 'trail.jsonl');
  expect((await cli('export', '--as', 'audrey', '--out', file)).code).toBe(0);
  expect((await cli('verify', '--file', file)).code).toBe(0);
  const fs = await import('node:fs');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('looks fine', 'looks great'));
  const offline = await cli('verify', '--file', file);
  expect(offline.code).toBe(1);
  expect(JSON.parse(offline.stdout).firstBroken).toMatchObject({ id: `${request.id}/3`, reason: 'edited' });
  expect((await cli('verify', '--file', path.join(dataDir, 'missing.jsonl'))).code).toBe(2);
  expect((await cli('verify', '--as', 'alice')).stderr).toMatch(/403.*auditor/);
}, 60_000);

test('Activate: a response lost after the commit is retried safely; the grant still expires on time', async () => {
  const alice = person('alice-retry', ['engineering']);
  const { request } = await createRequest(
    deps,
    alice,
    { action: 'prod:debug', resource: 'retry/1', durationSeconds: 300 },
    { linkBase: `${local.url}/approve/` },
  );
  const parked = await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.tokens.approvalTaskToken !== undefined,
  );
  // As the deciding approval would: the grant's times go on the request (2 s long), then Activate runs.
  const times = grantTimes(2, new Date());
  await deps.store.saveRequest(parked!, withState(parked!.request, parked!.request, { grantTimes: times }), []);

  let activations = 0;
  const entries = lambdaEntries(local.template);
  const engine = new LocalStepFunctions({
    definition: findStateMachine(local.template, { tableName: TABLE() }).definition,
    stateMachineArn: 'arn:aws:states:local:000000000000:stateMachine:flaky',
    invokeLambda: async (id, payload) => {
      const out = await (await import(path.resolve(ROOT, entries[id]!))).handler(payload, {} as Context);
      // Committed, but the state machine never hears: what a timeout or a 500 after the commit looks like.
      if (entries[id] === 'functions/activate/index.ts' && ++activations === 1)
        throw Object.assign(new Error('injected after commit'), { name: 'Lambda.ServiceException' });
      return out;
    },
    dynamodb: localDynamoDbClient(local.dynamodb.endpoint),
    publishSns: async () => ({ MessageId: 'm' }),
    log: () => undefined,
  });
  const input = {
    requestId: request.id,
    mfa: false,
    approval: false,
    mfaTimeoutSeconds: 60,
    approvalTimeoutSeconds: 60,
    linkBase: '',
    requester: alice.id,
  };
  const { executionArn } = await engine.startExecution({ name: request.id, input: JSON.stringify(input), startAt: STATE.activate });
  const done = await waitFor(
    () => engine.describeExecution({ executionArn }),
    (d) => d.status !== 'RUNNING',
    { timeoutMs: 20_000 },
  );
  expect(done.status).toBe('SUCCEEDED');
  expect(activations).toBeGreaterThanOrEqual(2);
  const history = await engine.getExecutionHistory({ executionArn });
  const entered = history.events
    .filter((e) => e.type.endsWith('StateEntered'))
    .map((e) => (e as { stateEnteredEventDetails?: { name: string } }).stateEnteredEventDetails?.name);
  expect(entered).toContain('Expire');
  expect(entered).not.toContain('Closed');
  // The commit whose response was lost announced the grant; the retry does not again.
  const announced = local.outbox.list().filter((m) => m.message.includes(request.id) && m.message.includes('"grant.activated"'));
  expect(announced).toHaveLength(1);
  const ended = await deps.store.getRequest(request.id);
  expect(ended?.request.status).toBe('expired');
  expect((await eventItems(request.id)).filter((e) => e.type === 'activated')).toHaveLength(1);
  expect(await verifyAudit(deps, {})).toMatchObject({ ok: true });
  await engine.stopExecution?.({ executionArn }).catch(() => undefined);
}, 60_000);

test('the audit gaps: refused decisions, authorize denials, forged slots, first use of a window grant, step-up failures', async () => {
  const alice = person('alice-gaps', ['engineering']);
  const carol = person('carol-gaps', ['security-admins']);
  const dave = person('dave-gaps', ['engineering']);
  const types = async (id: string) => (await eventItems(id)).map((e) => e.type);

  // A window grant: the first use is recorded, later ones are not.
  const { request: reports } = await createRequest(deps, alice, { action: 'reports:read', resource: 'q3' }, { linkBase: '' });
  await waitFor(
    () => deps.store.getRequest(reports.id),
    (s) => s?.request.status === 'active',
  );
  const { authorize } = await import('../../shared/usecases/authorize');
  for (let i = 0; i < 3; i++)
    expect(await authorize(deps, alice, { action: 'reports:read', resource: 'q3' })).toMatchObject({ allowed: true });
  expect((await types(reports.id)).filter((t) => t === 'grant_used')).toHaveLength(1);

  // Approving your own request is refused, and recorded; so is authorize while the request waits.
  const { request: pending } = await createRequest(
    deps,
    carol,
    { action: 'prod:debug', resource: 'gaps/1' },
    { linkBase: `${local.url}/approve/` },
  );
  await expect(decide(deps, { person: carol, groups: carol.groups, via: 'api' }, pending.id, 'approve', undefined)).rejects.toMatchObject({
    status: 403,
  });
  expect(await authorize(deps, carol, { action: 'prod:debug', resource: 'gaps/1' })).toMatchObject({
    allowed: false,
    pendingRequestId: pending.id,
  });
  const refused = (await eventItems(pending.id)).filter((e) => e.type === 'decision_refused' || e.type === 'authorize_denied');
  expect(refused).toEqual([
    expect.objectContaining({
      type: 'decision_refused',
      actor: carol.id,
      issuer: carol.issuer,
      details: expect.objectContaining({ refusal: 'SelfApproval' }),
    }),
    expect.objectContaining({ type: 'authorize_denied', actor: carol.id }),
  ]);

  // A slot item nobody's Activate wrote, pointing at a request that is not dave's nor active: refused and recorded.
  await put([
    {
      ...keys.grantSlot(dave.id, 'prod:debug', 'forged'),
      requestId: pending.id,
      status: 'active',
      mode: 'window',
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    },
  ]);
  expect(await authorize(deps, dave, { action: 'prod:debug', resource: 'forged' })).toMatchObject({
    allowed: false,
    reason: expect.stringMatching(/does not match/),
  });
  expect(await types(pending.id)).toContain('grant_refused');

  // A token whose sign-in is not strong enough for a step-up policy: 401, recorded on the journal.
  await expect(authorize(deps, alice, { action: 'prod:deploy' })).rejects.toMatchObject({ status: 401 });
  const actorEvents = (
    await doc.send(
      new QueryCommand({
        TableName: TABLE(),
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :a',
        ExpressionAttributeValues: { ':a': `ACTOR#${alice.id}` },
      }),
    )
  ).Items!;
  expect(actorEvents).toContainEqual(expect.objectContaining({ type: 'step_up_failed', chain: 'journal', action: 'prod:deploy' }));

  expect(await verifyAudit(deps, {})).toMatchObject({ ok: true });
}, 60_000);

test('a SendTaskSuccess sent before the requirements are met grants nothing, whatever expiresAt it carries', async () => {
  const erin = person('erin-forged', ['engineering']);
  const { request } = await createRequest(
    deps,
    erin,
    { action: 'prod:debug', resource: 'forged/2' },
    { linkBase: `${local.url}/approve/` },
  );
  const parked = await waitFor(
    () => deps.store.getRequest(request.id),
    (s) => s?.tokens.approvalTaskToken !== undefined,
  );
  const far = new Date(Date.now() + 365 * 86400_000).toISOString();
  expect(
    await deps.workflow.succeed(parked!.tokens.approvalTaskToken!, {
      activatedAt: new Date().toISOString(),
      expiresAt: far,
      expiringAt: far,
    }),
  ).toBe(true);
  const executionArn = `arn:aws:states:local:000000000000:execution:jitgate:${request.id}`;
  const d = await waitFor(
    () => local.sfn.describeExecution({ executionArn }),
    (x) => x.status !== 'RUNNING',
  );
  expect(d.status).toBe('FAILED');
  expect((await deps.store.getRequest(request.id))?.request.status).toBe('pending_approval');
  expect(await deps.store.getGrantSlot(erin.id, 'prod:debug', 'forged/2')).toMatchObject({ status: 'pending' });
}, 60_000);
