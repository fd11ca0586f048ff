/**
 * The token attack suite: each case is a real signed (or forged) token sent over HTTP
 * to local mode, started as `npm start` does, on a state-changing call
 * (POST /v1/requests) and on POST /v1/authorize. Each must get 401 with a
 * `WWW-Authenticate: Bearer error="invalid_token"` header, and DynamoDB must hold
 * exactly the items it held before.
 *
 * Two issuers are configured: local mode's development IdP (ID tokens, RS256 and
 * ES256, 30 s clock skew) and a second issuer on another loopback port (access
 * tokens, its own keys, JWKS found by discovery at start). The same token with
 * valid claims would create a request (`prod:debug` needs one approval), so an
 * unchanged item count means the attack wrote nothing.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { attackerKey, b64url, devKeys, forge, signingInput, type DevKeys } from '../support/jwt-forge';
import { tableCounter } from '../support/dynamodb-items';
import { freePort, startLocalMode, tempDir, type Running } from '../support/local-mode';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

const CLOCK_SKEW = 30;

let local: Running;
let partner: TestIssuer;
let attacker: { server: Server; url: string; hits: string[] };
let dev: DevKeys & { iss: string };
let table: ReturnType<typeof tableCounter>;
const results: { attack: string; requests: number; authorize: number; wwwAuthenticate: string }[] = [];

beforeAll(async () => {
  const dataDir = tempDir('jitgate-attacks-');
  partner = await startTestIssuer({ kidPrefix: 'partner' });
  attacker = await startAttackerServer();
  const demo = require(DEMO_CONFIG_FILE);
  const config = {
    ...demo,
    issuers: {
      dev: { ...demo.issuers.dev, algorithms: ['RS256', 'ES256'], clockSkew: CLOCK_SKEW },
      partner: {
        issuer: partner.url,
        audience: ['jitgate-api'],
        tokenUse: 'access',
        algorithms: ['RS256', 'ES256'],
        claims: { groups: 'realm_access.roles' },
      },
    },
  };
  const configPath = path.join(dataDir, 'jitgate.attacks.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  local = await startLocalMode({ port: await freePort(), dataDir, configPath });
  dev = { ...devKeys(dataDir), iss: `${local.url}/dev/idp` };
  table = tableCounter(local.table);
}, 120_000);

afterAll(async () => {
  if (process.env.JITGATE_ATTACK_REPORT) writeFileSync(process.env.JITGATE_ATTACK_REPORT, JSON.stringify(results, null, 2));
  table?.close();
  await local?.stop();
  await partner?.close();
  await new Promise((r) => attacker?.server.close(r));
});

// ---------------------------------------------------------------------------
// Tokens

const now = () => Math.floor(Date.now() / 1000);

/** Valid claims for dev alice, as the development IdP signs them. */
function devClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: dev.iss,
    sub: 'alice',
    aud: 'jitgate',
    iat: now(),
    exp: now() + 600,
    auth_time: now(),
    token_use: 'id',
    groups: ['engineering'],
    roles: ['editor'],
    ...extra,
  };
}

function devHeader(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: 'RS256', kid: dev.rsaKid, typ: 'JWT', ...extra };
}

/** A dev token signed with the real RS256 key. */
function devToken(claims: Record<string, unknown> = devClaims(), header: Record<string, unknown> = devHeader()): string {
  return forge(header, claims, 'RS256', dev.rsa);
}

/** Valid claims for a partner access token. */
function partnerClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sub: 'pat', aud: 'jitgate-api', client_id: 'partner-app', scope: 'jitgate', realm_access: { roles: ['engineering'] }, ...extra };
}

function unsigned(header: object, payload: object, signature = ''): string {
  return `${signingInput(header, payload)}.${signature}`;
}

// ---------------------------------------------------------------------------
// Expectations

const calls: [string, Record<string, unknown>][] = [
  ['/v1/requests', { action: 'prod:debug', resource: 'cluster/eu-1', durationSeconds: 60 }],
  ['/v1/authorize', { action: 'prod:debug', resource: 'cluster/eu-1' }],
];

