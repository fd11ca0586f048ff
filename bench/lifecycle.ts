/**
 * 4. One full lifecycle over HTTP in local mode (request, TOTP MFA, approval by bob,
 * activation, one authorize call, expiring notice, expiry), counted from the execution history: state
 * transitions (StateEntered events) and Lambda invocations (TaskScheduled with
 * resourceType lambda, and LambdaFunctionScheduled for a plain function ARN resource).
 *
 * While it runs, every DynamoDB call (the functions', through local mode's proxy, and the
 * state machine's integrations) and every SNS publish (the outbox) is counted,
 * for the cost model. The TOTP enrolment happens before counting starts (once per user).
 */
import { ClientRequest } from 'node:http';
import { currentCode } from '../shared/domain/totp';
import { capacity, itemBytes, type DynamoDbOp } from './dynamodb-capacity';
import { fmtMs, sleep, target, type Row, type SectionResult } from './stats';
import { FULL_ACTION, type BenchLocal } from './support';

// ---------------------------------------------------------------------------------
// Counting DynamoDB calls

const OPERATION: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  TransactWriteCommand: 'TransactWriteItems',
  TransactGetCommand: 'TransactGetItems',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
};

/** Plain value of a (possibly marshalled) attribute: `{ S: 'x' }` → 'x'. */
function plain(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && ['S', 'N', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS'].includes(keys[0]!))
      return (v as Record<string, unknown>)[keys[0]!];
  }
  return v;
}

/** The per-user items by sort key (docs/ARCHITECTURE.md, "The table"). */
const USER_ITEMS: [string, string][] = [
  ['TOTP', 'TOTP enrolment'],
  ['RATE#', 'rate window'],
  ['PENDING', 'pending places'],
  ['MFAGUARD', 'wrong-code count'],
];

function kindOf(key: Record<string, unknown> | undefined): { kind: string; key: string } {
  const pk = String(plain(key?.pk) ?? '');
  const sk = String(plain(key?.sk) ?? '');
  const kind = pk.startsWith('GRANT#')
    ? 'grant slot'
    : pk.startsWith('USER#')
      ? (USER_ITEMS.find(([prefix]) => sk.startsWith(prefix))?.[1] ?? 'user item')
      : pk.startsWith('IDEM#')
        ? 'idempotency key'
        : pk.startsWith('REQ#') && sk.startsWith('EVT#')
          ? 'audit event'
          : pk.startsWith('REQ#')
            ? 'request'
            : 'other';
  return { kind, key: `${pk}|${sk}` };
}

function describe(command: { constructor: { name: string }; input?: any }): DynamoDbOp {
  const name = command.constructor.name;
  const operation = OPERATION[name] ?? name.replace(/Command$/, '');
  const input = command.input ?? {};
  if (operation === 'TransactWriteItems') {
    const items = (input.TransactItems ?? []).map((t: any) => {
      const action = (['Put', 'Update', 'Delete', 'ConditionCheck'] as const).find((a) => t[a])!;
      const body = t[action];
      const k = kindOf(action === 'Put' ? body.Item : body.Key);
      return { action, ...k, ...(action === 'Put' ? { image: body.Item, bytes: itemBytes(body.Item) } : {}) };
    });
    return { operation, items, transactional: true };
  }
  const action =
    operation === 'GetItem'
      ? 'Get'
      : operation === 'PutItem'
        ? 'Put'
        : operation === 'UpdateItem'
          ? 'Update'
          : operation === 'DeleteItem'
            ? 'Delete'
            : 'Query';
  const k = kindOf(action === 'Put' ? input.Item : action === 'Query' ? undefined : input.Key);
  return {
    operation,
    items: [
      {
        action,
        ...k,
        ...(action === 'Put' ? { image: input.Item, bytes: itemBytes(input.Item) } : {}),
        ...(action === 'Query' ? { kind: `query ${input.IndexName ?? 'table'}` } : {}),
      },
    ],
    transactional: false,
  };
}

/**
 * Counts every DynamoDB call that leaves this process over HTTP, at the wire: the functions'
 * calls (their worker threads send them to local mode's proxy, which forwards them from here)
 * and the state machine's integrations alike, each once.
 */
export class DynamoDbCounter {
  readonly ops: DynamoDbOp[] = [];
  private restore: (() => void)[] = [];

  start(): void {
    const proto = ClientRequest.prototype;
    const { write, end } = proto;
    const ops = this.ops;
    const bodies = new WeakMap<ClientRequest, Buffer[]>();
    const keep = (req: ClientRequest, chunk: unknown) => {
      if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) return;
      bodies.set(req, [...(bodies.get(req) ?? []), Buffer.from(chunk)]);
    };
    proto.write = function (this: ClientRequest, chunk: unknown, ...rest: unknown[]) {
      keep(this, chunk);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof write;
    proto.end = function (this: ClientRequest, chunk?: unknown, ...rest: unknown[]) {
      keep(this, chunk);
      const target = this.getHeader('x-amz-target');
      if (typeof target === 'string' && target.startsWith(DYNAMODB_TARGET))
        ops.push(describeWire(target.slice(DYNAMODB_TARGET.length), Buffer.concat(bodies.get(this) ?? []).toString()));
      return (end as (...a: unknown[]) => ClientRequest).call(this, chunk, ...rest);
    } as typeof end;
    this.restore.push(() => Object.assign(proto, { write, end }));
  }

