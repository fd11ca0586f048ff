/**
 * ReadRequest ─> Activate: the grant starts, with no Lambda.
 *
 * ReadRequest (GetItem, consistent) reads the request item: the grant's times the domain
 * fixed when the last requirement was met (`grantTimes`), and the head of the request's
 * audit chain. Its result replaces `$.grant`, so whatever a task's output said (anyone
 * holding a task token can send SendTaskSuccess with any `expiresAt`) never reaches the
 * transaction nor the Waits. A request item without `grantTimes` (a success sent before the
 * requirements were met) fails the execution: no grant.
 *
 * Activate (TransactWriteItems): request → active (only from the statuses the domain's
 * transition table allows, and only if the chain head is still the one read), grant slot
 * → active (only if it still belongs to this request), and the `activated` audit event,
 * hashed onto the chain in ASL: `States.Hash(States.Format(...), 'SHA-256')` over exactly
 * the canonical form `shared/domain/audit-chain.ts` computes (every argument is an ISO time, a
 * hex hash, a request id or a number: nothing that canonical JSON would escape).
 *
 * Idempotent (issue: a transient error after the commit made the retry fail its condition
 * and end in Closed, so Expire never ran): the transaction carries a ClientRequestToken
 * derived from the request and the head read, so on AWS a retry within 10 minutes of a
 * commit returns success unchanged (ClientRequestToken in
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html).
 * Beyond that (and with DynamoDB Local, which does not keep tokens), a cancelled
 * transaction is never taken at its word: RereadRequest reads the item again and
 * StillPending decides: still pending (the head moved: an audit event was recorded
 * meanwhile) → Activate again with the new head; active → the commit went through, tell
 * the requester and wait for expiry; anything else (cancelled, denied, timed out) → Closed. The loop needs a
 * pending request whose transaction keeps failing: a head that keeps moving (each turn
 * means an event was recorded meanwhile), or a grant slot held by another request, which
 * createRequest never lets happen while this one is pending (it claims the slot in the
 * same transaction as the request and replaces a holder only once that holder has ended).
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { auditIndexes, keys } from '../shared/adapters/keys';
import { CANONICAL_VERSION } from '../shared/domain/audit-chain';
import { TRANSITIONS, transitionCondition } from '../shared/domain/request';
import { STATE } from './states';

const ACTIVATE_TIMEOUT = Duration.seconds(30);
const READ_TIMEOUT = Duration.seconds(30);
export const DYNAMODB_TRANSIENT_ERRORS = [
  'DynamoDb.ProvisionedThroughputExceededException',
  'DynamoDb.RequestLimitExceededException',
  'DynamoDb.ThrottlingException',
  'DynamoDb.InternalServerErrorException',
  'DynamoDb.InternalServerError',
  'DynamoDb.TransactionInProgressException',
];
const TRANSACTION_CANCELED = 'DynamoDb.TransactionCanceledException';

/**
 * What ReadRequest keeps of the request item, at `$.grant`: the times (for Activate, the Waits and
 * NotifyExpiring), the notice NotifyActivated publishes, and what the grant slot's key is made of.
 */
const GRANT_FROM_ITEM = {
  requester: sfn.JsonPath.stringAt('$.Item.requester.M.id.S'),
  action: sfn.JsonPath.stringAt('$.Item.action.S'),
  resource: sfn.JsonPath.stringAt('$.Item.resource.S'),
  notice: sfn.JsonPath.stringAt('$.Item.activationNotice.S'),
  activatedAt: sfn.JsonPath.stringAt('$.Item.grantTimes.M.activatedAt.S'),
  expiresAt: sfn.JsonPath.stringAt('$.Item.grantTimes.M.expiresAt.S'),
  expiringAt: sfn.JsonPath.stringAt('$.Item.grantTimes.M.expiringAt.S'),
  status: sfn.JsonPath.stringAt('$.Item.status.S'),
  chain: {
    head: sfn.JsonPath.stringAt('$.Item.auditHead.S'),
    // Precomputed by the store (`chainNext`): ASL can neither add nor zero-pad.
    seq: sfn.JsonPath.stringAt('$.Item.chainNext.M.seq.N'),
    sk: sfn.JsonPath.stringAt('$.Item.chainNext.M.sk.S'),
  },
};