async function post(pathname: string, body: unknown, authorization: string | undefined) {
  const res = await fetch(`${local.url}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
    body: JSON.stringify(body),
  });
  await res.text();
  return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate') ?? '' };
}

/** Both calls get 401 with WWW-Authenticate, and the table holds exactly what it held. */
async function expectRefused(token: string, opts: { raw?: boolean } = {}): Promise<void> {
  const authorization = opts.raw ? token : `Bearer ${token}`;
  const before = await table.count();
  const [created, authorized] = [
    await post(calls[0]![0], calls[0]![1], authorization),
    await post(calls[1]![0], calls[1]![1], authorization),
  ];
  results.push({
    attack: expect.getState().currentTestName ?? '',
    requests: created.status,
    authorize: authorized.status,
    wwwAuthenticate: created.wwwAuthenticate,
  });
  expect(created.status).toBe(401);
  expect(authorized.status).toBe(401);
  expect(created.wwwAuthenticate).toMatch(/^Bearer error="invalid_token"/);
  expect(authorized.wwwAuthenticate).toMatch(/^Bearer error="invalid_token"/);
  expect(await table.count()).toBe(before);
}

async function expectAccepted(token: string): Promise<void> {
  const res = await post('/v1/authorize', calls[1]![1], `Bearer ${token}`);
  expect(res.status).toBe(200);
}

async function startAttackerServer(): Promise<{ server: Server; url: string; hits: string[] }> {
  const hits: string[] = [];
  const key = attackerKey();
  const server = createServer((req, res) => {
    hits.push(req.url ?? '/');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [{ ...key.publicJwk, kid: 'attacker', alg: 'RS256', use: 'sig' }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits };
}

// ---------------------------------------------------------------------------
// Controls: the same shapes, valid, are accepted (not counted as attacks)

describe('controls', () => {
  test('control: a valid development ID token (RS256) is accepted', async () => {
    await expectAccepted(devToken());
  });
  test('control: a valid development ID token (ES256) is accepted', async () => {
    await expectAccepted(forge(devHeader({ alg: 'ES256', kid: dev.ecKid }), devClaims(), 'ES256', dev.ec));
  });
  test('control: a valid access token from the second issuer is accepted', async () => {
    await expectAccepted(partner.sign(partnerClaims()));
  });
  test('control: expired 10 s ago, within the 30 s clock skew, is accepted', async () => {
    await expectAccepted(devToken(devClaims({ iat: now() - 600, exp: now() - 10 })));
  });
});

// ---------------------------------------------------------------------------
// Attacks

describe('attacks', () => {
  // Algorithm confusion
  test('alg "none" with an empty signature', async () => {
    await expectRefused(unsigned({ alg: 'none', typ: 'JWT' }, devClaims()));
  });
  test('alg "none" with the signature of a valid token', async () => {
    const valid = devToken();
    await expectRefused(unsigned({ alg: 'none', kid: dev.rsaKid, typ: 'JWT' }, devClaims(), valid.split('.')[2]));
  });
  test('alg "None" (case variant) over a real RS256 signature', async () => {
    const header = devHeader({ alg: 'None' });
    const input = signingInput(header, devClaims());
    await expectRefused(`${input}.${forge(devHeader(), devClaims(), 'RS256', dev.rsa).split('.')[2]}`);
  });
  test('HS256 signed with the RSA public key as PEM (SPKI)', async () => {
    const pem = createPublicKey(dev.rsa).export({ type: 'spki', format: 'pem' }) as string;
    await expectRefused(forge(devHeader({ alg: 'HS256' }), devClaims(), 'HS256', pem));
  });
  test('HS256 signed with the RSA public key as PEM (PKCS#1)', async () => {
    const pem = createPublicKey(dev.rsa).export({ type: 'pkcs1', format: 'pem' }) as string;
    await expectRefused(forge(devHeader({ alg: 'HS256' }), devClaims(), 'HS256', pem));
  });
  test('HS256 signed with the public JWK as published (JSON)', async () => {
    await expectRefused(forge(devHeader({ alg: 'HS256' }), devClaims(), 'HS256', JSON.stringify(dev.rsaPublicJwk)));
  });
  test('HS256 signed with the JWK modulus and exponent bytes (n || e)', async () => {
    const bytes = Buffer.concat([Buffer.from(dev.rsaPublicJwk.n!, 'base64url'), Buffer.from(dev.rsaPublicJwk.e!, 'base64url')]);
    await expectRefused(forge(devHeader({ alg: 'HS256' }), devClaims(), 'HS256', bytes));
  });
  test("PS256 signed with the issuer's own RSA key (algorithm not allowed)", async () => {
    await expectRefused(forge(devHeader({ alg: 'PS256' }), devClaims(), 'PS256', dev.rsa));
  });
  test("RS512 signed with the issuer's own RSA key (algorithm not allowed)", async () => {
    await expectRefused(forge(devHeader({ alg: 'RS512' }), devClaims(), 'RS512', dev.rsa));
  });

  // Keys the token chooses
  test("RS256 signed with a key not in the JWKS, under the issuer's kid", async () => {
    await expectRefused(forge(devHeader(), devClaims(), 'RS256', attackerKey().privateKey));
  });
  test('embedded "jwk" header carrying the attacker\'s public key', async () => {
    const key = attackerKey();
    await expectRefused(
      forge(devHeader({ kid: 'attacker', jwk: { ...key.publicJwk, kid: 'attacker' } }), devClaims(), 'RS256', key.privateKey),
    );
  });
  test('"jku" header pointing to the attacker\'s JWKS', async () => {
    const key = attackerKey();
    await expectRefused(forge(devHeader({ kid: 'attacker', jku: `${attacker.url}/jwks.json` }), devClaims(), 'RS256', key.privateKey));
    expect(attacker.hits).toEqual([]);
  });
  test('"x5u" header pointing to the attacker\'s certificate', async () => {
    const key = attackerKey();
    await expectRefused(forge(devHeader({ kid: 'attacker', x5u: `${attacker.url}/cert.pem` }), devClaims(), 'RS256', key.privateKey));
    expect(attacker.hits).toEqual([]);
  });
  test('"x5c" header carrying the attacker\'s key', async () => {
    const key = attackerKey();
    const der = (createPublicKey(key.privateKey).export({ type: 'spki', format: 'der' }) as Buffer).toString('base64');
    await expectRefused(forge(devHeader({ x5c: [der] }), devClaims(), 'RS256', key.privateKey));
  });
  test('unknown kid', async () => {
    await expectRefused(devToken(devClaims(), devHeader({ kid: `unknown-${randomBytes(4).toString('hex')}` })));
  });
  test('kid with path traversal', async () => {
    await expectRefused(devToken(devClaims(), devHeader({ kid: '../../../../../../dev/null' })));
  });
  test('kid with SQL characters', async () => {
    await expectRefused(devToken(devClaims(), devHeader({ kid: "x' OR '1'='1'; DROP TABLE jitgate; --" })));
  });
  test('no kid', async () => {
    const { kid: _kid, ...header } = devHeader();
    await expectRefused(devToken(devClaims(), header));
  });

  // Claims
  test('wrong iss (an issuer not configured), signed with a trusted key', async () => {
    await expectRefused(devToken(devClaims({ iss: 'https://evil.example.com' })));
  });
  test('iss of the development issuer with a trailing slash', async () => {
    await expectRefused(devToken(devClaims({ iss: `${dev.iss}/` })));
  });
  test('wrong aud', async () => {
    await expectRefused(devToken(devClaims({ aud: 'some-other-app' })));
  });
  test('ID token where the issuer is configured for access tokens', async () => {
    const { client_id: _c, scope: _s, ...claims } = partnerClaims({ token_use: 'id' });
    await expectRefused(partner.sign(claims, { header: { typ: 'JWT' } }));
  });
  test('access token where the issuer is configured for ID tokens', async () => {
    await expectRefused(devToken(devClaims({ token_use: 'access', client_id: 'jitgate-cli' }), devHeader({ typ: 'at+jwt' })));
  });
  test('expired an hour ago', async () => {
    await expectRefused(devToken(devClaims({ iat: now() - 7200, exp: now() - 3600 })));
  });
  test('expired 45 s ago, beyond the configured 30 s clock skew', async () => {
    await expectRefused(devToken(devClaims({ iat: now() - 600, exp: now() - 45 })));
  });
  test('nbf an hour in the future', async () => {
    await expectRefused(devToken(devClaims({ nbf: now() + 3600 })));
  });
  test('iat a day in the future', async () => {
    await expectRefused(devToken(devClaims({ iat: now() + 86400, exp: now() + 90000 })));
  });
  test('missing sub', async () => {
    const { sub: _sub, ...claims } = devClaims();
    await expectRefused(devToken(claims));
  });
  test('empty sub', async () => {
    await expectRefused(devToken(devClaims({ sub: '' })));
  });
  test('missing exp', async () => {
    const { exp: _exp, ...claims } = devClaims();
    await expectRefused(devToken(claims));
  });

  // Size and shape
  test('a token of 100 KB', async () => {
    const token = devToken(devClaims({ padding: 'x'.repeat(100 * 1024) }));
    expect(token.length).toBeGreaterThan(100 * 1024);
    await expectRefused(token);
  });
  test('segments in base64 (+ and /), not base64url', async () => {
    let token = devToken();
    while (!/[-_]/.test(token)) token = devToken(devClaims({ jti: randomBytes(8).toString('hex') }));
    await expectRefused(token.replace(/-/g, '+').replace(/_/g, '/'));
  });
  test('padded base64url segment ("=")', async () => {
    const [h, p, s] = devToken().split('.');
    await expectRefused(`${h}=.${p}.${s}`);
  });
  test('non-base64url characters in a segment', async () => {
    const [h, p, s] = devToken().split('.');
    await expectRefused(`${h}.${p}%25%00.${s}`);
  });
  test('two segments', async () => {
    const [h, p] = devToken().split('.');
    await expectRefused(`${h}.${p}`);
  });
  test('four segments', async () => {
    const token = devToken();
    await expectRefused(`${token}.${token.split('.')[2]}`);
  });
  test('a trailing dot', async () => {
    await expectRefused(`${devToken()}.`);
  });
  test('payload that is a JSON array', async () => {
    await expectRefused(forge(devHeader(), JSON.stringify([devClaims()]), 'RS256', dev.rsa));
  });

  // Signatures
  test('a valid token with one signature byte flipped', async () => {
    const [h, p, s] = devToken().split('.');
    const sig = Buffer.from(s!, 'base64url');
    const i = sig.length >> 1;
    sig.writeUInt8(sig.readUInt8(i) ^ 0x01, i);
    await expectRefused(`${h}.${p}.${b64url(sig)}`);
  });
  test('ES256 with an all-zero signature (CVE-2022-21449)', async () => {
    await expectRefused(unsigned(devHeader({ alg: 'ES256', kid: dev.ecKid }), devClaims(), b64url(Buffer.alloc(64))));
  });
  test("a token claiming the second issuer, signed with the first issuer's key", async () => {
    await expectRefused(
      forge(
        { alg: 'RS256', kid: dev.rsaKid, typ: 'at+jwt' },
        { iss: partner.url, iat: now(), exp: now() + 600, ...partnerClaims() },
        'RS256',
        dev.rsa,
      ),
    );
  });
  test("a token claiming the first issuer, signed with the second issuer's key", async () => {
    await expectRefused(forge(devHeader({ kid: partner.rsaKid }), devClaims(), 'RS256', partner.rsa));
  });

  // Header extensions and parser differentials
  test('an untrusted "crit" header', async () => {
    await expectRefused(devToken(devClaims(), devHeader({ crit: ['exp-ext'], 'exp-ext': true })));
  });
  test('duplicated "sub" in the payload', async () => {
    const claims = JSON.stringify(devClaims({ sub: 'alice' }));
    await expectRefused(forge(devHeader(), `${claims.slice(0, -1)},"sub":"bob"}`, 'RS256', dev.rsa));
  });
  test('duplicated "aud" in the payload', async () => {
    const claims = JSON.stringify(devClaims({ aud: 'some-other-app' }));
    await expectRefused(forge(devHeader(), `${claims.slice(0, -1)},"aud":"jitgate"}`, 'RS256', dev.rsa));
  });
  test('duplicated "sub" spelled with a unicode escape ("s\\u0075b")', async () => {
    const claims = JSON.stringify(devClaims());
    await expectRefused(forge(devHeader(), `${claims.slice(0, -1)},"s\\u0075b":"bob"}`, 'RS256', dev.rsa));
  });
  test('duplicated "alg" in the header', async () => {
    await expectRefused(forge(`{"alg":"none","kid":"${dev.rsaKid}","alg":"RS256"}`, devClaims(), 'RS256', dev.rsa));
  });

  // The header itself
  test('no Authorization header', async () => {
    await expectRefused('', { raw: true });
  });
  test('a Basic Authorization header', async () => {
    await expectRefused(`Basic ${Buffer.from('alice:secret').toString('base64')}`, { raw: true });
  });
});

// Last, because the request it creates goes on writing (its workflow) for a moment.
describe('control, last', () => {
  test('control: a valid token creates a request (so an unchanged table means the attack wrote nothing)', async () => {
    const before = await table.count();
    const res = await post(
      '/v1/requests',
      { action: 'prod:debug', resource: 'cluster/control', durationSeconds: 60 },
      `Bearer ${devToken(devClaims({ sub: 'alice-control' }))}`,
    );
    expect(res.status).toBe(201);
    expect(await table.count()).toBeGreaterThan(before);
  });
});
