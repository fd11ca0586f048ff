import { randomBytes } from 'node:crypto';
import { grantTimes, isLive } from '../../../shared/domain/grant';
import { checkCsrf, csrfToken, signLink, verifyLink } from '../../../shared/domain/links';
import { assertTransition, type JitRequest } from '../../../shared/domain/request';
import { checkTotp, currentCode, newTotpSecret } from '../../../shared/domain/totp';

const key = randomBytes(32);
const now = new Date('2026-11-23T12:00:00Z');

describe('personal links', () => {
  const link = signLink({ r: 'req-1', a: 'iss#bob', g: ['security-admins'], e: now.getTime() / 1000 + 60 }, key);
  it('round-trip for their approver and request', () => {
    expect(verifyLink(link, key, now)).toMatchObject({ r: 'req-1', a: 'iss#bob', g: ['security-admins'] });
  });
  it('refuse forged, tampered, expired and malformed links', () => {
    expect(() => verifyLink(link, randomBytes(32), now)).toThrow('not issued by jitgate');
    const [payload, sig] = link.split('.');
    const forged = Buffer.from(JSON.stringify({ r: 'req-1', a: 'iss#mallory', g: ['security-admins'], e: 9e9, n: 'x' })).toString(
      'base64url',
    );
    expect(() => verifyLink(`${forged}.${sig}`, key, now)).toThrow('not issued by jitgate');
    expect(() => verifyLink(`${payload}.${sig}`, key, new Date(now.getTime() + 61_000))).toThrow('expired');
    expect(() => verifyLink('not-a-link', key, now)).toThrow('malformed');
    expect(() => verifyLink('a'.repeat(5000), key, now)).toThrow('malformed');
  });
  it('tie form posts to the page with a CSRF token', () => {
    expect(() => checkCsrf(link, csrfToken(link, key), key)).not.toThrow();
    expect(() => checkCsrf(link, 'guess', key)).toThrow('stale');
    expect(() => checkCsrf(link, undefined, key)).toThrow('stale');
  });
});

describe('TOTP', () => {
  const secret = newTotpSecret();
  it('accepts the current code once, and refuses replays and wrong codes', () => {
    const step = checkTotp(secret, currentCode(secret, now), now, undefined);
    expect(step).toBe(Math.floor(now.getTime() / 30000));
    expect(checkTotp(secret, currentCode(secret, now), now, step)).toBeUndefined();
    expect(checkTotp(secret, '000000', now, undefined) === undefined || currentCode(secret, now) === '000000').toBe(true);
    expect(checkTotp(secret, 'abcdef', now, undefined)).toBeUndefined();
  });
  it('tolerates one step of clock drift', () => {
    const previous = currentCode(secret, new Date(now.getTime() - 30_000));
    expect(checkTotp(secret, previous, now, undefined)).toBeDefined();
    const old = currentCode(secret, new Date(now.getTime() - 120_000));
    expect(checkTotp(secret, old, now, undefined)).toBeUndefined();
  });
});

describe('grants', () => {
  it('end after their duration and warn a fifth before, at most five minutes', () => {
    const t = grantTimes(1800, now);
    expect(t.expiresAt).toBe('2026-11-23T12:30:00.000Z');
    expect(t.expiringAt).toBe('2026-11-23T12:25:00.000Z');
    expect(grantTimes(10, now).expiringAt).toBe('2026-11-23T12:00:08.000Z');
  });
  it('are live only while active and before expiresAt', () => {
    expect(isLive({ requestId: 'r', status: 'active', mode: 'window', expiresAt: '2026-11-23T12:00:01Z' }, now)).toBe(true);
    expect(isLive({ requestId: 'r', status: 'active', mode: 'window', expiresAt: '2026-11-23T12:00:00Z' }, now)).toBe(false);
    expect(isLive({ requestId: 'r', status: 'pending', mode: 'window' }, now)).toBe(false);
    expect(isLive(undefined, now)).toBe(false);
  });
});

describe('request transitions', () => {
  it('refuse moves from the wrong status with 409', () => {
    expect(() => assertTransition({ id: 'r', status: 'denied' } as JitRequest, 'recordApproval')).toThrow('is denied');
    expect(() => assertTransition({ id: 'r', status: 'active' } as JitRequest, 'consume')).not.toThrow();
  });
});