export interface ActivateStates {
  /** The first state: ReadRequest. */
  start: sfn.TaskStateBase;
  activate: sfn.TaskStateBase;
}

export function activateStates(
  scope: Construct,
  table: dynamodb.ITable,
  next: { active: sfn.IChainable; closed: sfn.IChainable },
): ActivateStates {
  const read = readRequest(scope, STATE.readRequest, table);
  const reread = readRequest(scope, STATE.rereadRequest, table);
  const activate = activateTask(scope, table).addCatch(reread, { errors: [TRANSACTION_CANCELED], resultPath: '$.error' });
  const pending = TRANSITIONS.activate.map((s) => sfn.Condition.stringEquals('$.grant.status', s));
  const stillPending = new sfn.Choice(scope, STATE.stillPending, {
    comment: 'Activate was cancelled: pending → try again with the new head; active → it had committed; else closed',
  })
    .when(sfn.Condition.or(...pending), activate)
    .when(sfn.Condition.stringEquals('$.grant.status', 'active'), next.active)
    .otherwise(next.closed);
  read.next(activate);
  reread.next(stillPending);
  return { start: read, activate };
}

function readRequest(scope: Construct, name: string, table: dynamodb.ITable): sfn.TaskStateBase {
  return new tasks.CallAwsService(scope, name, {
    service: 'dynamodb',
    action: 'getItem',
    parameters: {
      TableName: table.tableName,
      Key: attributes(keys.request(path('$.requestId'))),
      ConsistentRead: true,
    },
    iamResources: [table.tableArn],
    resultSelector: GRANT_FROM_ITEM,
    resultPath: '$.grant',
    taskTimeout: sfn.Timeout.duration(READ_TIMEOUT),
  }).addRetry({
    errors: DYNAMODB_TRANSIENT_ERRORS,
    interval: Duration.seconds(1),
    backoffRate: 2,
    maxAttempts: 5,
    jitterStrategy: sfn.JitterType.FULL,
  });
}

