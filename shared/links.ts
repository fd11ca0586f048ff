/**
 * Personal approval links: `<payload>.<signature>`, base64url, HMAC-SHA256 with a
 * key kept in Secrets Manager (local mode: a generated key under `.jitgate/`).
 * A link names one approver and one request and expires with the approval window;
 * it is single-use because the approver's decision is recorded on the request, and
 * a second decision by the same person is refused.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidLink } from './errors';

export interface LinkClaims {
  /** request id */
  r: string;
  /** approver principal id */
  a: string;
  /** approver groups at notification */
  g: string[];
  /** expiry, epoch seconds */
  e: number;
  /** nonce, so two links for the same approver and request differ */
  n: string;
}

const MAX_LINK_LENGTH = 2048;

function mac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function signLink(claims: Omit<LinkClaims, 'n'>, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify({ ...claims, n: randomBytes(8).toString('base64url') })).toString('base64url');
  return `${payload}.${mac(key, `link.${payload}`).toString('base64url')}`;
}

export function verifyLink(link: string, key: Buffer, now: Date): LinkClaims {
  if (link.length > MAX_LINK_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(link)) throw new InvalidLink('this link is malformed; open the link from your email again');
  const [payload, signature] = link.split('.') as [string, string];
  const expected = mac(key, `link.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidLink('this link was not issued by jitgate');
  let claims: LinkClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LinkClaims;
  } catch {
    throw new InvalidLink('this link is malformed');
  }
  if (typeof claims.e !== 'number' || claims.e * 1000 <= now.getTime()) throw new InvalidLink('this link has expired');
  return claims;
}

/**
 * The form token that ties a POST to a page that jitgate rendered for this link.
 * Cross-site forms cannot know it without knowing the link itself.
 */
export function csrfToken(link: string, key: Buffer): string {
  return mac(key, `csrf.${link}`).toString('base64url');
}

export function checkCsrf(link: string, token: string | undefined, key: Buffer): void {
  const expected = Buffer.from(csrfToken(link, key));
  const given = Buffer.from(token ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidLink('the form is stale or was not sent from the approval page; open the link again');
}

/**
 * A URL fit for a log line: the link in `/approve/<link>...` and the sign-in callback's
 * `code` and `state` replaced by `<redacted>`. Links are credentials; only the outbox
 * (local mode) prints them, on purpose.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/\/approve\/(?!callback(?:[/?#]|$))[^/?#]+/, '/approve/<redacted>')
    .replace(/([?&](?:code|state)=)[^&#]*/g, '$1<redacted>');
}
