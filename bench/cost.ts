/**
 * 6. Cost model: dollars per 1,000 lifecycles on AWS (us-east-1, public list prices,
 * free tiers ignored), from what the lifecycle section counted: state transitions,
 * Lambda invocations and their measured durations, API calls, DynamoDB capacity units
 * (from the calls the code made, with a breakdown) and SNS publishes / email deliveries.
 */
import type { LifecycleFigures } from './lifecycle';
import { fmtUsd, type Row, type SectionResult } from './stats';

/** us-east-1 list prices, USD. */
export const PRICES = {
  region: 'us-east-1',
  sfnPerTransition: 0.025 / 1000,
  lambdaPerGbSecondArm: 0.0000133334,
  lambdaPerRequest: 0.2 / 1e6,
  apiGatewayRestPerRequest: 3.5 / 1e6,
  dynamoPerWru: 1.25 / 1e6,
  dynamoPerRru: 0.25 / 1e6,
  snsPerPublish: 0.5 / 1e6,
  snsPerEmail: 2.0 / 1e5,
} as const;

/** Assumptions of the model. */
export const MODEL = {
  /** How often an app calls POST /v1/authorize during one grant. */
  authorizeCallsPerLifecycle: 10,
  lambdaMemoryGb: 512 / 1024,
  /** Floor for a billed invocation: local durations (loopback DynamoDB) understate AWS ones. */
  minBilledMs: 100,
} as const;

export function benchCost(lifecycle: LifecycleFigures, authorizeHandlerNs: number): SectionResult {
  const n = MODEL.authorizeCallsPerLifecycle;
  const per1k = (usdPerLifecycle: number) => usdPerLifecycle * 1000;
  const billedMs = (ms: number) => Math.max(MODEL.minBilledMs, Math.ceil(ms));

  // Lambda: the API calls of the lifecycle, the state machine's functions, and N authorize calls.
  const invocations = [
    ...lifecycle.apiCalls.map((c) => ({ what: `api: ${c.name}`, count: 1, ms: c.ns / 1e6 })),
    ...lifecycle.lambdaTasks.map((t) => ({ what: `state machine: ${t.state}`, count: 1, ms: t.ms })),
    { what: 'authorize: POST /v1/authorize', count: n, ms: authorizeHandlerNs / 1e6 },
  ];
  const lambdaRequests = invocations.reduce((s, i) => s + i.count, 0);
  const gbSeconds = invocations.reduce((s, i) => s + i.count * (billedMs(i.ms) / 1000) * MODEL.lambdaMemoryGb, 0);
  const apiRequests = lifecycle.apiCalls.length + n;
  const rru = lifecycle.dynamodb.rru + n; // each authorize: one consistent GetItem of the grant slot (< 4 KB)
  const wru = lifecycle.dynamodb.wru;

  const items = [
    { name: 'Step Functions Standard', qty: `${lifecycle.transitions} transitions`, price: '$0.025 / 1,000 transitions', usd: lifecycle.transitions * PRICES.sfnPerTransition },
    { name: 'Lambda requests (arm64)', qty: `${lambdaRequests} invocations`, price: '$0.20 / 1M requests', usd: lambdaRequests * PRICES.lambdaPerRequest },
    { name: 'Lambda compute (arm64, 512 MB)', qty: `${gbSeconds.toFixed(3)} GB-s`, price: '$0.0000133334 / GB-s', usd: gbSeconds * PRICES.lambdaPerGbSecondArm },
    { name: 'API Gateway REST', qty: `${apiRequests} requests`, price: '$3.50 / 1M requests', usd: apiRequests * PRICES.apiGatewayRestPerRequest },
    { name: 'DynamoDB on-demand writes', qty: `${wru} WRU`, price: '$1.25 / 1M WRU', usd: wru * PRICES.dynamoPerWru },
    { name: 'DynamoDB on-demand reads', qty: `${rru} RRU`, price: '$0.25 / 1M RRU', usd: rru * PRICES.dynamoPerRru },
    { name: 'SNS publishes', qty: `${lifecycle.sns.publishes} publishes`, price: '$0.50 / 1M publishes', usd: lifecycle.sns.publishes * PRICES.snsPerPublish },
    { name: 'SNS email deliveries', qty: `${lifecycle.sns.emailDeliveries} emails`, price: '$2.00 / 100,000 emails', usd: lifecycle.sns.emailDeliveries * PRICES.snsPerEmail },
  ];
  const total = items.reduce((s, i) => s + i.usd, 0);

  const rows: Row[] = items.map((i) => ({ name: i.name, value: fmtUsd(per1k(i.usd)), detail: `${i.qty} per lifecycle × ${i.price}` }));
  rows.push({ name: 'TOTAL per 1,000 lifecycles', value: fmtUsd(per1k(total)), detail: `${fmtUsd(total, 6)} per lifecycle` });
  rows.push({ name: '  marginal: 1,000 more authorize calls', value: fmtUsd(1000 * (PRICES.apiGatewayRestPerRequest + PRICES.lambdaPerRequest + (billedMs(authorizeHandlerNs / 1e6) / 1000) * MODEL.lambdaMemoryGb * PRICES.lambdaPerGbSecondArm + PRICES.dynamoPerRru)), detail: 'API Gateway + Lambda + one RRU each' });
  for (const i of invocations) {
    rows.push({ name: `  Lambda ${i.what}`, value: `×${i.count}`, detail: `measured ${i.ms.toFixed(1)} ms → billed ${billedMs(i.ms)} ms at 512 MB` });
  }
  for (const line of lifecycle.dynamodb.lines) {
    rows.push({ name: `  DynamoDB ${line.what}`, value: `×${line.count}`, detail: [line.rru ? `${line.rru} RRU` : '', line.wru ? `${line.wru} WRU` : ''].filter(Boolean).join(', ') });
  }
  rows.push({ name: '  DynamoDB authorize GetItem (grant slot)', value: `×${n}`, detail: `${n} RRU` });

  return {
    title: `6. Cost model: USD per 1,000 lifecycles on AWS (${PRICES.region}, list prices, free tiers ignored)`,
    rows,
    notes: [
      `one lifecycle = the ${lifecycle.transitions}-transition lifecycle of section 4 (create, MFA answer, one approval, activation, expiring notice, expiry) + ${n} authorize calls; TOTP enrolment (once per user) and status polling are left out`,
      `Lambda duration per invocation = max(${MODEL.minBilledMs} ms, measured locally) at 512 MB: local durations run against DynamoDB Local on loopback and understate AWS network latency`,
      'DynamoDB units from the calls the code made during the lifecycle: consistent read ≤ 4 KB = 1 RRU; write = 1 WRU per KB of item, twice that inside TransactWriteItems; item sizes ≈ their JSON size (task tokens on AWS are longer than local ones, which can add a unit to request writes)',
      'DynamoDB prices are the ones this model was given ($1.25 / $0.25 per million); AWS announced on-demand prices 50% lower in November 2024 ($0.625 / $0.125), so that line is an upper bound',
      'not modelled: KMS requests (the table and topics use a customer managed key), X-Ray traces, CloudWatch Logs ingestion, Secrets Manager reads (once per container), data transfer',
    ],
  };
}
