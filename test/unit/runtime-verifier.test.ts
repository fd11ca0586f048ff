/**
 * The authorize function's init asks for the signing keys (functions/authorize/prefetch.ts):
 * it can never fail init, and the runtime the first invocation builds verifies with the keys it
 * fetched, without fetching them again.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { parseConfig } from '../../shared/config/config';
import { coreRuntime, resetCoreRuntime } from '../../shared/runtime-core';
import { prefetchSigningKeys } from '../../shared/runtime-verifier';
import { forge } from '../support/jwt-forge';
import { waitFor } from '../support/wait';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...(rsa.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'k1', alg: 'RS256', use: 'sig' };
const saved = { ...process.env };
let server: Server;
let iss: string;
let fetches = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  iss = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise((r) => server.close(r)));

afterEach(() => {
  process.env = { ...saved };
  resetCoreRuntime();
});

test('without a usable config, the prefetch does nothing and the first invocation reports it', () => {
  delete process.env.JITGATE_CONFIG_JSON;
  expect(() => prefetchSigningKeys()).not.toThrow();
  expect(() => coreRuntime()).toThrow('JITGATE_CONFIG_JSON is not set');
});

test("the first invocation's runtime verifies with the keys the prefetch fetched", async () => {
  const config = parseConfig({ issuers: { idp: { issuer: iss, audience: ['a'], jwksUri: `${iss}/keys` } } }, 'test', { mode: 'local' });
  // Plain variables here: what esbuild inlines in a bundle (infra/bundling.ts).
  Object.assign(process.env, {
    JITGATE_CONFIG_JSON: JSON.stringify(config),
    JITGATE_CONFIG_MODE: 'local',
    TABLE_NAME: 'jitgate',
    AWS_REGION: 'us-east-1',
  });
  prefetchSigningKeys();
  await waitFor(
    () => fetches,
    (n) => n === 1,
  );
  const now = Math.floor(Date.now() / 1000);
  const token = forge({ alg: 'RS256', kid: 'k1' }, { iss, aud: 'a', sub: 's', iat: now, exp: now + 60 }, 'RS256', rsa.privateKey);
  await expect(coreRuntime().verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ sub: 's' });
  expect(fetches).toBe(1);
});
