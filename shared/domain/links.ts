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
  /** `review` for break-glass review links; absent on approval links. */
  p?: 'review';
}

const MAX_LINK_LENGTH = 2048;

/**
 * What a link lets its holder do: decide a pending request (`approve`), or review a
 * break-glass grant afterwards (`review`). The purpose is part of what is signed (the
 * MAC's domain), so a link of one purpose never verifies as the other.
 */
export type LinkPurpose = 'approve' | 'review';
const DOMAIN: Record<LinkPurpose, string> = { approve: 'link', review: 'review' };

function mac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function signLink(claims: Omit<LinkClaims, 'n'>, key: Buffer, purpose: LinkPurpose = 'approve'): string {
  const payload = Buffer.from(
    JSON.stringify({ ...claims, ...(purpose === 'approve' ? {} : { p: purpose }), n: randomBytes(8).toString('base64url') }),
  ).toString('base64url');
  return `${payload}.${mac(key, `${DOMAIN[purpose]}.${payload}`).toString('base64url')}`;
}

/**
 * Which verifier a link is for, read from its unverified payload: only a routing hint.
 * `verifyLink` then checks the signature under that purpose, so a payload edited to
 * claim the other purpose fails there.
 */
export function linkPurpose(link: string): LinkPurpose {
  try {
    const payload = JSON.parse(Buffer.from(link.split('.')[0] ?? '', 'base64url').toString('utf8')) as { p?: unknown };
    return payload?.p === 'review' ? 'review' : 'approve';
  } catch {
    return 'approve';
  }
}

export function verifyLink(link: string, key: Buffer, now: Date, purpose: LinkPurpose = 'approve'): LinkClaims {
  if (link.length > MAX_LINK_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(link))
    throw new InvalidLink('this link is malformed; open the link from your email again');
  const [payload, signature] = link.split('.') as [string, string];
  const expected = mac(key, `${DOMAIN[purpose]}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidLink('this link was not issued by jitgate');
  let claims: LinkClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LinkClaims;
  } catch {
    throw new InvalidLink('this link is malformed');
  }
  if ((claims.p ?? 'approve') !== purpose) throw new InvalidLink('this link was not issued by jitgate');
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
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new InvalidLink('the form is stale or was not sent from the approval page; open the link again');
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
