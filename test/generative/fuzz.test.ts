/**
 * Fuzzing every route of infra/api.ts (ROUTES) through the handlers the bundles are built from, in
 * process, on the in-memory ports: generated methods, paths, headers, query strings and bodies
 * (mutations of valid bodies, keyed on each zod schema's fields, plus random JSON, text and bytes).
 * Whatever comes in: never a 5xx and never a throw; an API refusal is an RFC 9457 problem document
 * naming the problem, an approval-page refusal a 4xx page; a refused input changes no request and
 * no grant slot. test/e2e/fuzz-http.test.ts sends a sample of the same over real HTTP to local mode.
 */
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import fc from 'fast-check';
import type { Principal } from '../../shared/domain/identity';
import { InvalidToken } from '../../shared/domain/errors';
import type { Deps } from '../../shared/runtime';
import { ROUTES, type Route } from '../../infra/api';
import { createRequest } from '../../shared/usecases/requests';
import { awaitApproval } from '../../shared/usecases/workflow-steps';
import { demo } from '../support/principals';
import { fuzzEvents, type FuzzWorld } from '../support/fuzz-events';
import { LINK_BASE, world } from '../unit/usecases/scenario';

const DEEP = process.env.JITGATE_DEEP === '1';
const PER_ROUTE = DEEP ? 50_000 : 10_000;

const people: Record<string, Principal> = {
  'Bearer alice-token': demo('alice'),
  'Bearer bob-token': demo('bob'),
  'Bearer audrey-token': demo('audrey'),
};
/** A fresh world per route: what one route's cases store (refusals on the record) does not slow the next. */
let w: ReturnType<typeof world>;
let deps: Deps;
function freshWorld(): void {
  w = world();
  deps = {
    ...w.deps,
    verifier: {
      verify: async (header?: string) => {
        // Own keys only: a header such as "toString" names no one.
        if (!header || !Object.hasOwn(people, header)) throw new InvalidToken('unknown token');
        return people[header]!;
      },
    },
  };
}
jest.mock('../../shared/runtime', () => ({ runtime: () => deps }));
// authorize takes the lean part of the composition root (shared/runtime-core.ts).
jest.mock('../../shared/runtime-core', () => ({ coreRuntime: () => deps }));

// Imported after the mock: the handlers take their Deps from it.
import { handler as api } from '../../functions/api/index';
import { handler as approve } from '../../functions/approve/index';
import { handler as authorize } from '../../functions/authorize/handler';
import { handler as webConsole } from '../../functions/console/index';
import { quietly } from '../support/quiet';

const handlers = { api, approve, authorize, console: webConsole };
const context = { functionName: 'Fuzz', awsRequestId: 'fuzz', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** What a refused input must leave alone: every request's status, approvals and MFA state, and the grant slots. */
function fingerprint(): string {
  return w.store.summarize((r) => `${r.id}:${r.status}:${r.approvals.length}:${r.mfa.failures}:${r.mfa.passedAt ?? ''}`).join(' ');
}

/** Stores a pending request (approval asked, a link sent) and an active grant to aim at. */
async function seed(): Promise<FuzzWorld> {
  freshWorld();
  const alice = demo('alice');
  const pending = await createRequest(w.deps, alice, { action: 'prod:debug', durationSeconds: 600 }, { linkBase: LINK_BASE });
  await awaitApproval(w.deps, pending.request.id, 'T-approval', LINK_BASE);
  const active = await createRequest(w.deps, alice, { action: 'reports:read', durationSeconds: 600 }, { linkBase: LINK_BASE });
  const link = /\S+\/approve\/\S+/.exec(w.notifier.sent.map((m) => m.text).join('\n'))?.[0];
  if (!link) throw new Error('no approval link was sent');
  return {
    ids: [pending.request.id, active.request.id],
    links: [link.slice(link.indexOf('/approve/') + '/approve/'.length)],
    tokens: Object.keys(people),
  };
}

/**
 * The console's sign-in starts with the issuer's discovery document; the in-process world has no
 * IdP, so there the answer is the one a person gets while their IdP is down: 503 with Retry-After.
 * No socket is opened for it: the demo issuer's port (127.0.0.1:4000, `npm start`'s) may be
 * serving a real local mode on a developer's machine, which would answer.
 */
const realFetch = globalThis.fetch;
beforeAll(() => {
  globalThis.fetch = async () => {
    throw new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4000'), { code: 'ECONNREFUSED' }),
    });
  };
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

function reachesIdp(route: Route): boolean {
  return route.target === 'console' && route.path === '/console/signin';
}

function problemIn(route: Route, res: APIGatewayProxyResult): string | undefined {
  if (typeof res?.statusCode !== 'number') return 'no status code';
  if (res.statusCode === 503 && reachesIdp(route) && res.headers?.['retry-after']) return undefined;
  if (res.statusCode >= 500) return `answered ${res.statusCode}: ${res.body.slice(0, 300)}`;
  if (res.statusCode < 400) return undefined;
  const type = String(res.headers?.['content-type'] ?? res.headers?.['Content-Type'] ?? '');
  // The approval page and the console answer people: a refusal is an HTML page, not a problem document.
  if (route.target === 'approve' || route.target === 'console')
    return type.startsWith('text/html') ? undefined : `a refused page as ${type}`;
  if (!type.startsWith('application/problem+json')) return `refused as ${type}, not a problem document`;
  const doc = JSON.parse(res.body) as Record<string, unknown>;
  for (const field of ['type', 'title', 'status', 'detail'])
    if (doc[field] === undefined || doc[field] === '') return `the problem document has no ${field}: ${res.body}`;
  if (doc.status !== res.statusCode) return `the problem document says ${doc.status}, the answer ${res.statusCode}`;
  return undefined;
}

const counts: Record<string, number> = {};
afterAll(() => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(
    `fuzz (in process): ${total} cases over ${Object.keys(counts).length} routes, ${Math.min(...Object.values(counts))} at least each`,
  );
});

describe.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_name, route) => {
  test(
    `${PER_ROUTE} generated inputs: no 5xx, refusals explained, nothing changed by a refusal`,
    async () => {
      const fuzz = await seed();
      let refused = 0;
      await quietly(() =>
        fc.assert(
          fc.asyncProperty(fuzzEvents(route, fuzz), async (event) => {
            const before = fingerprint();
            const res = await handlers[route.target](event, context);
            const problem = problemIn(route, res);
            if (problem) throw new Error(`${event.httpMethod} ${event.path}: ${problem}\nbody: ${String(event.body).slice(0, 300)}`);
            if (res.statusCode >= 400) {
              refused++;
              if (fingerprint() !== before) throw new Error(`a refused input (${res.statusCode}) changed a request: ${res.body}`);
            }
          }),
          { numRuns: PER_ROUTE },
        ),
      );
      counts[`${route.method} ${route.path}`] = PER_ROUTE;
      expect(refused).toBeGreaterThan(0);
    },
    DEEP ? 900_000 : 120_000,
  );
});
