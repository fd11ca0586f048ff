/**
 * 6. Cost model: dollars per 1,000 lifecycles on AWS, and the fixed monthly cost of an
 * idle deployment, from what the lifecycle section counted (state transitions, Lambda
 * invocations and their measured durations, API calls, DynamoDB calls with item sizes,
 * SNS publishes and email deliveries) and from the synthesized template (each
 * function's memory size, the KMS keys, secrets, alarms and API methods it deploys).
 * Free tiers are ignored. KMS keys AWS caches for minutes (the table's, the topics') are a
 * monthly ceiling beside the per-lifecycle figure; where the cache is the containers' (the
 * link key), the model takes the upper bound and says so.
 */
import { indexWrites } from './dynamodb-capacity';
import type { LifecycleFigures } from './lifecycle';
import { fmtUsd, target, type Row, type SectionResult } from './stats';
import type { TemplateFacts } from './template-facts';

/**
 * us-east-1 list prices, USD, from the AWS pricing pages (AWS Step Functions, AWS Lambda,
 * Amazon API Gateway, Amazon DynamoDB, Amazon SNS, AWS X-Ray, AWS KMS, AWS Secrets
 * Manager, Amazon CloudWatch) as published in 2025; not re-checked by this run.
 */
export const PRICES = {
  region: 'us-east-1',
  /** Step Functions Standard: $0.025 per 1,000 state transitions. */
  sfnPerTransition: 0.025 / 1000,
  /** Lambda, Arm: $0.0000133334 per GB-second; $0.20 per 1M requests. */
  lambdaPerGbSecondArm: 0.0000133334,
  lambdaPerRequest: 0.2 / 1e6,
  /** API Gateway REST APIs: $3.50 per 1M requests (first 333M). */
  apiGatewayRestPerRequest: 3.5 / 1e6,
  /** DynamoDB on-demand, Standard table class, since 1 November 2024: $0.625 per 1M WRU, $0.125 per 1M RRU. */
  dynamoPerWru: 0.625 / 1e6,
  dynamoPerRru: 0.125 / 1e6,
  /** SNS: $0.50 per 1M publishes (64 KB chunks); email $2.00 per 100,000 deliveries. */
  snsPerPublish: 0.5 / 1e6,
  snsPerEmail: 2.0 / 1e5,
  /** X-Ray: $5.00 per 1M traces recorded. */
  xrayPerTrace: 5.0 / 1e6,
  /** KMS: $1.00 per customer managed key per month (each of its first two rotations adds $1.00); $0.03 per 10,000 requests. */
  kmsPerKeyMonth: 1.0,
  kmsPerRotatedKeyMonth: 1.0,
  kmsPerRequest: 0.03 / 1e4,
  /** Secrets Manager: $0.40 per secret per month; $0.05 per 10,000 API calls. */
  secretPerMonth: 0.4,
  secretPerCall: 0.05 / 1e4,
  /** CloudWatch Logs Standard: $0.50 per GB ingested. */
  logsPerGbIngested: 0.5,
  /** CloudWatch: $0.10 per standard alarm metric per month; $0.30 per custom metric per month (first 10,000). */
  alarmPerMonth: 0.1,
  metricPerMonth: 0.3,
} as const;