function activateTask(scope: Construct, table: dynamodb.ITable): sfn.TaskStateBase {
  const requestId = sfn.JsonPath.stringAt('$.requestId');
  const at = sfn.JsonPath.stringAt('$.grant.activatedAt');
  const exp = sfn.JsonPath.stringAt('$.grant.expiresAt');
  const prev = sfn.JsonPath.stringAt('$.grant.chain.head');
  const seq = sfn.JsonPath.stringAt('$.grant.chain.seq');
  // The canonical form of {requestId, type: "activated", actor: "jitgate", at, seq, prev}: keys sorted (shared/domain/audit-chain.ts).
  const canonical = sfn.JsonPath.format(
    `${CANONICAL_VERSION};actor="jitgate";at="{}";prev="{}";requestId="{}";seq={};type="activated"`,
    at,
    prev,
    requestId,
    seq,
  );
  const hash = sfn.JsonPath.hash(canonical, 'SHA-256');
  const condition = transitionCondition('activate');

  const updateRequest = {
    TableName: table.tableName,
    Key: attributes(keys.request(path('$.requestId'))),
    UpdateExpression:
      'SET #status = :active, activatedAt = :at, expiresAt = :exp, #version = #version + :one, auditSeq = :seq, auditHead = :hash ' +
      'REMOVE mfaTaskToken, approvalTaskToken, gsi2pk, gsi2sk',
    // The head read is still the head: no event was chained meanwhile, so this one links to the last.
    ConditionExpression: `${condition.expression} AND auditHead = :prev`,
    ExpressionAttributeNames: mergeNames(condition.names, { '#status': 'status', '#version': 'version' }),
    ExpressionAttributeValues: mergeValues(Object.fromEntries(Object.entries(condition.values).map(([k, v]) => [k, { S: v }])), {
      ':active': { S: 'active' },
      ':at': { S: at },
      ':exp': { S: exp },
      ':one': { N: '1' },
      ':seq': { N: seq },
      ':hash': { S: hash },
      ':prev': { S: prev },
    }),
  };
  const updateGrantSlot = {
    TableName: table.tableName,
    Key: attributes(keys.grantSlot(path('$.grant.requester'), path('$.grant.action'), path('$.grant.resource'))),
    UpdateExpression: 'SET #status = :active, expiresAt = :exp',
    ConditionExpression: 'requestId = :rid',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':active': { S: 'active' }, ':exp': { S: exp }, ':rid': { S: requestId } },
  };
  const auditEvent = {
    TableName: table.tableName,
    Item: {
      // The sort key is the zero-padded place on the chain, which ASL cannot pad: the store precomputed it (`chainNext`).
      ...attributes({ pk: keys.auditEvent(path('$.requestId'), 0).pk, sk: path('$.grant.chain.sk') }),
      ...attributes(auditIndexes({ at: path('$.grant.activatedAt'), requestId: path('$.requestId'), actor: 'jitgate' })),
      type: { S: 'activated' },
      actor: { S: 'jitgate' },
      at: { S: at },
      requestId: { S: requestId },
      seq: { N: seq },
      prev: { S: prev },
      hash: { S: hash },
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  };

  return new tasks.CallAwsService(scope, STATE.activate, {
    service: 'dynamodb',
    action: 'transactWriteItems',
    parameters: {
      TransactItems: [{ Update: updateRequest }, { Update: updateGrantSlot }, { Put: auditEvent }],
      // 32 hex characters (the limit is 36): the same for every retry of this attempt, new after a re-read.
      ClientRequestToken: sfn.JsonPath.hash(sfn.JsonPath.format('{}#{}', requestId, prev), 'MD5'),
    },
    // TransactWriteItems is authorized as the actions it contains.
    iamAction: 'dynamodb:UpdateItem',
    iamResources: [table.tableArn],
    additionalIamStatements: [new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [table.tableArn] })],
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(ACTIVATE_TIMEOUT),
  }).addRetry({
    errors: DYNAMODB_TRANSIENT_ERRORS,
    interval: Duration.seconds(1),
    backoffRate: 2,
    maxAttempts: 5,
    jitterStrategy: sfn.JitterType.FULL,
  });
}

function mergeNames(a: Record<string, string>, b: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(b)) {
    if (k in a && a[k] !== v)
      throw new Error(`Activate: expression attribute name ${k} is "${a[k]}" in transitionCondition('activate') but "${v}" here`);
  }
  return { ...a, ...b };
}

function mergeValues(a: Record<string, { S: string }>, b: Record<string, Record<string, string>>): Record<string, Record<string, string>> {
  for (const k of Object.keys(b)) {
    if (k in a && JSON.stringify(a[k]) !== JSON.stringify(b[k]))
      throw new Error(`Activate: expression attribute value ${k} is used by transitionCondition('activate') and by the update`);
  }
  return { ...a, ...b };
}

// ---------------------------------------------------------------------------------
// Keys from shared/adapters/keys.ts, the functions the store writes with, applied to
// values the execution knows only at run time: `path('$.requestId')` stands in for one.

const MARK = '\u0000';

function path(jsonPath: string): string {
  return `${MARK}${jsonPath}${MARK}`;
}

/** Each attribute as a DynamoDB string: literal text as is, a path alone as `S.$`, text around paths as States.Format. */
function attributes(item: Record<string, string>): Record<string, { S: string }> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, { S: atRunTime(value) }]));
}

function atRunTime(value: string): string {
  const parts = value.split(MARK);
  if (parts.length === 1) return value;
  const literals = parts.filter((_, i) => i % 2 === 0);
  const paths = parts.filter((_, i) => i % 2 === 1).map((p) => sfn.JsonPath.stringAt(p));
  if (literals.every((l) => l === '') && paths.length === 1) return paths[0]!;
  // Intrinsic strings would need these escaped; no key in the layout has them, and this keeps it so.
  if (literals.some((l) => /[{}'\\]/.test(l))) {
    throw new Error(`Activate: key text ${JSON.stringify(literals.join('{}'))} needs escaping in States.Format`);
  }
  return sfn.JsonPath.format(literals.join('{}'), ...paths);
}
