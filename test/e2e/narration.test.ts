/**
 * Local mode's console tells each request's story (local/narration.ts), one line per step, tagged
 * with the request id: alice asks, answers her MFA challenge, bob and carol get their links, bob
 * approves, the grant runs for a few seconds, is about to end, and ends.
 */
import { Client } from '../support/local-mode';
import { SHARED_START_TIMEOUT_MS, sharedLocalMode, type SharedLocalMode } from '../support/shared-local-mode';
import { waitFor } from '../support/wait';

let local: SharedLocalMode;
let api: Client;

beforeAll(async () => {
  local = await sharedLocalMode('e2e');
  api = new Client(local.url, local.dataDir);
}, SHARED_START_TIMEOUT_MS);

/** Which step a console line tells. */
const STEPS: [string, RegExp][] = [
  ['created', /^created by alice-narrated: e2e:narrated on narration\/1$/],
  ['MFA waiting', /^waiting for alice-narrated's MFA code$/],
  ['notified', /^✉ (bob|carol)@example\.com: http:\/\/127\.0\.0\.1:\d+\/approve\/\S+$/],
  ['approved', /^approved by bob$/],
  ['active', /^active until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/],
  ['expiring', /^expiring at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/],
  ['ended', /^ended: expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/],
];
const stepOf = (line: string) => STEPS.find(([, re]) => re.test(line))?.[0] ?? `unexpected: ${line}`;

test('one line per step of a whole lifecycle, each tagged with the request id; no ✉ line without a link', async () => {
  const alice = await api.token('alice', { as: 'narrated' });
  const code = await api.enrolTotp(alice);
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'e2e:narrated', resource: 'narration/1', durationSeconds: 4 },
  });
  expect(created.status).toBe(201);
  const id: string = created.json.id;
  expect((await api.call('POST', `/v1/requests/${id}/mfa`, { token: alice, body: { code: code() } })).status).toBe(200);
  await api.waitForStatus(alice, id, 'pending_approval');
  const bob = await api.token('bob');
  expect((await api.call('POST', `/v1/requests/${id}/decisions`, { token: bob, body: { decision: 'approve' } })).status).toBe(200);
  await api.waitForStatus(alice, id, 'expired');

  const tag = `[${id}] `;
  const told = async () =>
    (await local.output())
      .split('\n')
      .filter((l) => l.startsWith(tag))
      .map((l) => l.slice(tag.length));
  const lines = await waitFor(told, (ls) => ls.some((l) => l.startsWith('ended:')), { what: `request ${id}'s end on the console` });
  expect(lines.map(stepOf)).toEqual(['created', 'MFA waiting', 'notified', 'notified', 'approved', 'active', 'expiring', 'ended']);
  expect(lines.filter((l) => l.startsWith('✉')).map((l) => l.split(':')[0])).toEqual(
    expect.arrayContaining(['✉ bob@example.com', '✉ carol@example.com']),
  );

  // Lifecycle events reach nobody's mailbox in local mode: only personal links get a ✉ line, anywhere on the console.
  const mailed = (await local.output()).split('\n').filter((l) => l.includes('✉'));
  expect(mailed.filter((l) => !/✉ [^:]+: https?:\/\//.test(l))).toEqual([]);
});