  stop(): void {
    for (const r of this.restore.splice(0)) r();
  }
}

const DYNAMODB_TARGET = 'DynamoDB_20120810.';

/** A call as sent (DynamoDB JSON), described as `describe` describes a command, items sized as DynamoDB sizes them. */
function describeWire(operation: string, body: string): DynamoDbOp {
  return describe({ constructor: { name: `${operation}Command` }, input: JSON.parse(body || '{}') });
}

// ---------------------------------------------------------------------------------
// The lifecycle

export interface LifecycleFigures {
  section: SectionResult;
  transitions: number;
  lambdaInvocations: number;
  /** API calls of one lifecycle (besides authorize) and their wall times, ns. */
  apiCalls: { name: string; ns: number }[];
  /** Lambda tasks the state machine ran and how long each took, ms (from the history). */
  lambdaTasks: { state: string; ms: number }[];
  dynamodb: ReturnType<typeof capacity> & { calls: number; ops: DynamoDbOp[] };
  sns: { publishes: number; emailDeliveries: number };
}

interface HistoryEvent {
  type: string;
  timestamp: Date;
  stateEnteredEventDetails?: { name: string };
  taskScheduledEventDetails?: { resourceType: string; resource: string };
}

/** Waits until the execution has entered `state` and its task has been submitted (a callback task's token is parked). */
async function untilParked(local: BenchLocal['local'], executionArn: string, state: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { events } = (await local.sfn.getExecutionHistory({ executionArn })) as { events: HistoryEvent[] };
    const entered = events.findIndex((e) => e.type.endsWith('StateEntered') && e.stateEnteredEventDetails?.name === state);
    if (entered >= 0 && events.slice(entered).some((e) => e.type === 'TaskSubmitted')) return;
    if (Date.now() > deadline) throw new Error(`execution ${executionArn} did not reach ${state} within 20 s`);
    await sleep(10);
  }
}

/** Waits until the execution has entered `state`. */
async function untilEntered(local: BenchLocal['local'], executionArn: string, state: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { events } = (await local.sfn.getExecutionHistory({ executionArn })) as { events: HistoryEvent[] };
    if (events.some((e) => e.type.endsWith('StateEntered') && e.stateEnteredEventDetails?.name === state)) return;
    if (Date.now() > deadline) throw new Error(`execution ${executionArn} did not reach ${state} within 20 s`);
    await sleep(10);
  }
}

