/**
 * Issuer config: presets normalized to the one IssuerConfig shape, claim mappings
 * over realistic token claim sets, config errors that name the issuer and the
 * field, OIDC discovery at start/synth, and issuer-qualified identity.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keys } from '../../../shared/adapters/keys';
import { parseConfig, type Config, type IssuerConfig } from '../../../shared/config/config';
import { ConfigError } from '../../../shared/domain/errors';
import { claimAt, toPrincipal } from '../../../shared/domain/identity';
import { isValidClaimPath } from '../../../shared/config/issuer-config';
import { resolveIssuers, type Fetch } from '../../../shared/config/issuers';

function issuersOf(issuers: Record<string, unknown>, mode: 'local' | 'deploy' = 'deploy'): Config['issuers'] {
  return parseConfig({ issuers }, 'test.json', { mode }).issuers;
}

function issuer(raw: unknown): IssuerConfig {
  return issuersOf({ x: raw }).x!;
}

/** The error lines of an invalid config. */
function errorsOf(issuers: Record<string, unknown>, mode: 'local' | 'deploy' = 'deploy'): string[] {
  try {
    parseConfig({ issuers }, 'test.json', { mode });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).lines.map((l) => l.trim());
  }
  throw new Error('the config was accepted');
}

describe('presets normalize to the full form', () => {
  test('Cognito, ID tokens: issuer and JWKS of the pool, client ids as audience, cognito:groups', () => {
    const i = issuer({
      preset: 'cognito',
      region: 'eu-west-1',
      userPoolId: 'eu-west-1_AbC123xyz',
      clientId: ['4k2r0bq5client'],
      tokenUse: 'id',
    });
    expect(i).toEqual({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz',
      audience: ['4k2r0bq5client'],
      tokenUse: 'id',
      jwksUri: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz/.well-known/jwks.json',
      algorithms: ['RS256'],
      clockSkew: 60,
      claims: { groups: 'cognito:groups', roles: 'custom:roles', email: 'email', name: 'name', attributes: {}, separator: ',' },
      development: false,
      cognito: { userPoolId: 'eu-west-1_AbC123xyz', clientId: ['4k2r0bq5client'] },
    });
  });

  test('Cognito, access tokens: the region comes from the pool id; name from username', () => {
    const i = issuer({ preset: 'cognito', userPoolId: 'us-east-1_Pool9', clientId: 'app-client', tokenUse: 'access' });
    expect(i).toMatchObject({
      issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool9',
      tokenUse: 'access',
      audience: ['app-client'],
      claims: { groups: 'cognito:groups', name: 'username' },
    });
  });

  test('Okta: the default custom authorization server unless named; "org" for the org server', () => {
    expect(issuer({ preset: 'okta', domain: 'acme.okta.com', audience: ['api://default'] })).toMatchObject({
      issuer: 'https://acme.okta.com/oauth2/default',
      jwksUri: 'https://acme.okta.com/oauth2/default/v1/keys',
      tokenUse: 'access',
      audience: ['api://default'],
      algorithms: ['RS256'],
      claims: { groups: 'groups', roles: 'roles' },
    });
    expect(
      issuer({ preset: 'okta', domain: 'acme.okta.com', authorizationServer: 'aus1a2b3c4', audience: ['api://jitgate'] }),
    ).toMatchObject({ issuer: 'https://acme.okta.com/oauth2/aus1a2b3c4', jwksUri: 'https://acme.okta.com/oauth2/aus1a2b3c4/v1/keys' });
    expect(
      issuer({ preset: 'okta', domain: 'acme.okta.com', authorizationServer: 'org', audience: ['0oa1client'], tokenUse: 'id' }),
    ).toMatchObject({ issuer: 'https://acme.okta.com', jwksUri: 'https://acme.okta.com/oauth2/v1/keys', tokenUse: 'id' });
  });

  test('Entra ID: the v2.0 issuer and keys of the tenant; groups and roles claims', () => {
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    expect(issuer({ preset: 'entra', tenantId: tenant, audience: ['api://jitgate'] })).toMatchObject({
      issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
      jwksUri: `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
      tokenUse: 'access',
      claims: { groups: 'groups', roles: 'roles', email: 'email', name: 'name' },
    });
  });

  test('Auth0: the tenant URL with its trailing slash; roles and groups under the namespace', () => {
    expect(
      issuer({ preset: 'auth0', domain: 'acme.eu.auth0.com', audience: ['https://api.acme.com'], namespace: 'https://example.com/' }),
    ).toMatchObject({
      issuer: 'https://acme.eu.auth0.com/',
      jwksUri: 'https://acme.eu.auth0.com/.well-known/jwks.json',
      tokenUse: 'access',
      claims: { groups: 'https://example.com/groups', roles: 'https://example.com/roles' },
    });
    expect(issuer({ preset: 'auth0', domain: 'acme.eu.auth0.com', audience: ['a'], namespace: 'https://example.com' }).claims.roles).toBe(
      'https://example.com/roles',
    );
    expect(issuer({ preset: 'auth0', domain: 'acme.eu.auth0.com', audience: ['a'] }).claims).toMatchObject({
      groups: 'groups',
      roles: 'roles',
    });
  });

  test('claim overrides, algorithms and clock skew apply over a preset', () => {
    const i = issuer({
      preset: 'okta',
      domain: 'acme.okta.com',
      audience: ['a'],
      claims: { roles: 'okta_roles', attributes: { employment: 'employeeType' } },
      algorithms: ['RS256', 'ES256'],
      clockSkew: '2m',
    });
    expect(i.claims).toEqual({
      groups: 'groups',
      roles: 'okta_roles',
      email: 'email',
      name: 'name',
      attributes: { employment: 'employeeType' },
    });
    expect(i.algorithms).toEqual(['RS256', 'ES256']);
    expect(i.clockSkew).toBe(120);
  });

  test('the normalized form parses again to itself (the deployed functions re-parse the inlined config)', () => {
    const config = parseConfig({
      issuers: {
        cognito: { preset: 'cognito', userPoolId: 'eu-west-1_AbC', clientId: ['c'], tokenUse: 'access' },
        okta: { preset: 'okta', domain: 'acme.okta.com', audience: ['api://default'] },
        entra: { preset: 'entra', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', audience: ['x'] },
        auth0: { preset: 'auth0', domain: 'acme.eu.auth0.com', audience: ['y'], namespace: 'https://example.com/' },
        plain: { issuer: 'https://idp.example.com', audience: ['z'] },
      },
    });
    expect(parseConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });
});

describe('claim mapping over realistic tokens', () => {
  const now = 1_760_000_000;

  test('Cognito ID token: cognito:groups, custom:roles, email, name', () => {
    const i = issuer({ preset: 'cognito', userPoolId: 'eu-west-1_AbC', clientId: ['client'], tokenUse: 'id' });
    const p = toPrincipal('cognito', i, {
      sub: '5f1c2a0e-7d8a-4b1e-9a57-2f0d4c1e9b11',
      'cognito:groups': ['security-admins', 'eu-west-1_AbC_Google'],
      'custom:roles': 'admin,editor',
      email_verified: true,
      iss: i.issuer,
      'cognito:username': 'bob',
      origin_jti: 'a1',
      aud: 'client',
      event_id: 'e1',
      token_use: 'id',
      auth_time: now,
      name: 'Bob Builder',
      exp: now + 3600,
      iat: now,
      email: 'bob@example.com',
    });
    expect(p).toMatchObject({
      id: `${i.issuer}#5f1c2a0e-7d8a-4b1e-9a57-2f0d4c1e9b11`,
      groups: ['security-admins', 'eu-west-1_AbC_Google'],
      roles: ['admin', 'editor'],
      email: 'bob@example.com',
      name: 'Bob Builder',
      authTime: now,
    });
  });

  test('Cognito access token: cognito:groups, username as name, no email', () => {
    const i = issuer({ preset: 'cognito', userPoolId: 'eu-west-1_AbC', clientId: ['client'], tokenUse: 'access' });
    const p = toPrincipal('cognito', i, {
      sub: 'u-1',
      'cognito:groups': ['engineering'],
      iss: i.issuer,
      client_id: 'client',
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin openid',
      auth_time: now,
      exp: now + 3600,
      iat: now,
      jti: 'j',
      username: 'alice',
    });
    expect(p).toMatchObject({ groups: ['engineering'], roles: [], name: 'alice' });
    expect(p.email).toBeUndefined();
  });

  test('Okta access token: groups claim, scp, cid', () => {
    const i = issuer({ preset: 'okta', domain: 'acme.okta.com', audience: ['api://default'] });
    const p = toPrincipal('okta', i, {
      ver: 1,
      jti: 'AT.x',
      iss: i.issuer,
      aud: 'api://default',
      iat: now,
      exp: now + 3600,
      cid: '0oa1client',
      uid: '00u1alice',
      scp: ['openid', 'jitgate'],
      auth_time: now,
      sub: 'alice@acme.com',
      groups: ['Everyone', 'engineering'],
    });
    expect(p).toMatchObject({ sub: 'alice@acme.com', groups: ['Everyone', 'engineering'], roles: [] });
  });

  test('Entra ID access token: group object ids in groups, app roles in roles', () => {
    const i = issuer({ preset: 'entra', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', audience: ['api://jitgate'] });
    const p = toPrincipal('entra', i, {
      aud: 'api://jitgate',
      iss: i.issuer,
      iat: now,
      nbf: now,
      exp: now + 3600,
      aio: 'x',
      azp: 'c0ffee00-0000-0000-0000-000000000000',
      azpacr: '0',
      groups: ['0b8a4f2e-1111-2222-3333-444455556666'],
      name: 'Carol Example',
      oid: '6e5f4d3c-2b1a-0000-0000-000000000000',
      preferred_username: 'carol@contoso.com',
      rh: 'x',
      roles: ['Approver', 'Finance.Approve'],
      scp: 'access_as_user',
      sub: 'pairwise-sub-carol',
      tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      uti: 'u',
      ver: '2.0',
    });
    expect(p).toMatchObject({
      groups: ['0b8a4f2e-1111-2222-3333-444455556666'],
      roles: ['Approver', 'Finance.Approve'],
      name: 'Carol Example',
    });
  });

  test('Auth0 access token: namespaced roles and groups added by an Action', () => {
    const i = issuer({
      preset: 'auth0',
      domain: 'acme.eu.auth0.com',
      audience: ['https://api.acme.com'],
      namespace: 'https://example.com/',
      claims: { attributes: { employment: 'https://example.com/employment' } },
    });
    const p = toPrincipal('auth0', i, {
      'https://example.com/roles': ['admin'],
      'https://example.com/groups': ['security-admins'],
      'https://example.com/employment': 'contractor',
      iss: i.issuer,
      sub: 'auth0|64f1c0ffee',
      aud: ['https://api.acme.com', 'https://acme.eu.auth0.com/userinfo'],
      iat: now,
      exp: now + 86400,
      scope: 'openid profile email',
      azp: 'clientid',
    });
    expect(p).toMatchObject({
      id: 'https://acme.eu.auth0.com/#auth0|64f1c0ffee',
      groups: ['security-admins'],
      roles: ['admin'],
      attributes: { employment: 'contractor' },
    });
  });

  test('Keycloak-style nested paths: realm_access.roles and resource_access.<client>.roles', () => {
    const i = issuer({
      issuer: 'https://sso.example.com/realms/acme',
      audience: ['jitgate'],
      claims: { groups: 'realm_access.roles', roles: 'resource_access.jitgate.roles', attributes: { employment: 'ext.employment' } },
    });
    const p = toPrincipal('kc', i, {
      sub: 'f:1',
      realm_access: { roles: ['offline_access', 'engineering'] },
      resource_access: { jitgate: { roles: ['editor'] } },
      ext: { employment: 'employee' },
    });
    expect(p).toMatchObject({ groups: ['offline_access', 'engineering'], roles: ['editor'], attributes: { employment: 'employee' } });
  });

  test('claimAt: a whole claim name first (dots and colons allowed), then a dotted path; own properties only', () => {
    const claims = {
      'https://example.com/roles': ['a'],
      'cognito:groups': ['g'],
      'a.b': 'flat',
      a: { b: 'nested', c: { d: ['deep'] } },
      list: [{ x: 1 }],
    };
    expect(claimAt(claims, 'https://example.com/roles')).toEqual(['a']);
    expect(claimAt(claims, 'cognito:groups')).toEqual(['g']);
    expect(claimAt(claims, 'a.b')).toBe('flat');
    expect(claimAt(claims, 'a.c.d')).toEqual(['deep']);
    expect(claimAt(claims, 'a.missing.d')).toBeUndefined();
    expect(claimAt(claims, 'list.0.x')).toBeUndefined();
    expect(claimAt(claims, 'constructor')).toBeUndefined();
    expect(claimAt(claims, 'a.__proto__')).toBeUndefined();
    expect(claimAt(claims, 'a.hasOwnProperty')).toBeUndefined();
  });

  test('isValidClaimPath', () => {
    for (const ok of [
      'groups',
      'cognito:groups',
      'https://example.com/roles',
      'realm_access.roles',
      'resource_access.my-app.roles',
      'custom:roles',
    ])
      expect(isValidClaimPath(ok)).toBe(true);
    for (const bad of ['', '.groups', 'groups.', 'realm_access..roles', 'my groups', 'a\tb', 'x'.repeat(257)])
      expect(isValidClaimPath(bad)).toBe(false);
  });
});

describe('identity is issuer-qualified', () => {
  test('the same sub from two issuers is two principals, with two grant slots', () => {
    const issuers = issuersOf({
      okta: { preset: 'okta', domain: 'acme.okta.com', audience: ['api://default'] },
      entra: { preset: 'entra', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', audience: ['api://jitgate'] },
    });
    const a = toPrincipal('okta', issuers.okta!, { sub: 'alice', groups: ['engineering'] });
    const b = toPrincipal('entra', issuers.entra!, { sub: 'alice', groups: ['engineering'] });
    expect(a.sub).toBe(b.sub);
    expect(a.id).not.toBe(b.id);
    expect(a.id).toBe('https://acme.okta.com/oauth2/default#alice');
    expect(keys.grantSlot(a.id, 'prod:debug', '*').pk).not.toBe(keys.grantSlot(b.id, 'prod:debug', '*').pk);
  });
});

describe('bad issuer configuration names the issuer and the field', () => {
  test('an http:// issuer outside local mode', () => {
    expect(errorsOf({ corp: { issuer: 'http://idp.example.com', audience: ['a'] } })).toEqual([
      'issuers.corp.issuer: issuer "corp" is http://, which only local mode accepts; ' +
        'a deployed issuer must be https:// (or mark local mode\'s own IdP "development": true) (got "http://idp.example.com")',
    ]);
    expect(errorsOf({ corp: { issuer: 'https://idp.example.com', audience: ['a'], jwksUri: 'http://idp.example.com/keys' } })).toEqual([
      'issuers.corp.jwksUri: issuer "corp" fetches its keys over http://, which only local mode accepts; ' +
        'use https:// (got "http://idp.example.com/keys")',
    ]);
  });

  test('http:// is fine in local mode, and for a development issuer anywhere (it is dropped at synth)', () => {
    expect(issuersOf({ corp: { issuer: 'http://127.0.0.1:9999', audience: ['a'] } }, 'local').corp!.issuer).toBe('http://127.0.0.1:9999');
    expect(
      issuersOf({ dev: { issuer: 'http://127.0.0.1:4000/dev/idp', audience: ['jitgate'], development: true } }, 'deploy').dev!.development,
    ).toBe(true);
  });

  test('an empty audience (or Cognito client id list)', () => {
    expect(errorsOf({ corp: { issuer: 'https://idp.example.com', audience: [] } })).toEqual([
      'issuers.corp.audience: list at least one audience (the client id or API identifier your tokens carry in "aud") (got [])',
    ]);
    expect(errorsOf({ okta: { preset: 'okta', domain: 'acme.okta.com', audience: [] } })[0]).toMatch(
      /^issuers\.okta\.audience: list at least one audience/,
    );
    expect(errorsOf({ pool: { preset: 'cognito', userPoolId: 'eu-west-1_AbC', clientId: [] } })[0]).toMatch(
      /^issuers\.pool\.clientId: list at least one app client id/,
    );
    expect(errorsOf({ corp: { issuer: 'https://idp.example.com', audience: [''] } })[0]).toMatch(
      /^issuers\.corp\.audience\[0\]: must not be empty/,
    );
  });

  test('an unknown preset', () => {
    expect(errorsOf({ kc: { preset: 'keycloak', url: 'https://sso.example.com' } })).toEqual([
      'issuers.kc.preset: unknown preset "keycloak"; use one of cognito, okta, entra, auth0, ' +
        'or leave "preset" out and write "issuer", "audience" and "claims" yourself (got "keycloak")',
    ]);
  });

  test('a claim mapping that is not a valid path', () => {
    const lines = errorsOf({
      corp: {
        issuer: 'https://idp.example.com',
        audience: ['a'],
        claims: { groups: 'realm_access..roles', roles: 'my roles', attributes: { employment: '.ext' } },
      },
      okta: { preset: 'okta', domain: 'acme.okta.com', audience: ['a'], claims: { groups: '' } },
    });
    expect(lines).toEqual([
      expect.stringMatching(/^issuers\.corp\.claims\.groups: not a valid claim path: .* \(got "realm_access\.\.roles"\)$/),
      expect.stringMatching(/^issuers\.corp\.claims\.roles: not a valid claim path/),
      expect.stringMatching(/^issuers\.corp\.claims\.attributes\.employment: not a valid claim path/),
      expect.stringMatching(/^issuers\.okta\.claims\.groups: not a valid claim path/),
    ]);
    expect(errorsOf({ corp: { issuer: 'https://idp.example.com', audience: ['a'], claims: { group: 'groups' } } })[0]).toMatch(
      /^issuers\.corp\.claims: Unrecognized key: "group"/,
    );
  });

  test('the other fields', () => {
    expect(errorsOf({ a: { issuer: 'https://i.example.com', audience: ['a'], clockSkew: 900 } })[0]).toBe(
      'issuers.a.clockSkew: at most 300 seconds: a larger skew accepts tokens long after they expired (got 900)',
    );
    expect(errorsOf({ a: { issuer: 'https://i.example.com', audience: ['a'], algorithms: ['HS256'] } })[0]).toMatch(
      /^issuers\.a\.algorithms\[0\]: one of RS256, .*; "none" and HS\* are never accepted\) \(got "HS256"\)$/,
    );
    expect(errorsOf({ a: { issuer: 'https://i.example.com/?tenant=1', audience: ['a'] } })[0]).toMatch(
      /^issuers\.a\.issuer: an absolute URL/,
    );
    expect(errorsOf({ a: { preset: 'cognito', region: 'us-east-1', userPoolId: 'eu-west-1_AbC', clientId: ['c'] } })[0]).toBe(
      'issuers.a.region: user pool eu-west-1_AbC is in eu-west-1, not us-east-1; drop "region" or fix it (got "us-east-1")',
    );
    expect(errorsOf({ a: { preset: 'entra', tenantId: 'common', audience: ['a'] } })[0]).toMatch(
      /^issuers\.a\.tenantId: the directory \(tenant\) id, a GUID/,
    );
    expect(errorsOf({ a: { preset: 'okta', domain: 'https://acme.okta.com', audience: ['a'] } })[0]).toMatch(
      /^issuers\.a\.domain: the host name alone/,
    );
    expect(
      errorsOf({ a: { issuer: 'https://i.example.com', audience: ['a'] }, b: { issuer: 'https://i.example.com', audience: ['b'] } })[0],
    ).toMatch(/^issuers\.b\.issuer: issuer "b" has the same issuer URL as "a"/);
  });
});

describe('resolveIssuers: OIDC discovery at synth and start', () => {
  const documents: Record<string, unknown> = {
    'https://idp.example.com/.well-known/openid-configuration': {
      issuer: 'https://idp.example.com',
      jwks_uri: 'https://idp.example.com/oauth/keys',
    },
    'https://login.example.org/tenant/.well-known/openid-configuration': {
      issuer: 'https://login.example.org/tenant/',
      jwks_uri: 'https://login.example.org/tenant/keys',
    },
    'https://liar.example.com/.well-known/openid-configuration': {
      issuer: 'https://evil.example.com',
      jwks_uri: 'https://evil.example.com/keys',
    },
    'https://plain.example.com/.well-known/openid-configuration': {
      issuer: 'https://plain.example.com',
      jwks_uri: 'http://plain.example.com/keys',
    },
  };
  function fakeFetch(): Fetch & { urls: string[] } {
    const urls: string[] = [];
    const f = async (url: string) => {
      urls.push(url);
      const doc = documents[url];
      if (url.includes('down.example.com')) throw new Error('fetch failed');
      return { ok: doc !== undefined, status: doc === undefined ? 404 : 200, json: async () => doc };
    };
    return Object.assign(f, { urls });
  }

  test('fills the missing jwksUri from the discovery document; leaves configured ones, presets and development issuers alone', async () => {
    const config = parseConfig({
      issuers: {
        corp: { issuer: 'https://idp.example.com', audience: ['a'] },
        slash: { issuer: 'https://login.example.org/tenant/', audience: ['b'] },
        fixed: { issuer: 'https://fixed.example.com', audience: ['c'], jwksUri: 'https://fixed.example.com/k' },
        okta: { preset: 'okta', domain: 'acme.okta.com', audience: ['d'] },
        dev: { issuer: 'http://127.0.0.1:4000/dev/idp', audience: ['jitgate'], development: true },
      },
    });
    const fetch = fakeFetch();
    const resolved = await resolveIssuers(config, fetch);
    expect(fetch.urls.sort()).toEqual([
      'https://idp.example.com/.well-known/openid-configuration',
      'https://login.example.org/tenant/.well-known/openid-configuration',
    ]);
    expect(resolved.issuers.corp!.jwksUri).toBe('https://idp.example.com/oauth/keys');
    expect(resolved.issuers.slash!.jwksUri).toBe('https://login.example.org/tenant/keys');
    expect(resolved.issuers.fixed!.jwksUri).toBe('https://fixed.example.com/k');
    expect(resolved.issuers.okta!.jwksUri).toBe('https://acme.okta.com/oauth2/default/v1/keys');
    expect(resolved.issuers.dev!.jwksUri).toBeUndefined();
    // The resolved config is what the functions get: it parses again and needs no discovery.
    expect(parseConfig(JSON.parse(JSON.stringify(resolved)))).toEqual(resolved);
    const again = fakeFetch();
    await resolveIssuers(resolved, again);
    expect(again.urls).toEqual([]);
  });

  test('failures name the issuer, the field and the discovery URL', async () => {
    const config = parseConfig({
      issuers: {
        liar: { issuer: 'https://liar.example.com', audience: ['a'] },
        gone: { issuer: 'https://gone.example.com', audience: ['a'] },
        down: { issuer: 'https://down.example.com', audience: ['a'] },
        plain: { issuer: 'https://plain.example.com', audience: ['a'] },
      },
    });
    const err = await resolveIssuers(config, fakeFetch(), { source: 'jitgate.config.json' }).catch((e: unknown) => e as ConfigError);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^jitgate\.config\.json is not valid:/);
    expect([...(err as ConfigError).lines].sort()).toEqual([
      '  issuers.down.jwksUri: not set, and discovery at https://down.example.com/.well-known/openid-configuration failed: ' +
        'fetch failed; set "jwksUri" to the issuer\'s JWKS URL, or check "issuer"',
      '  issuers.gone.jwksUri: not set, and discovery at https://gone.example.com/.well-known/openid-configuration failed: ' +
        'status 404; set "jwksUri" to the issuer\'s JWKS URL, or check "issuer"',
      '  issuers.liar.jwksUri: not set, and discovery at https://liar.example.com/.well-known/openid-configuration failed: ' +
        'the document names issuer "https://evil.example.com", not "https://liar.example.com"; ' +
        'set "jwksUri" to the issuer\'s JWKS URL, or check "issuer"',
      '  issuers.plain.jwksUri: not set, and discovery at https://plain.example.com/.well-known/openid-configuration failed: ' +
        '"jwks_uri" http://plain.example.com/keys is not https; set "jwksUri" to the issuer\'s JWKS URL, or check "issuer"',
    ]);
  });
});

describe('where the rules run', () => {
  test('`cdk synth` (infra/app.ts) stops on an http:// issuer, naming the issuer and the field', () => {
    const root = path.resolve(__dirname, '../../..');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-issuers-'));
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ issuers: { partner: { issuer: 'http://127.0.0.1:9/idp', audience: ['jitgate'] } } }));
    const env: NodeJS.ProcessEnv = { ...process.env, JITGATE_CONFIG: file };
    delete env.CDK_OUTDIR;
    try {
      const run = spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'infra/app.ts'], {
        cwd: root,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('issuers.partner.issuer: issuer "partner" is http://, which only local mode accepts');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
