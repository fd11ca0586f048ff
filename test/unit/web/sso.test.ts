import { createHash, randomBytes } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { decisionPage, deadline, duration, messagePage, PAGE_HEADERS, type PendingRequest } from '../../../shared/web/approval-page';
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

describe('the approval page', () => {
  const config = parseConfig({
    issuers: { dev: { issuer: 'http://127.0.0.1:4000/dev/idp', audience: ['jitgate'], claims: {}, development: true } },
    approverGroups: { admins: { members: [{ issuer: 'dev', sub: 'bob', email: 'bob@example.com' }] } },
    policies: [{ action: 'prod:debug', approvals: { groups: { admins: 1 } }, grant: { mode: 'window', maxDuration: '30m' } }],
  });
  const request = {
    id: 'req-1',
    action: 'prod:debug',
    resource: 'cluster/<eu-1>',
    justification: '<script>alert("x")</script> & "quotes"',
    requester: {
      id: 'iss#alice',
      issuer: 'http://127.0.0.1:4000/dev/idp',
      sub: 'alice',
      name: 'Alice <admin>',
      email: 'alice@example.com',
    },
    policy: { action: 'prod:debug' },
    requirements: requirementsOf(config.policies[0]!),
    durationSeconds: 1800,
    createdAt: now.toISOString(),
    version: 2,
    mfa: { required: false, failures: 0 },
    approvals: [],
    notified: [],
    autoApproved: false,
    status: 'pending_approval',
    approvalDeadline: '2026-11-23T12:30:00.000Z',
  } as unknown as PendingRequest;

  it('escapes everything the requester wrote, and loads nothing from anywhere', () => {
    const html = decisionPage(request, { sub: 'bob', name: 'Bob' }, { kind: 'link', csrf: 'tok"en' }, now).body;
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('Alice &lt;admin&gt;');
    expect(html).toContain('cluster/&lt;eu-1&gt;');
    expect(html).toContain('value="tok&quot;en"');
    expect(html).not.toMatch(/<img|<link|src=|https?:\/\//);
  });

  it('allows exactly its own stylesheet by hash, and nothing else', () => {
    const res = decisionPage(request, { sub: 'bob' }, { kind: 'link', csrf: 'x' }, now);
    const css = /<style>([\s\S]*?)<\/style>/.exec(res.body)![1]!;
    const hash = createHash('sha256').update(css).digest('base64');
    expect(res.headers!['content-security-policy']).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; img-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    expect(res.headers).toMatchObject({ 'referrer-policy': 'no-referrer', 'cache-control': 'no-store', 'x-frame-options': 'DENY' });
    expect(PAGE_HEADERS['content-security-policy']).not.toContain('unsafe');
  });

  it('labels the reason field and offers two buttons; with sso and no sign-in, only the sign-in link', () => {
    const form = decisionPage(request, { sub: 'bob' }, { kind: 'link', csrf: 'x' }, now).body;
    expect(form).toContain('<label for="reason">Reason (optional)</label>');
    expect(form).toMatch(/<textarea id="reason" name="reason"/);
    expect(form.match(/<button /g)).toHaveLength(2);
    const signin = decisionPage(
      request,
      { sub: 'bob' },
      { kind: 'signin', signInHref: 'abc.def/signin', issuer: 'idp.example.com' },
      now,
    ).body;
    expect(signin).not.toContain('<form');
    expect(signin).toContain('href="abc.def/signin"');
    expect(signin).toContain('Sign in to decide');
  });

  it('says things in words', () => {
    expect(duration(45)).toBe('45 seconds');
    expect(duration(300)).toBe('5 minutes');
    expect(duration(1800)).toBe('30 minutes');
    expect(duration(3600)).toBe('1 hour');
    expect(duration(5400)).toBe('90 minutes');
    expect(duration(28800)).toBe('8 hours');
    expect(deadline('2026-11-23T12:30:00.000Z', now)).toBe('in 30 minutes · 12:30 UTC, 23 Nov 2026');
    expect(deadline('2026-11-23T11:00:00.000Z', now)).toBe('passed · 11:00 UTC, 23 Nov 2026');
  });

  it('answers refusals with an alert and the status given', () => {
    const res = messagePage(409, 'Already decided', 'You have already decided this request.');
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('role="alert"');
    expect(messagePage(200, 'Approved', 'ok', { tone: 'ok', cookies: ['a=; Max-Age=0'] }).multiValueHeaders).toEqual({
      'Set-Cookie': ['a=; Max-Age=0'],
    });
  });
});