/** Assumptions of the model. */
export const MODEL = {
  /**
   * X-Ray: Lambda's active tracing samples 1 request a second and 5% of the rest, and that rate cannot be
   * changed (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html); the state machine uses the
   * account's default rule, the same. So beyond the first request each second, 5% of the traces are recorded.
   */
  xraySampledFraction: 0.05,
  /** The reservoir's ceiling: one trace a second, all month, even when the 5% would be fewer. */
  xrayReservoirTracesPerMonth: 30 * 24 * 3600,
  /** How often an app calls POST /v1/authorize during one grant. */
  authorizeCallsPerLifecycle: 10,
  /** Floor for a billed invocation: local durations (loopback DynamoDB) understate AWS ones. */
  minBilledMs: 100,
  /**
   * CloudWatch Logs bytes per Lambda invocation: START, END and REPORT (with the X-Ray trace id) ≈ 400 B,
   * plus the function's own lines.
   */
  logBytesPerInvocation: 1024,
  /** API Gateway access log line (JSON, the standard fields the stage logs). */
  logBytesPerApiRequest: 450,
  /** Metrics API Gateway publishes per method and stage when detailed metrics are on. */
  detailedMetricsPerMethod: 7,
  /**
   * Secrets Manager reads of the link key: await-approval (links), the page's GET and POST; each container
   * caches it, so this is the most.
   */
  linkKeyReadsPerLifecycle: 3,
  /**
   * DynamoDB keeps a table's plaintext key for each caller and asks KMS again only after five minutes without
   * a call from that caller (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html):
   * at most one Decrypt per caller (role) every 5 minutes, however many lifecycles run.
   */
  tableKeyRequestsPerCallerMonth: (30 * 24 * 60) / 5,
  /**
   * SNS reuses a topic's data key for up to 5 minutes per publishing principal, two KMS requests each time:
   * R = B / D × (2 × P) per topic (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). AWS
   * gives it as an estimate ("actual costs might be higher because of the distributed nature of Amazon SNS").
   */
  topicKeyRequestsPerPublisherMonth: ((30 * 24 * 60) / 5) * 2,
  /** Targets. */
  maxUsdPer1000Lifecycles: 0.4,
  maxIdleUsdPerMonth: 3,
} as const;

interface Invocation {
  what: string;
  entry: string;
  count: number;
  ms: number;
}

/** Which function a lifecycle step ran in: API routes go to `api`, state machine tasks to their function. */
const STATE_FUNCTION: Record<string, string> = {
  MfaChallenge: 'mfa-challenge',
  AwaitApproval: 'await-approval',
  AwaitApprovalWithoutNudges: 'await-approval',
  Remind: 'await-approval',
  Activate: 'activate',
  Expire: 'end-request',
  TimedOut: 'end-request',
};

const gsiDetail = (byIndex: Record<string, number>) =>
  Object.entries(byIndex)
    .map(([name, wru]) => `${name} ${wru} WRU`)
    .join(', ');

