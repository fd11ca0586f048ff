/**
 * 2. The authorize hot path, in-process against DynamoDB Local: the authorize Lambda
 * handler called with the API Gateway proxy event local mode would build for
 * POST /v1/authorize, vs the bare cost of what it must do: one JWT verify with
 * aws-jwt-verify (JWKS cached) plus one consistent GetItem of the grant slot.
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
export const AUTHORIZE_ACTION = 'reports:read';

export interface AuthorizeFigures {
  section: SectionResult;
  /** Median ns of one authorize handler call (for the cost model). */
  handlerMedianNs: number;
}

export async function benchAuthorize({ local, api }: BenchLocal, verifier: BenchVerifier): Promise<AuthorizeFigures> {
  const token = await local.idp.signToken('alice');
  // An active grant: reports:read is auto-approved; an hour, so it outlives the run.
  const created = await api.expect([200, 201], 'POST', '/v1/requests', token, { action: AUTHORIZE_ACTION, durationSeconds: 3600 });
  if (created.json?.status !== 'active') throw new Error(`the ${AUTHORIZE_ACTION} request is ${created.json?.status}, not active`);

  // The event exactly as local mode's API Gateway stand-in builds it for this route.
  const match = buildRouter(local.template).match('POST', '/v1/authorize');
  if (!match || match.kind !== 'lambda') throw new Error('no Lambda route for POST /v1/authorize in the template');
  const body = Buffer.from(JSON.stringify({ action: AUTHORIZE_ACTION }));
  const req = {
    url: '/v1/authorize',
    method: 'POST',
    rawHeaders: ['Host', `127.0.0.1:${local.port}`, 'Authorization', `Bearer ${token}`, 'Content-Type', 'application/json', 'Content-Length', String(body.length)],
    socket: { remoteAddress: '127.0.0.1', localPort: local.port },
  } as unknown as IncomingMessage;
  const event = toProxyEvent(req, body, match, { stage: 'prod', domainName: `127.0.0.1:${local.port}` });
  // In this process, with the authorize function's environment in local mode and the two values esbuild would inline.
  const entries = lambdaEntries(local.template);
  const authorizeId = Object.keys(entries).find((id) => entries[id] === 'functions/authorize/index.ts')!;
  Object.assign(process.env, local.lambda.environment(authorizeId), { JITGATE_CONFIG_JSON: JSON.stringify(local.config), JITGATE_CONFIG_MODE: 'local' });
  const { handler } = await import('../functions/authorize/index');
  const first = (await handler(event)) as APIGatewayProxyResult;
  const decision = JSON.parse(first.body) as { allowed?: boolean; reason?: string };
  if (first.statusCode !== 200 || decision.allowed !== true) throw new Error(`authorize handler: ${first.statusCode} ${first.body}`);

  // The baseline: the same token, the same grant slot, a client configured as the handlers' (endpoint from AWS_ENDPOINT_URL_DYNAMODB).
  const issuer = Object.values(local.config.issuers).find((i) => i.development)!;
  const slot = keys.grantSlot(principalId(issuer.issuer, 'alice'), AUTHORIZE_ACTION, '*');
  const ddb = new DynamoDBClient({ maxAttempts: 3 });
  const getItem = () => ddb.send(new GetItemCommand({ TableName: TABLE_NAME, Key: { pk: { S: slot.pk }, sk: { S: slot.sk } }, ConsistentRead: true }));
  const item = await getItem();
  if (item.Item?.status?.S !== 'active') throw new Error(`the grant slot ${slot.pk} is not active: ${JSON.stringify(item.Item)}`);

  const jwtNs: number[] = [];
  const getNs: number[] = [];
  const samples = await interleave(
    {
      handler: async () => {
        const r = (await handler(event)) as APIGatewayProxyResult;
        if (r.statusCode !== 200) throw new Error(`authorize handler: ${r.statusCode} ${r.body}`);
      },
      baseline: async () => {
        const t0 = process.hrtime.bigint();
        await verifier.verify(token);
        const t1 = process.hrtime.bigint();
        await getItem();
        const t2 = process.hrtime.bigint();
        jwtNs.push(Number(t1 - t0));
        getNs.push(Number(t2 - t1));
      },
    },
    { warmup: WARMUP, iterations: ITERATIONS, batch: BATCH },
  );
  ddb.destroy();

  const h = summarize(samples.handler);
  const b = summarize(samples.baseline);
  const jwt = summarize(jwtNs.slice(WARMUP));
  const get = summarize(getNs.slice(WARMUP));
  const ratio = h.median / b.median;
  const section: SectionResult = {
    title: '2. authorize hot path, in-process against DynamoDB Local',
    rows: [
      { name: 'authorize handler (POST /v1/authorize event)', value: fmtMs(h.median), detail: `p95 ${fmtMs(h.p95)}; allowed: true (${decision.reason})` },
      { name: 'baseline: JWT verify + GetItem', value: fmtMs(b.median), detail: `p95 ${fmtMs(b.p95)}` },
      { name: '  of which aws-jwt-verify verify()', value: fmtMs(jwt.median), detail: `p95 ${fmtMs(jwt.p95)}` },
      { name: '  of which GetItem (consistent)', value: fmtMs(get.median), detail: `p95 ${fmtMs(get.p95)}` },
      { name: 'ratio handler / baseline', value: fmtRatio(ratio), detail: `medians; p95 ratio ${fmtRatio(h.p95 / b.p95)}`, target: target('≤ 1.5x', ratio <= 1.5) },
    ],
    notes: [
      `${ITERATIONS} timed calls each after ${WARMUP} warm-up, interleaved in batches of ${BATCH}; per-call wall time (process.hrtime.bigint)`,
      `the handler parses the event, verifies the token (jitgate's verifier: aws-jwt-verify with its custom checks), evaluates the policy and reads the grant slot through the DynamoDB DocumentClient; the baseline uses the low-level client`,
    ],
  };
  return { section, handlerMedianNs: h.median };
}
