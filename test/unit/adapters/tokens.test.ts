/**
 * The verifier in-process: tokens shaped like each preset's verify and map; clock
 * skew; JWKS refreshed on an unknown kid and rate-limited; an unreachable JWKS is a
 * 503, not a 401; the strict decoder and its duplicate-key scanner; step-up checks.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { parseConfig } from '../../../shared/config/config';
import { DependencyUnavailable, InsufficientAuthentication, InvalidToken } from '../../../shared/domain/errors';
import type { Principal } from '../../../shared/domain/identity';
import { createTokenVerifier, decode, duplicateKey } from '../../../shared/adapters/tokens';
import { checkStepUp } from '../../../shared/domain/request-checks';
import { b64url, forge } from '../../support/jwt-forge';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwks = {
  keys: [
    { ...(rsa.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    // Entra publishes keys without "alg".
    { ...(rsa.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'rsa-noalg', use: 'sig' },
    { ...(ec.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ],
};

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const config = parseConfig({
  issuers: {
    cognito: { preset: 'cognito', userPoolId: 'eu-west-1_AbC123', clientId: ['web-client'], tokenUse: 'id' },
    'cognito-api': { preset: 'cognito', userPoolId: 'eu-west-1_Api456', clientId: ['api-client'], tokenUse: 'access' },
    okta: { preset: 'okta', domain: 'acme.okta.com', audience: ['api://default'] },
    entra: { preset: 'entra', tenantId: TENANT, audience: ['api://jitgate'] },
    auth0: { preset: 'auth0', domain: 'acme.eu.auth0.com', audience: ['https://api.acme.com'], namespace: 'https://example.com/' },
    skewed: { issuer: 'https://skewed.example.com', audience: ['s'], jwksUri: 'https://skewed.example.com/keys', clockSkew: 30 },
  },
});
const cache = new SimpleJwksCache();
for (const issuer of Object.values(config.issuers)) cache.addJwks(issuer.jwksUri!, jwks as never);
// CognitoJwtVerifier fetches the keys of the pool's newer issuer form from that form's own URL.
cache.addJwks('https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json', jwks as never);
const verifier = createTokenVerifier(config, { jwksCache: cache });

const now = () => Math.floor(Date.now() / 1000);
const rs = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  forge({ alg: 'RS256', kid: 'rsa-1', typ: 'JWT', ...header }, { iat: now(), exp: now() + 600, ...claims }, 'RS256', rsa.privateKey);
const verify = (token: string) => verifier.verify(`Bearer ${token}`);
const refused = async (token: string, message?: RegExp) => {
  const err = await verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidToken);
  if (message) expect((err as Error).message).toMatch(message);
};

describe("tokens shaped like each preset's verify and map to groups and roles", () => {
  const poolIssuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123';

  test('Cognito ID token', async () => {
    const p = await verify(
      rs({
        sub: 'c0ffee',
        iss: poolIssuer,
        aud: 'web-client',
        token_use: 'id',
        'cognito:groups': ['security-admins'],
        'custom:roles': 'admin',
        email: 'bob@example.com',
        'cognito:username': 'bob',
        auth_time: now(),
      }),
    );
    expect(p).toMatchObject({
      id: `${poolIssuer}#c0ffee`,
      issuerName: 'cognito',
      groups: ['security-admins'],
      roles: ['admin'],
      email: 'bob@example.com',
    });
    // Cognito's newer issuer form for the same pool is the same person.
    const global = await verify(
      rs({ sub: 'c0ffee', iss: poolIssuer.replace('cognito-idp.', 'issuer-cognito-idp.'), aud: 'web-client', token_use: 'id' }),
    );
    expect(global.id).toBe(p.id);
  });

  test('Cognito access token: token_use and client_id checked by CognitoJwtVerifier', async () => {
    const iss = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Api456';
    const claims = {
      sub: 'u1',
      iss,
      client_id: 'api-client',
      token_use: 'access',
      scope: 'openid',
      'cognito:groups': ['engineering'],
      username: 'alice',
    };
    expect(await verify(rs(claims))).toMatchObject({ groups: ['engineering'], name: 'alice' });
    await refused(rs({ ...claims, client_id: 'other-client' }), /Client ID not allowed/);
    await refused(rs({ sub: 'u1', iss, aud: 'api-client', token_use: 'id' }), /Token use not allowed/);
    await refused(
      rs({ sub: 'c0ffee', iss: poolIssuer, client_id: 'web-client', token_use: 'access', scope: 'openid' }),
      /Token use not allowed|ID token is required/,
    );
  });

  test('Okta access token (no typ at+jwt: scp and cid say what it is)', async () => {
    const iss = 'https://acme.okta.com/oauth2/default';
    expect(
      await verify(
        rs({
          ver: 1,
          iss,
          aud: 'api://default',
          cid: '0oa1',
          uid: '00u1',
          scp: ['openid'],
          sub: 'alice@acme.com',
          groups: ['Everyone', 'engineering'],
        }),
      ),
    ).toMatchObject({ groups: ['Everyone', 'engineering'], sub: 'alice@acme.com' });
    // An Okta ID token sent to an issuer configured for access tokens.
    await refused(
      rs({ ver: 1, iss, aud: 'api://default', sub: 'alice@acme.com', amr: ['pwd'], idp: '00o1', nonce: 'n', at_hash: 'h' }),
      /access token is required/,
    );
  });

  test('Entra ID access token, its key published without alg', async () => {
    const iss = `https://login.microsoftonline.com/${TENANT}/v2.0`;
    const p = await verify(
      rs(
        {
          iss,
          aud: 'api://jitgate',
          nbf: now(),
          azp: 'app',
          scp: 'access_as_user',
          groups: ['0b8a4f2e-1111-2222-3333-444455556666'],
          roles: ['Approver'],
          name: 'Carol',
          oid: 'o',
          tid: TENANT,
          sub: 'pairwise',
          ver: '2.0',
        },
        { kid: 'rsa-noalg' },
      ),
    );
    expect(p).toMatchObject({ groups: ['0b8a4f2e-1111-2222-3333-444455556666'], roles: ['Approver'], name: 'Carol' });
  });

  test('Auth0 access token: audience list with userinfo, namespaced claims', async () => {
    const p = await verify(
      rs({
        iss: 'https://acme.eu.auth0.com/',
        sub: 'auth0|64f1',
        aud: ['https://api.acme.com', 'https://acme.eu.auth0.com/userinfo'],
        azp: 'client',
        scope: 'openid profile',
        'https://example.com/roles': ['admin'],
        'https://example.com/groups': ['security-admins'],
      }),
    );
    expect(p).toMatchObject({ id: 'https://acme.eu.auth0.com/#auth0|64f1', groups: ['security-admins'], roles: ['admin'] });
    // Without the trailing slash it is not Auth0's issuer.
    await refused(rs({ iss: 'https://acme.eu.auth0.com', sub: 'auth0|64f1', aud: 'https://api.acme.com', scope: 'openid' }), /issuer/);
  });

  test('ES256 is refused where the issuer allows RS256 only', async () => {
    const token = forge(
      { alg: 'ES256', kid: 'ec-1' },
      { iss: 'https://acme.okta.com/oauth2/default', aud: 'api://default', sub: 'a', cid: 'c', scp: ['x'], iat: now(), exp: now() + 60 },
      'ES256',
      ec.privateKey,
    );
    await refused(token, /algorithm ES256 is not allowed/);
  });
});

describe('clock skew (30 s on this issuer)', () => {
  const base = { iss: 'https://skewed.example.com', aud: 's', sub: 'x' };
  test('exp, nbf and iat are accepted within the skew', async () => {
    await expect(verify(rs({ ...base, iat: now() - 60, exp: now() - 20 }))).resolves.toMatchObject({ sub: 'x' });
    await expect(verify(rs({ ...base, nbf: now() + 20 }))).resolves.toMatchObject({ sub: 'x' });
    await expect(verify(rs({ ...base, iat: now() + 20 }))).resolves.toMatchObject({ sub: 'x' });
  });
  test('and refused beyond it', async () => {
    await refused(rs({ ...base, iat: now() - 60, exp: now() - 40 }), /expired/);
    await refused(rs({ ...base, nbf: now() + 40 }), /can't be used before/);
    await refused(rs({ ...base, iat: now() + 40 }), /issued in the future/);
  });
});

describe('JWKS: cached, refreshed on an unknown kid (rate-limited), a dependency', () => {
  let server: Server;
  let url: string;
  let published: Record<string, unknown>[];
  let fetches = 0;
  const second = generateKeyPairSync('rsa', { modulusLength: 2048 });

  beforeAll(async () => {
    published = [jwks.keys[0]!];
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test('a key rotation at the IdP needs no restart; garbage kids cannot flood the JWKS endpoint', async () => {
    const local = createTokenVerifier(
      parseConfig({ issuers: { idp: { issuer: url, audience: ['a'], jwksUri: `${url}/keys` } } }, 'test', { mode: 'local' }),
    );
    const claims = { iss: url, aud: 'a', sub: 's' };
    const v = (t: string) => local.verify(`Bearer ${t}`);
    await v(rs(claims));
    await v(rs(claims));
    expect(fetches).toBe(1);

    // The IdP rotates: a token signed with the new key triggers one refetch.
    published = [
      ...published,
      { ...(second.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'rsa-2', alg: 'RS256', use: 'sig' },
    ];
    const rotated = forge({ alg: 'RS256', kid: 'rsa-2' }, { ...claims, iat: now(), exp: now() + 60 }, 'RS256', second.privateKey);
    await expect(v(rotated)).resolves.toMatchObject({ sub: 's' });
    expect(fetches).toBe(2);

    // An unknown kid refetches once, then the penalty box refuses without fetching.
    await expect(v(rs(claims, { kid: 'nope-1' }))).rejects.toThrow(/not found in the JWKS/);
    await expect(v(rs(claims, { kid: 'nope-2' }))).rejects.toThrow(/waiting for back off/);
    expect(fetches).toBe(3);
    // Known keys still verify meanwhile (a token not seen before, so the verified-token cache cannot answer it).
    const anotherClaims = { ...claims, jti: 'another', iat: now(), exp: now() + 60 };
    const another = forge({ alg: 'RS256', kid: 'rsa-2' }, anotherClaims, 'RS256', second.privateKey);
    await expect(v(another)).resolves.toMatchObject({ sub: 's' });
  });

  test('prefetch fetches the JWKS once, ahead of the first token; a verify meanwhile waits for that same fetch', async () => {
    const make = () =>
      createTokenVerifier(
        parseConfig({ issuers: { idp: { issuer: url, audience: ['a'], jwksUri: `${url}/keys` } } }, 'test', { mode: 'local' }),
      );
    const claims = { iss: url, aud: 'a', sub: 's' };
    const before = fetches;
    const early = make();
    await early.prefetch();
    expect(fetches - before).toBe(1);
    await expect(early.verify(`Bearer ${rs(claims)}`)).resolves.toMatchObject({ sub: 's' });
    expect(fetches - before).toBe(1);

    const meanwhile = make();
    const [, principal] = await Promise.all([meanwhile.prefetch(), meanwhile.verify(`Bearer ${rs({ ...claims, jti: 'meanwhile' })}`)]);
    expect(principal).toMatchObject({ sub: 's' });
    expect(fetches - before).toBe(2);
  });

  test('a prefetch that fails rejects nothing and is not cached: the first verify fetches again', async () => {
    // Unavailable for the prefetch, up for the verify.
    let answers = 0;
    const flaky = createServer((_req, res) => {
      answers++;
      res.writeHead(answers === 1 ? 503 : 200, { 'content-type': 'application/json' });
      res.end(answers === 1 ? '{}' : JSON.stringify({ keys: [jwks.keys[0]] }));
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', () => resolve()));
    try {
      const iss = `http://127.0.0.1:${(flaky.address() as { port: number }).port}`;
      const early = createTokenVerifier(
        parseConfig({ issuers: { idp: { issuer: iss, audience: ['a'], jwksUri: `${iss}/keys` } } }, 'test', { mode: 'local' }),
      );
      await expect(early.prefetch()).resolves.toBeUndefined();
      expect(answers).toBe(1);
      await expect(early.verify(`Bearer ${rs({ iss, aud: 'a', sub: 's' })}`)).resolves.toMatchObject({ sub: 's' });
      expect(answers).toBe(2);
    } finally {
      await new Promise((r) => flaky.close(r));
    }
  });

  test('an unreachable JWKS is 503 (DependencyUnavailable), not 401', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const iss = `http://127.0.0.1:${closed}`;
    const down = createTokenVerifier(
      parseConfig({ issuers: { idp: { issuer: iss, audience: ['a'], jwksUri: `${iss}/keys` } } }, 'test', { mode: 'local' }),
    );
    // The same after a prefetch that could not fetch it either.
    await expect(down.prefetch()).resolves.toBeUndefined();
    const err = await down.verify(`Bearer ${rs({ iss, aud: 'a', sub: 's' })}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DependencyUnavailable);
    expect((err as DependencyUnavailable).status).toBe(503);
  });
});

describe('the strict decoder', () => {
  const valid = rs({ iss: 'https://skewed.example.com', aud: 's', sub: 'x' });
  const [h, p, s] = valid.split('.') as [string, string, string];

  test.each([
    ['two segments', `${h}.${p}`, /three dot-separated segments; this one has 2/],
    ['four segments', `${valid}.${s}`, /has 4/],
    ['a trailing dot', `${valid}.`, /has 4/],
    ['an empty signature', `${h}.${p}.`, /not signed/],
    ['standard base64', `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}+`, /signature is not base64url/],
    ['padding', `${h}=.${p}.${s}`, /header is not base64url/],
    [
      'non-canonical trailing bits',
      `${h}.${p.slice(0, -1)}${p.endsWith('A') ? 'B' : 'A'}.${s}`,
      /payload is not (canonical base64url|JSON)/,
    ],
    ['a header that is not JSON', `${b64url('{alg:RS256}')}.${p}.${s}`, /header is not JSON/],
    ['invalid UTF-8', `${b64url(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))}.${p}.${s}`, /header is not JSON/],
    ['a payload that is a string', `${h}.${b64url('"x"')}.${s}`, /payload is not a JSON object/],
    ['a header without alg', `${b64url('{"kid":"rsa-1"}')}.${p}.${s}`, /no alg/],
    ['a header without kid', `${b64url('{"alg":"RS256"}')}.${p}.${s}`, /no kid/],
  ])('refuses %s', (_name, token, message) => {
    expect(() => decode(token)).toThrow(message);
  });

  test('duplicateKey finds a key repeated in one object, at any depth, compared decoded', () => {
    expect(duplicateKey('{"sub":"a","aud":"b"}')).toBeUndefined();
    expect(duplicateKey('{"sub":"a","sub":"b"}')).toBe('sub');
    expect(duplicateKey('{ "sub" : "a" ,\n "s\\u0075b" : "b" }')).toBe('sub');
    expect(duplicateKey('{"a":{"x":1,"x":2}}')).toBe('x');
    expect(duplicateKey('{"a":[{"x":1},{"x":2}],"b":{"x":3}}')).toBeUndefined();
    expect(duplicateKey('{"a":[{"x":1,"y":2,"x":3}]}')).toBe('x');
    expect(duplicateKey('{"a":"x\\",\\"a\\":1","b":"}{,"}')).toBeUndefined();
    expect(duplicateKey('{"a":"\\\\","a":1}')).toBe('a');
    expect(duplicateKey('["a","a",{"k":1},{"k":1}]')).toBeUndefined();
  });
});

describe('step-up (RFC 9470)', () => {
  const at = new Date('2026-01-01T12:00:00Z');
  const t = at.getTime() / 1000;
  const person = (p: Partial<Principal>): Principal => ({
    id: 'i#s',
    issuer: 'i',
    issuerName: 'i',
    sub: 's',
    groups: [],
    roles: [],
    attributes: {},
    ...p,
  });
  const challenge = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(InsufficientAuthentication);
      return err as InsufficientAuthentication;
    }
    throw new Error('accepted');
  };

  test('amr within max_age is accepted; stale, missing auth_time or missing amr is challenged', () => {
    const mfa = { stepUp: { amr: ['mfa'], maxAge: 900 } };
    expect(() => checkStepUp(mfa, person({ amr: ['pwd', 'mfa'], authTime: t - 900 }), at)).not.toThrow();
    expect(challenge(() => checkStepUp(mfa, person({ amr: ['pwd', 'mfa'], authTime: t - 901 }), at))).toMatchObject({
      maxAge: 900,
      acrValues: [],
    });
    challenge(() => checkStepUp(mfa, person({ amr: ['mfa'] }), at));
    challenge(() => checkStepUp(mfa, person({ amr: ['pwd'], authTime: t }), at));
    expect(() => checkStepUp('none', person({}), at)).not.toThrow();
    expect(() => checkStepUp('totp', person({}), at)).not.toThrow();
  });

  test('acr must be one of the values, which the challenge lists', () => {
    const mfa = { stepUp: { acr: ['urn:example:loa:3', 'urn:example:loa:4'], maxAge: 300 } };
    expect(() => checkStepUp(mfa, person({ acr: 'urn:example:loa:4', authTime: t }), at)).not.toThrow();
    expect(challenge(() => checkStepUp(mfa, person({ acr: 'urn:example:loa:2', authTime: t }), at))).toMatchObject({
      acrValues: ['urn:example:loa:3', 'urn:example:loa:4'],
      maxAge: 300,
    });
  });
});
