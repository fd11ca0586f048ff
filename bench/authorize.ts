/**
 * 2. The authorize hot path, in-process against DynamoDB Local: the authorize Lambda
 * handler called with the API Gateway proxy event local mode would build for
 * POST /v1/authorize, measured two ways, each side by side with what it cannot avoid:
 *
 * - steady state (an app calling again with the token it already used; the verifier
 *   remembers it, shared/adapters/token-cache.ts) vs one consistent GetItem of the
 *   grant slot alone;
 * - first call per token (a token never seen, so the full check) vs one JWT verify
 *   with aws-jwt-verify (JWKS cached) plus that GetItem.
 */
import type { IncomingMessage } from 'node:http';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { buildRouter, toProxyEvent } from '../local/apigateway';
import { lambdaEntries } from '../local/cfn';
import { TABLE_NAME } from '../local/server';
import { keys } from '../shared/adapters/keys';
import { principalId } from '../shared/domain/identity';
import type { BenchVerifier } from './jwt';
import { fmtMs, fmtRatio, interleave, summarize, target, type SectionResult } from './stats';
import type { BenchLocal } from './support';

const WARMUP = 300;
const ITERATIONS = 2000;
const BATCH = 100;
/** First call per token: every call signs nothing (tokens are made before the timing) but needs a token of its own. */
const FIRST_WARMUP = 100;
const FIRST_ITERATIONS = 1000;
const FIRST_BATCH = 100;
export const AUTHORIZE_ACTION = 'reports:read';

export interface AuthorizeFigures {
  section: SectionResult;
  /** Median ns of one authorize handler call with a token not seen before (for the cost model). */
  handlerMedianNs: number;
}

