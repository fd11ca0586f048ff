/**
 * Issue 10 "Security", findings 4, 5, 6, 7 and 10: each attack replayed over HTTP
 * against local mode started as `npm start` does, with tokens signed by the
 * development IdP's keys (chosen claims such as `auth_time` included).
 */
import { Client, freePort, startLocalMode, tempDir, type Running } from '../support/local-mode';

let local: Running;
let api: Client;

beforeAll(async () => {
  const dataDir = tempDir('jitgate-security-');
  local = await startLocalMode({ port: await freePort(), dataDir });
  api = new Client(local.url, dataDir);
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

test('finding 6: dave, denied data:export on datasets/q3-payroll, cannot reach it through dot segments or percent-encoding', async () => {
  const dave = await api.token('dave');
  const direct = await api.call('POST', '/v1/requests', { token: dave, body: { action: 'data:export', resource: 'datasets/q3-payroll' } });
  expect(direct.status).toBe(403);

  const disguised: [string, RegExp][] = [
    ['datasets/public-x/../q3-payroll', /"\.\." segments/],
    ['datasets/public-%2F..%2Fq3-payroll', /percent-encoding/],
    ['datasets/public-x\\..\\q3-payroll', /backslashes/],
    ['datasets/public-\u202eq3-payroll', /bidirectional/],
    ['datasets/public-\u200bq3-payroll', /zero-width/],
    ['datasets/public-x/./q3-payroll', /segments/],
  ];
  for (const [resource, why] of disguised) {
    for (const path of ['/v1/requests', '/v1/authorize']) {
      const res = await api.call('POST', path, { token: dave, body: { action: 'data:export', resource } });
      expect({ path, resource, status: res.status }).toEqual({ path, resource, status: 400 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.json.errors[0]).toMatchObject({ path: 'resource', message: expect.stringMatching(why) });
    }
  }
  // A lone surrogate, as JSON can carry it.
  const lone = await api.call('POST', '/v1/requests', { token: dave, raw: '{"action":"data:export","resource":"datasets/public-\\ud800"}', headers: { 'content-type': 'application/json' } });
  expect(lone.status).toBe(400);
  expect(lone.json.errors[0].message).toMatch(/surrogate/);

  // Nothing was granted or even asked for.
  const mine = await api.call('GET', '/v1/requests', { token: dave });
  expect(mine.json.requests).toEqual([]);
  const still = await api.call('POST', '/v1/authorize', { token: dave, body: { action: 'data:export', resource: 'datasets/public-x' } });
  expect(still.json.allowed).toBe(false);
});
