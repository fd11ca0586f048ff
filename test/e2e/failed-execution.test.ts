/**
 * End to end: an execution that ends abnormally closes its request. Local mode
 * delivers the "Step Functions Execution Status Change" event to the function the
 * template's rule targets, as EventBridge does on AWS.
 */
import { Client } from '../support/local-mode';
import { SHARED_START_TIMEOUT_MS, sharedLocalMode, type SharedLocalMode } from '../support/shared-local-mode';
import { accessKeyFor } from '../../local/credentials';
import { LOCAL_OPERATOR_ROLE } from '../../local/iam/roles';
import { localModeSnapshots } from '../support/invariant-sources';
import { expectInvariants } from '../support/invariants';

const STATE_MACHINE_ARN = 'arn:aws:states:local:000000000000:stateMachine:jitgate';

let local: SharedLocalMode;
let api: Client;

beforeAll(async () => {
  local = await sharedLocalMode('e2e');
  api = new Client(local.url, local.dataDir);
}, SHARED_START_TIMEOUT_MS);

// Whatever ended these executions, the requests they leave obey every invariant (the ones that wait, within 15 s).
afterAll(async () => {
  const mine = (r: { requester: { sub: string } }) => r.requester.sub.startsWith('alice-aborted');
  const snapshots = localModeSnapshots(local.url, local.table, mine);
  try {
    await expectInvariants(snapshots.read, { only: mine, settleMs: 15_000 });
  } finally {
    snapshots.close();
  }
}, 30_000);

/**
 * A call to local mode's Step Functions endpoint, as @aws-sdk/client-sfn makes it, signed with the operator's
 * key (stopping by hand is the developer's call).
 */
async function stepFunctions(operation: string, body: object): Promise<any> {
  const res = await fetch(`${local.url}/dev/aws/sfn/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AWSStepFunctions.${operation}`,
      authorization:
        `AWS4-HMAC-SHA256 Credential=${accessKeyFor(LOCAL_OPERATOR_ROLE)}/20260101/us-east-1/states/aws4_request, ` +
        'SignedHeaders=host, Signature=local',
    },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${operation}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

test('an aborted execution: the request ends failed, audited with the cause, the requester told, the slot free to ask again', async () => {
  const alice = await api.token('alice', { as: 'aborted' });
  const ask = () =>
    api.call('POST', '/v1/requests', { token: alice, body: { action: 'prod:debug', resource: 'cluster/failed-1', durationSeconds: 600 } });
  const created = await ask();
  expect(created.status).toBe(201);
  const id: string = created.json.id;
  await api.waitForStatus(alice, id, 'pending_approval');

  const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${id}`;
  await stepFunctions('StopExecution', { executionArn, error: 'Operator.Stopped', cause: 'stopped by hand in the e2e test' });

  const failed = await api.waitForStatus(alice, id, 'failed', 15_000);
  expect(failed.failure).toEqual({ executionStatus: 'ABORTED', error: 'Operator.Stopped', cause: 'stopped by hand in the e2e test' });
  expect(failed.waitingFor).toBeNull();

  const audit = await api.call('GET', `/v1/audit?requestId=${id}`, { token: await api.token('audrey') });
  const event = audit.json.events.find((e: { type: string }) => e.type === 'failed');
  expect(event).toMatchObject({
    actor: 'jitgate',
    details: {
      executionArn,
      executionStatus: 'ABORTED',
      previousStatus: 'pending_approval',
      error: 'Operator.Stopped',
      cause: 'stopped by hand in the e2e test',
    },
  });

  const told = await api.messages((m) => m.message.includes(id) && m.message.includes('request.failed'));
  expect(told).toHaveLength(1);
  expect(JSON.parse(told[0]!.message)).toMatchObject({
    type: 'request.failed',
    requestId: id,
    outcome: 'failed',
    executionStatus: 'ABORTED',
  });
  expect(told[0]!.attributes).toMatchObject({ event: 'request.failed' });

  // A late approval is refused; the grant slot is free, so asking again makes a new request.
  const late = await api.call('POST', `/v1/requests/${id}/decisions`, { token: await api.token('bob'), body: { decision: 'approve' } });
  expect(late.status).toBe(409);
  const again = await ask();
  expect(again.status).toBe(201);
  expect(again.json.id).not.toBe(id);
  await api.waitForStatus(alice, again.json.id, 'pending_approval');
});

test('an active grant whose execution fails ends failed, and is no longer honoured', async () => {
  const alice = await api.token('alice', { as: 'aborted-active' });
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'reports:read', resource: 'reports/failed', durationSeconds: 600 },
  });
  const id: string = created.json.id;
  await api.waitForStatus(alice, id, 'active');
  const authorize = () => api.call('POST', '/v1/authorize', { token: alice, body: { action: 'reports:read', resource: 'reports/failed' } });
  expect((await authorize()).json.allowed).toBe(true);

  await stepFunctions('StopExecution', { executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${id}` });
  const failed = await api.waitForStatus(alice, id, 'failed', 15_000);
  expect(failed.failure).toEqual({ executionStatus: 'ABORTED' });
  expect((await authorize()).json.allowed).toBe(false);
});