export function benchCost(lifecycle: LifecycleFigures, authorizeHandlerNs: number, facts: TemplateFacts): SectionResult {
  const n = MODEL.authorizeCallsPerLifecycle;
  const billedMs = (ms: number) => Math.max(MODEL.minBilledMs, Math.ceil(ms));
  const memoryGb = (entry: string) => {
    const mb = facts.memoryMb[entry];
    if (mb === undefined) throw new Error(`no function with jitgate:entry functions/${entry}/index.ts in the template`);
    return mb / 1024;
  };

  // Approvers decide on the link page: GET (the page) and POST (the decision) on the approve
  // function, in place of the API's POST /decisions the lifecycle section made.
  const decision = lifecycle.apiCalls.find((c) => c.name.includes('/decisions'));
  const apiCalls = lifecycle.apiCalls.filter((c) => c !== decision);
  const pageMs = (decision?.ns ?? 0) / 1e6;
  const invocations: Invocation[] = [
    ...apiCalls.map((c) => ({ what: `api: ${c.name}`, entry: 'api', count: 1, ms: c.ns / 1e6 })),
    { what: 'approve: GET /approve/{link} (the page)', entry: 'approve', count: 1, ms: pageMs },
    { what: 'approve: POST /approve/{link} (the decision)', entry: 'approve', count: 1, ms: pageMs },
    ...lifecycle.lambdaTasks.map((t) => ({
      what: `state machine: ${t.state}`,
      entry: STATE_FUNCTION[t.state] ?? 'api',
      count: 1,
      ms: t.ms,
    })),
    { what: 'authorize: POST /v1/authorize', entry: 'authorize', count: n, ms: authorizeHandlerNs / 1e6 },
  ];
  const lambdaRequests = invocations.reduce((s, i) => s + i.count, 0);
  const gbSeconds = invocations.reduce((s, i) => s + i.count * (billedMs(i.ms) / 1000) * memoryGb(i.entry), 0);
  const apiRequests = apiCalls.length + 2 + n;

  // DynamoDB: the base table as counted, plus what each write cost the indexes (from the item before and after it).
  const gsi = indexWrites(lifecycle.dynamodb.ops, facts.indexes, facts.tableKeys);
  const gsiWru = gsi.total;
  // The lifecycle made the first authorize call; each further one is a consistent GetItem of the grant slot (< 4 KB); the page's GET.
  const rru = lifecycle.dynamodb.rru + (n - 1) + 1;
  const wru = lifecycle.dynamodb.wru;

  // Each API request is a trace; the execution with its Lambda tasks is one more. Sampled: see MODEL.
  const tracesOffered = apiRequests + 1;
  const traces = tracesOffered * MODEL.xraySampledFraction;
  // KMS per lifecycle: Secrets Manager decrypts the secret's data key in KMS on each read of the link key
  // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html). The table's key
  // and the topics' data keys are cached by AWS, so they cost per month, not per lifecycle: see kmsCachedKeysPerMonth.
  const kmsRequests = MODEL.linkKeyReadsPerLifecycle;
  const logGb = (lambdaRequests * MODEL.logBytesPerInvocation + apiRequests * MODEL.logBytesPerApiRequest) / 1024 ** 3;
  const mem = (entry: string) => `${facts.memoryMb[entry]} MB`;

  const items = [
    {
      name: 'Step Functions Standard',
      qty: `${lifecycle.transitions} transitions`,
      price: '$0.025 / 1,000 transitions',
      usd: lifecycle.transitions * PRICES.sfnPerTransition,
    },
    {
      name: 'Lambda requests (arm64)',
      qty: `${lambdaRequests} invocations`,
      price: '$0.20 / 1M requests',
      usd: lambdaRequests * PRICES.lambdaPerRequest,
    },
    {
      name: 'Lambda compute (arm64)',
      qty: `${gbSeconds.toFixed(3)} GB-s`,
      price: `$0.0000133334 / GB-s; authorize ${mem('authorize')}, api ${mem('api')}, approve ${mem('approve')}`,
      usd: gbSeconds * PRICES.lambdaPerGbSecondArm,
    },
    {
      name: 'API Gateway REST',
      qty: `${apiRequests} requests`,
      price: '$3.50 / 1M requests',
      usd: apiRequests * PRICES.apiGatewayRestPerRequest,
    },
    { name: 'DynamoDB writes, table', qty: `${wru} WRU`, price: '$0.625 / 1M WRU', usd: wru * PRICES.dynamoPerWru },
    { name: 'DynamoDB writes, GSIs', qty: `${gsiWru} WRU`, price: '$0.625 / 1M WRU', usd: gsiWru * PRICES.dynamoPerWru },
    { name: 'DynamoDB reads', qty: `${rru} RRU`, price: '$0.125 / 1M RRU', usd: rru * PRICES.dynamoPerRru },
    {
      name: 'SNS publishes',
      qty: `${lifecycle.sns.publishes} publishes`,
      price: '$0.50 / 1M publishes',
      usd: lifecycle.sns.publishes * PRICES.snsPerPublish,
    },
    {
      name: 'SNS email deliveries',
      qty: `${lifecycle.sns.emailDeliveries} emails`,
      price: '$2.00 / 100,000 emails',
      usd: lifecycle.sns.emailDeliveries * PRICES.snsPerEmail,
    },
    {
      name: 'X-Ray traces',
      qty: `${traces.toFixed(2)} traces (5% of ${tracesOffered})`,
      price: '$5.00 / 1M traces recorded',
      usd: traces * PRICES.xrayPerTrace,
    },
    {
      name: 'KMS requests',
      qty: `≤ ${kmsRequests} requests (link-key reads)`,
      price: '$0.03 / 10,000 requests',
      usd: kmsRequests * PRICES.kmsPerRequest,
    },
    {
      name: 'Secrets Manager reads',
      qty: `≤ ${MODEL.linkKeyReadsPerLifecycle} calls`,
      price: '$0.05 / 10,000 calls',
      usd: MODEL.linkKeyReadsPerLifecycle * PRICES.secretPerCall,
    },
    {
      name: 'CloudWatch Logs ingestion',
      qty: `${((logGb * 1024 ** 3) / 1024).toFixed(1)} KB`,
      price: '$0.50 / GB ingested',
      usd: logGb * PRICES.logsPerGbIngested,
    },
  ];
  const total = items.reduce((s, i) => s + i.usd, 0);
  const per1k = total * 1000;

  const idle = [
    { name: 'KMS customer managed keys', qty: facts.kmsKeys, price: '$1.00 / key-month', usd: facts.kmsKeys * PRICES.kmsPerKeyMonth },
    { name: 'Secrets Manager secrets', qty: facts.secrets, price: '$0.40 / secret-month', usd: facts.secrets * PRICES.secretPerMonth },
    { name: 'CloudWatch alarms', qty: facts.alarms, price: '$0.10 / alarm-month', usd: facts.alarms * PRICES.alarmPerMonth },
    {
      name: 'API Gateway detailed metrics',
      qty: facts.detailedMetrics ? facts.apiMethods * MODEL.detailedMetricsPerMethod : 0,
      price: '$0.30 / metric-month',
      usd: facts.detailedMetrics ? facts.apiMethods * MODEL.detailedMetricsPerMethod * PRICES.metricPerMonth : 0,
    },
  ];
  const idleTotal = idle.reduce((s, i) => s + i.usd, 0);
  const kmsCachedKeysPerMonth =
    facts.tableCallers * MODEL.tableKeyRequestsPerCallerMonth + facts.topicPublishers * MODEL.topicKeyRequestsPerPublisherMonth;
  const detailedIfOn = facts.apiMethods * MODEL.detailedMetricsPerMethod * PRICES.metricPerMonth;

  const rows: Row[] = items.map((i) => ({ name: i.name, value: fmtUsd(i.usd * 1000), detail: `${i.qty} per lifecycle × ${i.price}` }));
  rows.push({
    name: 'TOTAL per 1,000 lifecycles',
    value: fmtUsd(per1k),
    detail: `${fmtUsd(total, 6)} per lifecycle`,
    target: target(`< $${MODEL.maxUsdPer1000Lifecycles.toFixed(2)}`, per1k < MODEL.maxUsdPer1000Lifecycles),
  });
  const authorizeUsd =
    PRICES.apiGatewayRestPerRequest +
    PRICES.lambdaPerRequest +
    (billedMs(authorizeHandlerNs / 1e6) / 1000) * memoryGb('authorize') * PRICES.lambdaPerGbSecondArm +
    PRICES.dynamoPerRru +
    MODEL.xraySampledFraction * PRICES.xrayPerTrace;
  rows.push({
    name: '  marginal: 1,000 more authorize calls',
    value: fmtUsd(1000 * authorizeUsd),
    detail: `API Gateway + Lambda (${mem('authorize')}) + one RRU + 5% of an X-Ray trace each`,
  });
  rows.push({
    name: '  the lifecycle without its authorize calls',
    value: fmtUsd(per1k - n * 1000 * authorizeUsd),
    detail: `of which Step Functions ${fmtUsd(items[0]!.usd * 1000)} (${lifecycle.transitions} transitions)`,
  });
  for (const i of idle) rows.push({ name: `idle: ${i.name}`, value: fmtUsd(i.usd, 2), detail: `${i.qty} × ${i.price}` });
  rows.push({
    name: 'IDLE deployment per month',
    value: fmtUsd(idleTotal, 2),
    detail:
      `the first year; each of the key's first two yearly rotations adds $1.00 ` +
      `(${fmtUsd(idleTotal + facts.kmsKeys * PRICES.kmsPerRotatedKeyMonth, 2)} in year 2, ` +
      `${fmtUsd(idleTotal + 2 * facts.kmsKeys * PRICES.kmsPerRotatedKeyMonth, 2)} from year 3)`,
    target: target(`< $${MODEL.maxIdleUsdPerMonth.toFixed(2)}`, idleTotal < MODEL.maxIdleUsdPerMonth),
  });
  rows.push({
    name: '  busy month: KMS requests of cached keys',
    value: `≤ ${fmtUsd(kmsCachedKeysPerMonth * PRICES.kmsPerRequest, 2)}`,
    detail:
      `${kmsCachedKeysPerMonth.toLocaleString('en-US')} a month at most, whatever the number of lifecycles: the table key, ` +
      `once per 5 minutes per caller (${facts.tableCallers} roles), and the topics' data keys, twice per 5 minutes per ` +
      `publisher and topic (${facts.topicPublishers} pairs; AWS's estimate, which it says may run higher); none while idle`,
  });
  rows.push({
    name: '  with aws.detailedMetrics on',
    value: `+${fmtUsd(detailedIfOn, 2)}`,
    detail: `${facts.apiMethods} methods × ${MODEL.detailedMetricsPerMethod} metrics × $0.30`,
  });
  for (const i of invocations) {
    rows.push({
      name: `  Lambda ${i.what}`,
      value: `×${i.count}`,
      detail: `measured ${i.ms.toFixed(1)} ms → billed ${billedMs(i.ms)} ms at ${mem(i.entry)}`,
    });
  }
  for (const line of lifecycle.dynamodb.lines) {
    rows.push({
      name: `  DynamoDB ${line.what}`,
      value: `×${line.count}`,
      detail: [line.rru ? `${line.rru} RRU` : '', line.wru ? `${line.wru} WRU` : ''].filter(Boolean).join(', '),
    });
  }
  rows.push({ name: '  DynamoDB further authorize GetItem (grant slot)', value: `×${n - 1}`, detail: `${n - 1} RRU` });

  return {
    title: `6. Cost model: USD per 1,000 lifecycles and per idle month on AWS (${PRICES.region}, list prices, free tiers ignored)`,
    rows,
    notes: [
      `one lifecycle = section 4's (create, MFA answer, activation, expiring notice, expiry; ` +
        `${lifecycle.transitions} transitions) with the approval made on the link page (GET + POST on the approve function) ` +
        `+ ${n} authorize calls (the first one's DynamoDB calls counted in section 4); ` +
        'TOTP enrolment (once per user) and status polling are left out',
      `Lambda duration per invocation = max(${MODEL.minBilledMs} ms, measured locally) ` +
        `at each function's memory size from the template; local durations run against DynamoDB Local on loopback and understate ` +
        'AWS latency',
      'DynamoDB: consistent read ≤ 4 KB = 1 RRU; write = 1 WRU per KB, twice inside TransactWriteItems; item sizes as ' +
        'DynamoDB counts them (names + values); each index write from the item before and after it (entering, leaving, ' +
        `a changed key twice, changed projected attributes once, nothing otherwise): ${gsiDetail(gsi.byIndex)}`,
      'KMS: one Decrypt per link-key read (Secrets Manager decrypts the data key on each read); the table key and ' +
        "the topics' data keys are reused by AWS for 5 minutes per caller, a monthly ceiling (the busy-month row), " +
        `not a cost per lifecycle; ${MODEL.linkKeyReadsPerLifecycle} Secrets Manager reads (each container reads the key once, ` +
        'so this is the most); ' +
        `X-Ray: 5% of the traces beyond one a second (Lambda's fixed sampling; the state machine's default rule), plus the ` +
        `one-a-second reservoir, at most ${fmtUsd(MODEL.xrayReservoirTracesPerMonth * PRICES.xrayPerTrace, 2)} a month ` +
        'and only when a traced request comes every second',
      `logs: ${MODEL.logBytesPerInvocation} B per invocation, ${MODEL.logBytesPerApiRequest} B access log per API request; ` +
        'the state machine logs ERROR only; storage after ingestion ($0.03 / GB-month) is not counted',
      'idle: counted from the template (KMS keys, secrets, alarms, API methods); DynamoDB storage and PITR of a few MB, ' +
        'log storage and data transfer are left out',
    ],
  };
}
