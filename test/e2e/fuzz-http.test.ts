/**
 * A sample of test/generative/fuzz.test.ts's generated inputs over real HTTP to local mode:
 * through API Gateway's routing (mock 404/405 included) into the deployed bundles, with real
 * tokens. Never a 5xx (a function error would be API Gateway's 502); every API refusal a problem
 * document; the approval page's a 4xx page; a refused input leaves the requests aimed at as they
 * were, and their invariants hold.
 */
import fc from 'fast-check';
import { ROUTES } from '../../infra/api';
import { fuzzEvents } from '../support/fuzz-events';
import { localModeSnapshots } from '../support/invariant-sources';
import { expectInvariants } from '../support/invariants';
import { Client } from '../support/local-mode';
import { SHARED_START_TIMEOUT_MS, sharedLocalMode, type SharedLocalMode } from '../support/shared-local-mode';

const PER_ROUTE = process.env.JITGATE_DEEP === '1' ? 500 : 20;

let local: SharedLocalMode;
let api: Client;
/** The fuzz world's token placeholders, as the real tokens they stand for. */
const tokens: Record<string, string> = {};
let ids: string[];
let links: string[];

beforeAll(async () => {
  local = await sharedLocalMode('e2e');
  api = new Client(local.url, local.dataDir);
  const alice = await api.token('alice', { as: 'fuzz' });
  Object.assign(tokens, { 'Bearer alice-fuzz': `Bearer ${alice}`, 'Bearer bob': `Bearer ${await api.token('bob')}` });
  const pending = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'prod:debug', resource: 'fuzz/1', durationSeconds: 600 },
  });
  const active = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'reports:read', resource: 'fuzz/2', durationSeconds: 600 },
  });
  ids = [pending.json.id, active.json.id];
  await api.waitForStatus(alice, active.json.id, 'active');
  const link = await api.linkFor('bob@example.com', pending.json.id);
  links = [link.slice(link.indexOf('/approve/') + '/approve/'.length)];
}, SHARED_START_TIMEOUT_MS);

test(`${PER_ROUTE} generated inputs per route over HTTP: no 5xx, refusals explained, nothing changed`, async () => {
  // A request whose approvals are complete has its grant times, and the state machine activates it a moment
  // later, whatever the next input is: counted as active already, or that step would pin on the next refusal.
  const statusOf = (r: { status: string; grantTimes?: unknown }) => (r.status === 'pending_approval' && r.grantTimes ? 'active' : r.status);
  const statuses = async () =>
    Promise.all(
      ids.map(async (id) => statusOf((await api.call('GET', `/v1/requests/${id}`, { token: tokens['Bearer alice-fuzz']!.slice(7) })).json)),
    );
  let before = await statuses();
  let sent = 0;
  let unsendable = 0;
  let reconnects = 0;
  for (const route of ROUTES) {
    const world = { ids, links, tokens: Object.keys(tokens) };
    await fc.assert(
      fc.asyncProperty(fuzzEvents(route, world), async (event) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(event.headers)) {
          // fetch sets these itself; a forged length only breaks the client.
          if (k === 'host' || k === 'content-length' || v === undefined) continue;
          headers[k] = k === 'authorization' ? (tokens[v] ?? v) : v;
        }
        // Decisions would change what the other cases aim at: the approval page only reads here.
        const method = route.path.startsWith('/approve') && event.httpMethod === 'POST' ? 'GET' : event.httpMethod;
        const query = event.queryStringParameters ? `?${new URLSearchParams(event.queryStringParameters as Record<string, string>)}` : '';
        const body =
          method === 'GET' || method === 'HEAD' ? undefined : event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : event.body;
        const send = () => fetch(`${local.url}${event.path}${query}`, { method, headers, body: body ?? null, redirect: 'manual' });
        let res: Response;
        try {
          res = await send().catch((err: Error) => {
            // A pooled keep-alive connection the server closed as it was reused: sent again once, the same input.
            if (!String((err as { cause?: unknown }).cause).includes('other side closed')) throw err;
            reconnects++;
            return send();
          });
        } catch (err) {
          // A header value fetch cannot put on the wire (a newline, a character outside Latin-1): never sent.
          if (err instanceof TypeError && err.message !== 'fetch failed') return void unsendable++;
          throw err;
        }
        sent++;
        const text = await res.text();
        if (res.status >= 500) throw new Error(`${method} ${event.path}${query}: ${res.status} ${text.slice(0, 300)}`);
        // An accepted input may change what it aims at (a valid cancel does); a refused one must not.
        // Only a POST, or a page for people (approval page, console: never a change on GET), could.
        const now = method === 'POST' || route.target !== 'api' ? await statuses() : before;
        if (res.status < 400) before = now;
        else if (JSON.stringify(now) !== JSON.stringify(before))
          throw new Error(`${method} ${event.path}: refused with ${res.status}, yet the requests went ${before} → ${now}`);
        if (res.status < 400 || method === 'HEAD') return;
        const type = res.headers.get('content-type') ?? '';
        // The approval page and the console answer people: their refusals are HTML pages.
        if ((route.target === 'approve' || route.target === 'console') && type.startsWith('text/html')) return;
        if (!type.startsWith('application/problem+json')) throw new Error(`${method} ${event.path}: ${res.status} as ${type}: ${text}`);
        const doc = JSON.parse(text);
        for (const field of ['type', 'title', 'status', 'detail'])
          if (doc[field] === undefined) throw new Error(`${method} ${event.path}: the problem document has no ${field}: ${text}`);
      }),
      { numRuns: PER_ROUTE },
    );
  }
  console.log(
    `fuzz (HTTP): ${sent} requests sent over ${ROUTES.length} routes, ${unsendable} not sendable by fetch, ` +
      `${reconnects} sent again on a fresh connection`,
  );
  const mine = (r: { requester: { sub: string } }) => r.requester.sub === 'alice-fuzz';
  const snapshots = localModeSnapshots(local.url, local.table, mine);
  try {
    await expectInvariants(snapshots.read, { only: mine });
  } finally {
    snapshots.close();
  }
}, 300_000);