export async function benchLifecycle({ local, api }: BenchLocal): Promise<LifecycleFigures> {
  const alice = await local.idp.signToken('alice');
  const bob = await local.idp.signToken('bob');

  // Once per user, not per lifecycle: enrol and confirm a TOTP authenticator.
  const enrol = await api.expect(201, 'POST', '/v1/mfa/totp', alice);
  const secret: string = enrol.json.secret;
  let step = 0;
  const nextCode = () => currentCode(secret, new Date(Date.now() + 30_000 * step++));
  await api.expect(200, 'POST', '/v1/mfa/totp/verify', alice, { code: nextCode() });

  const counter = new DynamoDbCounter();
  const since = new Date();
  counter.start();
  const t0 = process.hrtime.bigint();
  let id = '';
  const apiCalls: { name: string; ns: number }[] = [];
  let executionArn = '';
  try {
    const created = await api.expect(201, 'POST', '/v1/requests', alice, {
      action: FULL_ACTION,
      justification: 'bench: one full lifecycle',
      durationSeconds: 2,
    });
    apiCalls.push({ name: 'POST /v1/requests', ns: created.ns });
    id = created.json.id;
    if (created.json.status !== 'pending_mfa') throw new Error(`new ${FULL_ACTION} request is ${created.json.status}, not pending_mfa`);
    const mfa = await api.expect(200, 'POST', `/v1/requests/${id}/mfa`, alice, { code: nextCode() });
    apiCalls.push({ name: 'POST /v1/requests/{id}/mfa', ns: mfa.ns });
    // The state machine moves the request on (MFA answered: AwaitApproval parks its token; approved: Activate), so
    // the answers are the request still pending; the approval waits for the approval step, as an approver's link would.
    await untilParked(local, local.sfn.executionArnFor(id), 'AwaitApproval');
    const decided = await api.expect(200, 'POST', `/v1/requests/${id}/decisions`, bob, { decision: 'approve', reason: 'bench' });
    apiCalls.push({ name: 'POST /v1/requests/{id}/decisions', ns: decided.ns });
    // One authorize call on the live grant, counted like the rest: the grant slot, the request behind it (read once per
    // container and slot) and the grant's first use recorded; the cost model adds the further calls' slot reads.
    await untilEntered(local, local.sfn.executionArnFor(id), 'WaitUntilExpiring');
    await api.expect(200, 'POST', '/v1/authorize', alice, { action: FULL_ACTION });

    // The execution is named after the request id; it ends after Expire.
    executionArn = (await local.sfn.listExecutions()).executions.find((e) => e.name === id)?.executionArn ?? local.sfn.executionArnFor(id);
    const deadline = Date.now() + 20_000;
    while ((await local.sfn.describeExecution({ executionArn })).status === 'RUNNING') {
      if (Date.now() > deadline) throw new Error(`execution ${executionArn} still running after 20 s`);
      await sleep(20);
    }
  } finally {
    counter.stop();
  }
  const wallNs = Number(process.hrtime.bigint() - t0);
  const description = await local.sfn.describeExecution({ executionArn });
  const final = await api.expect(200, 'GET', `/v1/requests/${id}`, alice);

  const { events } = (await local.sfn.getExecutionHistory({ executionArn })) as { events: HistoryEvent[] };
  const entered = events.filter((e) => e.type.endsWith('StateEntered'));
  const path = entered.map((e) => e.stateEnteredEventDetails?.name ?? '?');
  // Lambda tasks: scheduled → submitted (callback tasks: the function returned) or succeeded.
  const lambdaTasks: { state: string; ms: number }[] = [];
  let currentState = '';
  let scheduledAt: Date | undefined;
  const otherTasks: string[] = [];
  for (const e of events) {
    if (e.type.endsWith('StateEntered')) currentState = e.stateEnteredEventDetails?.name ?? '?';
    const isLambda =
      e.type === 'LambdaFunctionScheduled' || (e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resourceType === 'lambda');
    if (isLambda) scheduledAt = e.timestamp;
    else if (e.type === 'TaskScheduled')
      otherTasks.push(`${currentState} (${e.taskScheduledEventDetails?.resourceType}:${e.taskScheduledEventDetails?.resource})`);
    if (
      scheduledAt &&
      ['TaskSubmitted', 'TaskSucceeded', 'TaskFailed', 'LambdaFunctionSucceeded', 'LambdaFunctionFailed'].includes(e.type)
    ) {
      lambdaTasks.push({ state: currentState, ms: new Date(e.timestamp).getTime() - new Date(scheduledAt).getTime() });
      scheduledAt = undefined;
    }
  }
  const lambdaInvocations = events.filter(
    (e) => e.type === 'LambdaFunctionScheduled' || (e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resourceType === 'lambda'),
  ).length;

  const records = local.outbox.list({ since });
  const sns = {
    publishes: new Set(records.map((r) => r.messageId)).size,
    emailDeliveries: records.filter((r) => r.deliveredTo?.includes('@')).length,
  };
  const dynamodb = { ...capacity(counter.ops), calls: counter.ops.length, ops: counter.ops };

  const rows: Row[] = [
    {
      name: 'state transitions (StateEntered)',
      value: String(entered.length),
      detail: path.join(' → '),
      target: target('≤ 10', entered.length <= 10),
    },
    {
      name: 'Lambda invocations',
      value: String(lambdaInvocations),
      detail: lambdaTasks.map((t) => `${t.state} ${t.ms} ms`).join(', '),
      target: target('≤ 4', lambdaInvocations <= 4),
    },
    { name: 'other Task states', value: String(otherTasks.length), detail: otherTasks.join(', ') },
    { name: 'execution / request status', value: `${description.status} / ${final.json.status}`, detail: `request ${id}` },
    { name: 'lifecycle wall time', value: fmtMs(wallNs, 0), detail: 'create → execution ended (grant window 2 s)' },
    ...apiCalls.map((c) => ({ name: `  ${c.name}`, value: fmtMs(c.ns, 1), detail: 'over HTTP, local mode' })),
    {
      name: 'DynamoDB calls',
      value: String(dynamodb.calls),
      detail: `≈ ${dynamodb.rru} RRU, ${dynamodb.wru} WRU (breakdown in the cost model)`,
    },
    { name: 'SNS publishes / email deliveries', value: `${sns.publishes} / ${sns.emailDeliveries}`, detail: 'from the outbox' },
  ];
  return {
    section: {
      title: `4. One full lifecycle (${FULL_ACTION}: request, TOTP MFA, approval, activation, one authorize, expiring notice, expiry)`,
      rows,
      notes: [
        `policy ${FULL_ACTION}: the demo config plus { mfa: totp, approvals: 1 from security-admins, grant: window, ` +
          'maxDuration 2 s }; alice requests, bob approves through the API',
        'Lambda invocations = TaskScheduled events with resourceType lambda (MfaChallenge, AwaitApproval) ' +
          '+ LambdaFunctionScheduled (Activate, Expire: plain function ARN resources)',
      ],
    },
    transitions: entered.length,
    lambdaInvocations,
    apiCalls,
    lambdaTasks,
    dynamodb,
    sns,
  };
}
