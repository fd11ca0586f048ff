/**
 * A model target (model-run.ts) with no local mode: the handlers the bundles are built from,
 * called in process with API Gateway proxy events, on the in-memory ports of depsForTest, and a
 * TestClock that only `sleep` moves. Before each call and after each tick of the clock it plays
 * the state machine's steps that are due: park the MFA token (MfaChallenge), ask for approval
 * (AwaitApproval), time out a pending request (TimedOut), expire a grant (Expire). Activate is
 * depsForTest's (its workflow runs activateGrant). So a history that took seconds on local mode takes
 * milliseconds, and hundreds of them run in CI.
 *
 * The caller routes `runtime()` to `deps` (jest.mock, as test/unit/functions/logging.test.ts does).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Config } from '../../../shared/config/config';
import { InvalidToken } from '../../../shared/domain/errors';
import type { Principal } from '../../../shared/domain/identity';
import type { Deps } from '../../../shared/runtime';
import { awaitApproval, endRequest, parkMfaToken } from '../../../shared/usecases/workflow-steps';
import { ROUTES, type Route } from '../../../infra/api';
import { depsForTest, type TestDeps } from '../memory/deps-for-test';
import { devPerson } from '../principals';
import type { ModelTarget } from './model-run';
import type { Res } from './model-rules';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const LINK_BASE = 'http://127.0.0.1:4000/approve/';
const CLAIMS: Record<string, Record<string, unknown>> = {
  alice: { groups: ['engineering'], email: 'alice@example.com' },
  bob: { groups: ['security-admins'], email: 'bob@example.com', name: 'Bob' },
  carol: { groups: ['security-admins', 'finance-approvers'], email: 'carol@example.com', name: 'Carol' },
};
const context = { functionName: 'Model', awsRequestId: 'model', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

export class MemoryTarget implements ModelTarget {
  readonly world: TestDeps;
  readonly deps: Deps;
  private readonly people = new Map<string, Principal>();
  private readonly requestIds: string[] = [];

  constructor(
    config: Config,
    private readonly handlers: Partial<Record<Route['target'], Handler>>,
  ) {
    this.world = depsForTest({ config, now: new Date() });
    this.deps = {
      ...this.world.deps,
      verifier: {
        verify: async (header?: string) => {
          const p = this.people.get(header ?? '');
          if (!p) throw new InvalidToken('unknown token');
          return p;
        },
      },
    };
  }

  async token(user: string, opts: { as?: string } = {}): Promise<string> {
    const sub = opts.as ? `${user}-${opts.as}` : user;
    // A fresh sign-in, as the development IdP's tokens carry: enrolling an authenticator asks for one.
    const claims = { ...CLAIMS[user], auth_time: Math.floor(this.now() / 1000) };
    this.people.set(`Bearer ${sub}`, devPerson(this.deps.config, sub, claims));
    return sub;
  }

  now(): number {
    return this.world.clock.now().getTime();
  }

  async sleep(ms: number): Promise<void> {
    this.world.clock.advance(ms / 1000);
    await this.tick();
  }

  /** Nothing to restart in memory: what a restart keeps is everything here. */
  async restart(): Promise<void> {}

  async call(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<Res> {
    await this.tick();
    const route = ROUTES.find((r) => r.method === method && pattern(r.path).test(path));
    if (!route) throw new Error(`no route for ${method} ${path}`);
    const values = pattern(route.path).exec(path)!.slice(1);
    const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const headers: Record<string, string> = { host: '127.0.0.1:4000', 'content-type': 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const event = {
      httpMethod: method,
      resource: route.path,
      path,
      headers,
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: names.length ? Object.fromEntries(names.map((n, i) => [n, values[i]!])) : null,
      stageVariables: null,
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      isBase64Encoded: false,
      requestContext: { stage: 'prod', domainName: '127.0.0.1:4000' },
    } as unknown as APIGatewayProxyEvent;
    const handle = this.handlers[route.target];
    if (!handle) throw new Error(`the model drives no ${route.target} route (${route.method} ${route.path})`);
    const result = await handle(event, context);
    const text = result.body ?? '';
    const res: Res = {
      status: result.statusCode,
      headers: { get: (name) => String(Object.entries(result.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1] ?? '') || null },
      text,
      json: parse(text),
    };
    if (method === 'POST' && path === '/v1/requests' && res.status === 201) this.requestIds.push(res.json.id);
    return res;
  }

  /** The state machine's steps that are due now, for every request the history created. */
  private async tick(): Promise<void> {
    const { store, workflow } = this.world;
    const now = this.now();
    for (const id of this.requestIds) {
      const stored = await store.getRequest(id);
      if (!stored) continue;
      const { request: r, tokens } = stored;
      const pending = r.status === 'pending_mfa' || r.status === 'pending_approval';
      const deadline = r.status === 'pending_mfa' ? r.mfaDeadline : r.status === 'pending_approval' ? r.approvalDeadline : undefined;
      if (pending && deadline && Date.parse(deadline) <= now) {
        for (const t of [tokens.mfaTaskToken, tokens.approvalTaskToken]) if (t) workflow.expire(t);
        await endRequest(this.deps, id, 'timed_out');
      } else if (r.status === 'pending_mfa' && !tokens.mfaTaskToken) {
        await parkMfaToken(this.deps, id, `T-${id}-mfa`);
      } else if (pending && (r.status === 'pending_approval' || r.mfa.passedAt) && !r.autoApproved && !tokens.approvalTaskToken) {
        await awaitApproval(this.deps, id, `T-${id}-approval`, LINK_BASE);
      } else if (r.status === 'active' && Date.parse(r.expiresAt) <= now) {
        await endRequest(this.deps, id, 'expired', r.expiresAt);
      }
    }
  }
}

const patterns = new Map<string, RegExp>();
function pattern(template: string): RegExp {
  let re = patterns.get(template);
  if (!re) patterns.set(template, (re = new RegExp(`^${template.replace(/\{\w+\}/g, '([^/]+)')}$`)));
  return re;
}

function parse(text: string): any {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
