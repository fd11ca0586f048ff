import { createHash, randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { parseConfig } from '../../../shared/config/config';
import { redactUrl } from '../../../shared/domain/links';
import { requirementsOf } from '../../../shared/domain/policy';
import {
  cookieScope,
  linkHash,
  newSignIn,
  openSession,
  readCookie,
  seal,
  sealSession,
  setCookie,
  signInIssuer,
  stateMatches,
  unseal,
  SESSION_COOKIE,
} from '../../../shared/web/sso';

const key = randomBytes(32);
const now = new Date('2026-11-23T12:00:00Z');
const epoch = Math.floor(now.getTime() / 1000);

describe('sealed cookie values', () => {
  it('round-trip, and refuse tampering, another key, another purpose and expiry', () => {
    const sealed = seal('sso-session', { a: 'x', e: epoch + 60 }, key);
    expect(unseal('sso-session', sealed, key, now)).toEqual({ a: 'x', e: epoch + 60 });
    expect(unseal('sso-signin', sealed, key, now)).toBeUndefined();
    expect(unseal('sso-session', sealed, randomBytes(32), now)).toBeUndefined();
    const [payload, sig] = sealed.split('.');
    const edited = Buffer.from(JSON.stringify({ a: 'y', e: epoch + 60 })).toString('base64url');
    expect(unseal('sso-session', `${edited}.${sig}`, key, now)).toBeUndefined();
    expect(unseal('sso-session', `${payload}.${sig}`, key, new Date(now.getTime() + 61_000))).toBeUndefined();
    expect(unseal('sso-session', 'garbage', key, now)).toBeUndefined();
    expect(unseal('sso-session', undefined, key, now)).toBeUndefined();
  });

  it('bind an approver session to one link and one approver', () => {
    const link = 'payload.signature';
    const cookie = sealSession({ h: linkHash(link), a: 'iss#bob', g: ['security-admins'], e: epoch + 600 }, key);
    const event = { headers: { Cookie: `other=1; ${SESSION_COOKIE}=${cookie}` } } as unknown as APIGatewayProxyEvent;
    expect(readCookie(event, SESSION_COOKIE)).toBe(cookie);
    expect(openSession(event, key, now, link, 'iss#bob')).toMatchObject({ a: 'iss#bob', g: ['security-admins'] });
    expect(openSession(event, key, now, 'another.link', 'iss#bob')).toBeUndefined();
    expect(openSession(event, key, now, link, 'iss#carol')).toBeUndefined();
  });

  it('start a sign-in with a fresh state, nonce and an S256 PKCE pair', () => {
    const a = newSignIn('l.s', now);
    const b = newSignIn('l.s', now);
    expect(a.s).not.toBe(b.s);
    expect(a.n).not.toBe(b.n);
    expect(a.v).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.challenge).toBe(createHash('sha256').update(a.v).digest('base64url'));
    expect(stateMatches(a, a.s)).toBe(true);
    expect(stateMatches(a, b.s)).toBe(false);
    expect(stateMatches(a, undefined)).toBe(false);
  });

  it('scope cookies to the approval pages: HttpOnly, SameSite=Lax, Secure on https, the stage path on execute-api', () => {
    expect(setCookie('c', 'v', cookieScope('http://127.0.0.1:4000/approve/'), 60)).toBe(
      'c=v; Path=/approve; Max-Age=60; HttpOnly; SameSite=Lax',
    );
    expect(setCookie('c', 'v', cookieScope('https://abc.execute-api.eu-west-1.amazonaws.com/prod/approve/'), 60)).toBe(
      'c=v; Path=/prod/approve; Max-Age=60; HttpOnly; SameSite=Lax; Secure',
    );
  });
});

describe('redactUrl', () => {
  it('hides links, authorization codes and states, and leaves other paths alone', () => {
    expect(redactUrl('/approve/eyJhbGc.abc_DEF')).toBe('/approve/<redacted>');
    expect(redactUrl('/approve/eyJhbGc.abc/signin')).toBe('/approve/<redacted>/signin');
    expect(redactUrl('/prod/approve/eyJ.x?y=1')).toBe('/prod/approve/<redacted>?y=1');
    expect(redactUrl('/approve/callback?code=secret&state=s2&x=1')).toBe('/approve/callback?code=<redacted>&state=<redacted>&x=1');
    expect(redactUrl('/v1/requests/42')).toBe('/v1/requests/42');
  });
});

describe('approverAuth and approverSignIn in the config', () => {
  const base = {
    issuers: { dev: { issuer: 'http://127.0.0.1:4000/dev/idp', audience: ['jitgate'], claims: {}, development: true } },
    approverGroups: { admins: { members: [{ issuer: 'dev', sub: 'bob', email: 'bob@example.com' }] } },
  };
  const policy = { action: 'vault:open', approvals: { groups: { admins: 1 } }, grant: { mode: 'once' } };

  it('default to the link alone', () => {
    const config = parseConfig({ ...base, policies: [policy] });
    expect(config.policies[0]!.approverAuth).toBe('link');
    expect(requirementsOf(config.policies[0]!).approverAuth).toBeUndefined();
  });

  it('sso needs approverSignIn naming a configured issuer', () => {
    expect(() => parseConfig({ ...base, policies: [{ ...policy, approverAuth: 'sso' }] })).toThrow(
      /policies\[0\]\.approverAuth: "sso" needs "approverSignIn"/,
    );
    expect(() => parseConfig({ ...base, approverSignIn: { issuer: 'okta', clientId: 'x' }, policies: [] })).toThrow(
      /approverSignIn\.issuer: unknown issuer "okta"; use one of: dev/,
    );
    expect(() => parseConfig({ ...base, approverSignIn: { issuer: 'dev', clientId: 'x', scope: 'email' }, policies: [] })).toThrow(
      /openid/,
    );
    const config = parseConfig({
      ...base,
      approverSignIn: { issuer: 'dev', clientId: 'jitgate-approver' },
      policies: [{ ...policy, approverAuth: 'sso' }],
    });
    expect(config.approverSignIn).toEqual({ issuer: 'dev', clientId: 'jitgate-approver', scope: 'openid email profile' });
    expect(requirementsOf(config.policies[0]!).approverAuth).toBe('sso');
  });

  it('consoleSignIn names a configured issuer too, with openid in its scope', () => {
    expect(() => parseConfig({ ...base, consoleSignIn: { issuer: 'okta', clientId: 'x' }, policies: [] })).toThrow(
      /consoleSignIn\.issuer: unknown issuer "okta"; use one of: dev/,
    );
    expect(() => parseConfig({ ...base, consoleSignIn: { issuer: 'dev', clientId: 'x', scope: 'email' }, policies: [] })).toThrow(
      /consoleSignIn\.scope: .*openid/,
    );
    const config = parseConfig({ ...base, consoleSignIn: { issuer: 'dev', clientId: 'jitgate-console' }, policies: [] });
    expect(signInIssuer(config, 'consoleSignIn')).toMatchObject({
      name: 'dev',
      clientId: 'jitgate-console',
      scope: 'openid email profile',
    });
    expect(signInIssuer(config)).toBeUndefined();
  });
});