export async function benchAuthorize({ local, api }: BenchLocal, verifier: BenchVerifier): Promise<AuthorizeFigures> {
  const token = await local.idp.signToken('alice');
  // An active grant: reports:read is auto-approved; an hour, so it outlives the run.
  const created = await api.expect([200, 201], 'POST', '/v1/requests', token, { action: AUTHORIZE_ACTION, durationSeconds: 3600 });
  if (created.json?.status !== 'active') throw new Error(`the ${AUTHORIZE_ACTION} request is ${created.json?.status}, not active`);

  // The event exactly as local mode's API Gateway stand-in builds it for this route.
  const match = buildRouter(local.template).match('POST', '/v1/authorize');
  if (match?.kind !== 'lambda') throw new Error('no Lambda route for POST /v1/authorize in the template');
  const body = Buffer.from(JSON.stringify({ action: AUTHORIZE_ACTION }));
  const eventFor = (bearer: string) => {
    const req = {
      url: '/v1/authorize',
      method: 'POST',
      rawHeaders: [
        ...['Host', `127.0.0.1:${local.port}`, 'Authorization', `Bearer ${bearer}`],
        ...['Content-Type', 'application/json', 'Content-Length', String(body.length)],
      ],
      socket: { remoteAddress: '127.0.0.1', localPort: local.port },
    } as unknown as IncomingMessage;
    return toProxyEvent(req, body, match, { stage: 'prod', domainName: `127.0.0.1:${local.port}` });
  };
  const event = eventFor(token);
  // In this process, with the authorize function's environment in local mode and the two values esbuild would inline.
  const entries = lambdaEntries(local.template);
  const authorizeId = Object.keys(entries).find((id) => entries[id] === 'functions/authorize/index.ts')!;
  Object.assign(process.env, local.lambda.environment(authorizeId), {
    JITGATE_CONFIG_JSON: JSON.stringify(local.config),
    JITGATE_CONFIG_MODE: 'local',
  });
  // handler.ts, not the entry: index.ts's prefetch awaits at its top level, which tsx's CommonJS cannot load.
  const { handler } = await import('../functions/authorize/handler');
  const first = (await handler(event)) as APIGatewayProxyResult;
  const decision = JSON.parse(first.body) as { allowed?: boolean; reason?: string };
  if (first.statusCode !== 200 || decision.allowed !== true) throw new Error(`authorize handler: ${first.statusCode} ${first.body}`);

  // The baseline: the same token, the same grant slot, a client configured as the handlers' (endpoint from AWS_ENDPOINT_URL_DYNAMODB).
  const issuer = Object.values(local.config.issuers).find((i) => i.development)!;
  const slot = keys.grantSlot(principalId(issuer.issuer, 'alice'), AUTHORIZE_ACTION, '*');
  const ddb = new DynamoDBClient({ maxAttempts: 3 });
  const getItem = () =>
    ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: { pk: { S: slot.pk }, sk: { S: slot.sk } }, ConsistentRead: true }));
  const item = await getItem();
  if (item.Item?.status?.S !== 'active') throw new Error(`the grant slot ${slot.pk} is not active: ${JSON.stringify(item.Item)}`);

  const call = async (e: typeof event) => {
    const r = (await handler(e)) as APIGatewayProxyResult;
    if (r.statusCode !== 200) throw new Error(`authorize handler: ${r.statusCode} ${r.body}`);
  };

  // First call per token: a new token for every call of either side (a jti apiece), signed before the timing.
  const fresh = await Promise.all(
    Array.from({ length: FIRST_WARMUP + FIRST_ITERATIONS }, (_, i) => local.idp.signToken('alice', { extraClaims: { jti: `bench-${i}` } })),
  );
  const freshEvents = fresh.map(eventFor);
  let nextHandler = 0;
  let nextBaseline = 0;
  const jwtNs: number[] = [];
  const getNs: number[] = [];
  const firstCall = await interleave(
    {
      handler: () => call(freshEvents[nextHandler++]!),
      baseline: async () => {
        const t0 = process.hrtime.bigint();
        await verifier.verify(fresh[nextBaseline++]!);
        const t1 = process.hrtime.bigint();
        await getItem();
        const t2 = process.hrtime.bigint();
        jwtNs.push(Number(t1 - t0));
        getNs.push(Number(t2 - t1));
      },
    },
    { warmup: FIRST_WARMUP, iterations: FIRST_ITERATIONS, batch: FIRST_BATCH },
  );
  // Steady state: the same token every call, so every call after the first is a cache hit. Second, so that DynamoDB
  // Local's JVM is warm (measured first, its GetItem medians came out ~70% slower and the ratio noisier).
  const steady = await interleave(
    { handler: () => call(event), getItem: getItem },
    { warmup: WARMUP, iterations: ITERATIONS, batch: BATCH },
  );

  ddb.destroy();

  const hs = summarize(steady.handler);
  const g = summarize(steady.getItem);
  const hf = summarize(firstCall.handler);
  const b = summarize(firstCall.baseline);
  const jwt = summarize(jwtNs.slice(FIRST_WARMUP));
  const get = summarize(getNs.slice(FIRST_WARMUP));
  const steadyRatio = hs.median / g.median;
  const firstRatio = hf.median / b.median;
  const allowed = `allowed (${decision.reason})`;
  const section: SectionResult = {
    title: '2. authorize hot path, in-process against DynamoDB Local',
    rows: [
      { name: 'steady state: authorize handler, same token', value: fmtMs(hs.median), detail: `p95 ${fmtMs(hs.p95)}; ${allowed}` },
      { name: 'steady state: one consistent GetItem alone', value: fmtMs(g.median), detail: `p95 ${fmtMs(g.p95)}; side by side, same run` },
      {
        name: 'ratio steady-state handler / GetItem',
        value: fmtRatio(steadyRatio),
        detail: `medians; p95 ratio ${fmtRatio(hs.p95 / g.p95)}`,
        target: target('≤ 1.1x', steadyRatio <= 1.1),
      },
      { name: 'first call per token: authorize handler', value: fmtMs(hf.median), detail: `p95 ${fmtMs(hf.p95)}; a new token every call` },
      { name: 'baseline: JWT verify + GetItem', value: fmtMs(b.median), detail: `p95 ${fmtMs(b.p95)}; the same new tokens` },
      { name: '  of which aws-jwt-verify verify()', value: fmtMs(jwt.median), detail: `p95 ${fmtMs(jwt.p95)}` },
      { name: '  of which GetItem (consistent)', value: fmtMs(get.median), detail: `p95 ${fmtMs(get.p95)}` },
      {
        name: 'ratio first-call handler / baseline',
        value: fmtRatio(firstRatio),
        detail: `medians; p95 ratio ${fmtRatio(hf.p95 / b.p95)}`,
        target: target('≤ 1.5x', firstRatio <= 1.5),
      },
    ],
    notes: [
      `steady state: ${ITERATIONS} timed calls each after ${WARMUP} warm-up, interleaved in batches of ${BATCH}; ` +
        `first call: ${FIRST_ITERATIONS} each after ${FIRST_WARMUP}, batches of ${FIRST_BATCH}; per-call wall time (process.hrtime.bigint)`,
      `the handler parses the event, verifies the token (jitgate's verifier: aws-jwt-verify with its custom checks, ` +
        `or its verified-token cache on a token seen before), evaluates the policy and reads the grant slot ` +
        `through the DynamoDB DocumentClient; ` +
        `the GetItem and the baseline use the low-level client`,
    ],
  };
  // The cost model prices every authorize call as a first call: the upper bound.
  return { section, handlerMedianNs: hf.median };
}
