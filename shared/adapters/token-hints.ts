/**
 * What a 401 says when the fix is on the caller's side: which issuer was expected, and
 * how to get a fresh token. A bare "issuer not trusted" sent new users hunting; the usual
 * cause in local mode is a token minted for another port, since the development IdP's
 * issuer URL carries the port (`http://127.0.0.1:4000/dev/idp`).
 *
 * `local` is true when the config has a development issuer: only local mode keeps one
 * (the deployed bundles drop them), so a deployed 401 never mentions local commands.
 */

/** The token's `iss` as it may be shown: it is the caller's text, so quoted and cut short. */
function shown(iss: unknown): string {
  if (typeof iss !== 'string') return iss === undefined ? 'no iss claim' : `iss ${JSON.stringify(iss)?.slice(0, 80)}`;
  return `iss "${iss.slice(0, 100)}"`;
}

function portOf(url: string): string | undefined {
  const m = /^https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)\//.exec(url);
  return m?.[1];
}

export function untrustedIssuerMessage(iss: unknown, trusted: readonly string[], local: boolean): string {
  const list = trusted.length ? trusted.map((t) => `"${t}"`).join(', ') : 'none configured';
  const base = `the token's issuer is not trusted: it has ${shown(iss)}; jitgate trusts ${list}`;
  if (!local) return base;
  const devPort = trusted.map(portOf).find((p) => p !== undefined);
  const tokenPort = typeof iss === 'string' ? portOf(iss) : undefined;
  if (devPort && tokenPort && devPort !== tokenPort) {
    return (
      `${base}. The token was minted for local mode on port ${tokenPort}, and this one runs on port ${devPort}: ` +
      `mint a new one with PORT=${devPort} npx jitgate token <user>, or start local mode with PORT=${tokenPort}`
    );
  }
  return `${base}. Local mode's issuer includes its port (set with PORT); mint a token for it with npx jitgate token <user>`;
}

/** aws-jwt-verify's "Token expired at ..." and how to get a new token. */
export function expiredMessage(detail: string, sub: unknown, local: boolean): string {
  if (!local) return `${detail}; sign in again with your identity provider to get a new token`;
  const user = typeof sub === 'string' && /^[a-z][a-z0-9-]{0,30}$/.test(sub) ? sub : '<user>';
  return `${detail}; get a new one with npx jitgate token ${user}, or sign in again at local mode's /dev/idp`;
}
