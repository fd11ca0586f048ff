/**
 * The handlers' log lines (shared/observability.ts): the Lambda context and the request id
 * as `correlation_id` on every line of a call that concerns a request, and never a
 * credential from the event: not the bearer token, not the approval link, not the TOTP code.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { Principal } from '../../../shared/domain/identity';
import { InvalidToken } from '../../../shared/domain/errors';
import type { Deps } from '../../../shared/runtime';
import { demo } from '../../support/principals';
import { LINK_BASE, world } from '../usecases/scenario';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJlLXNlY3JldA';
const CODE = '804613';
const people: Record<string, Principal> = { [`Bearer ${TOKEN}`]: demo('alice'), 'Bearer bob-token-7a1f': demo('bob') };

const w = world();
const deps: Deps = {
  ...w.deps,
  verifier: {
    verify: async (header?: string) => {
      const p = people[header ?? ''];
      if (!p) throw new InvalidToken('unknown token');
      return p;
    },
  },
};
jest.mock('../../../shared/runtime', () => ({ runtime: () => deps }));
jest.mock('../../../shared/runtime-core', () => ({ coreRuntime: () => deps }));

// Imported after the mock: the handlers take their Deps from it.
import { handler as api } from '../../../functions/api/index';
import { handler as approve } from '../../../functions/approve/index';
import { handler as awaitApproval } from '../../../functions/await-approval/index';
import { handler as authorize } from '../../../functions/authorize/handler';
import { handler as mfaChallenge } from '../../../functions/mfa-challenge/index';

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'ApiFunction',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:ApiFunction',
  memoryLimitInMB: '512',
  awsRequestId: 'lambda-invocation-1',
  logGroupName: '/aws/lambda/ApiFunction',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

function apiEvent(method: string, resource: string, body: unknown, id?: string, authorization = `Bearer ${TOKEN}`): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    resource,
    path: resource.replace('{id}', id ?? ''),
    headers: { authorization, 'content-type': 'application/json', host: '127.0.0.1:4000' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: id ? { id } : null,
    stageVariables: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { stage: 'prod', domainName: '127.0.0.1:4000' } as APIGatewayProxyEvent['requestContext'],
  };
}

/** The JSON lines written to stdout and stderr (Powertools writes errors there) while `run` runs. */
async function logLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('a create, an MFA answer with a code and an approval link: every line names the request, none carries a credential', async () => {
  let id = '';
  const created = await logLines(async () => {
    const res = await api(apiEvent('POST', '/v1/requests', { action: 'prod:debug', justification: 'incident 42' }), context);
    expect(res.statusCode).toBe(201);
    id = (JSON.parse(res.body) as { id: string }).id;
  });
  expect(w.metrics.total('RequestsCreated')).toBe(1);
  await awaitApproval({ requestId: id, taskToken: 'task-token-secret-9c2e', linkBase: LINK_BASE }, context);
  const link = /\/approve\/([^\s"<]+)/.exec(w.notifier.sent[0]!.text)![1]!;

  const answered = await logLines(async () => {
    const res = await api(apiEvent('POST', '/v1/requests/{id}/mfa', { code: CODE }, id), context);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
  });
  const page = await logLines(async () => {
    const res = await approve(
      { ...apiEvent('GET', '/approve/{link}', undefined), pathParameters: { link }, path: `/approve/${link}` },
      { ...context, functionName: 'ApproveFunction' },
    );
    expect(res.statusCode).toBe(200);
  });

  for (const lines of [created, answered, page]) {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({ correlation_id: id, function_request_id: 'lambda-invocation-1', cold_start: expect.any(Boolean) });
      const text = JSON.stringify(line);
      for (const secret of [TOKEN, CODE, link, 'task-token-secret-9c2e']) expect(text).not.toContain(secret);
    }
  }
});

test('a call about no request has no correlation id, and a bad token is not logged either', async () => {
  const lines = await logLines(async () => {
    const res = await api(apiEvent('GET', '/v1/requests', undefined, undefined, 'Bearer not-a-real-token-5d8e'), context);
    expect(res.statusCode).toBe(401);
  });
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(line.correlation_id).toBeUndefined();
    expect(JSON.stringify(line)).not.toContain('not-a-real-token-5d8e');
  }
});

test('authorize: the answer counted and timed, the line names the pending request it reports', async () => {
  const before = w.metrics.total('AuthorizeDenied');
  const lines = await logLines(async () => {
    const res = await authorize(apiEvent('POST', '/v1/authorize', { action: 'prod:debug' }), context);
    expect(JSON.parse(res.body)).toMatchObject({ allowed: false, pendingRequestId: 'req-1' });
  });
  expect(w.metrics.total('AuthorizeDenied')).toBe(before + 1);
  expect(w.metrics.recorded.at(-1)).toMatchObject({ name: 'AuthorizeLatency', value: expect.any(Number) });
  expect(lines.map((l) => [l.message, l.correlation_id])).toEqual([['handled', 'req-1']]);
  expect(JSON.stringify(lines)).not.toContain(TOKEN);
});

test('a step that fails: one "failed" line with the request id and the error, an echoed task token cut out', async () => {
  const taskToken = 'AQCEAAAAKgAAAAMAAAAAAAAAAf1N2Vv0v7mZ8cS3XhYkq9Lp0Rt6UwEyJ4oGbHnDa';
  const spy = jest.spyOn(deps.store, 'getRequest').mockRejectedValueOnce(new Error(`Provided task token is invalid: ${taskToken}`));
  const lines = await logLines(async () => {
    await expect(mfaChallenge({ requestId: 'req-1', taskToken }, context)).rejects.toThrow(/task token is invalid/);
  });
  spy.mockRestore();
  expect(lines).toEqual([
    expect.objectContaining({
      level: 'ERROR',
      message: 'failed',
      correlation_id: 'req-1',
      error: expect.objectContaining({ name: 'Error' }),
    }),
  ]);
  expect(JSON.stringify(lines)).not.toContain(taskToken);
});
