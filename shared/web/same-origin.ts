/** The one same-origin check for the HTML forms (the approval page's and the console's). */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { header } from './http';

/**
 * Same origin for form posts: Sec-Fetch-Site when the browser sends it (only
 * `same-origin` passes), else Origin against the host the request came to (API
 * Gateway's domain, the Host header, or PUBLIC_URL). A post with neither, or with
 * `Origin: null` (sandboxed frames, data: URLs, redirects across origins) proves
 * nothing and is refused (OWASP CSRF cheat sheet, "Verifying origin with standard
 * headers"). The page's own form passes: browsers send Sec-Fetch-Site, or Origin,
 * with every form post.
 */
export function sameOrigin(event: APIGatewayProxyEvent, base: string): boolean {
  const site = header(event, 'sec-fetch-site');
  if (site) return site === 'same-origin';
  const origin = header(event, 'origin');
  if (!origin || origin === 'null') return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const hosts = [event.requestContext?.domainName, header(event, 'host'), new URL(base).host].filter(Boolean);
  return hosts.includes(host);
}
