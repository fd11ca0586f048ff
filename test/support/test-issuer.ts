/**
 * A second OpenID issuer for tests: discovery and a JWKS served on its own loopback
 * port (issuer `http://127.0.0.1:<port>`), keys generated per run, and `sign` for
 * access or ID tokens in whatever claim shape the test wants.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { forge, type ForgeAlg } from './jwt-forge';

export interface TestIssuer {
  url: string;
  /** Paths requested so far (discovery, JWKS). */
  requests: string[];
  rsaKid: string;
  ecKid: string;
  rsa: KeyObject;
  ec: KeyObject;
  jwks(): { keys: Record<string, string>[] };
  /** Signs `claims` (iss, iat, exp filled in unless given) with this issuer's key. */
  sign(claims: Record<string, unknown>, opts?: { alg?: 'RS256' | 'ES256'; header?: Record<string, unknown> }): string;
  close(): Promise<void>;
}

export async function startTestIssuer(opts: { port?: number; kidPrefix?: string } = {}): Promise<TestIssuer> {
  const rsaPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ecPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const prefix = opts.kidPrefix ?? 'test-issuer';
  const rsaKid = `${prefix}-rs256`;
  const ecKid = `${prefix}-es256`;
  const jwks = () => ({
    keys: [
      { ...(rsaPair.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid: rsaKid, alg: 'RS256', use: 'sig' },
      { ...(ecPair.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid: ecKid, alg: 'ES256', use: 'sig' },
    ],
  });
  const requests: string[] = [];
  let url = '';
  const server: Server = createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0]!;
    requests.push(p);
    const body =
      p === '/.well-known/openid-configuration'
        ? { issuer: url, jwks_uri: `${url}/keys`, id_token_signing_alg_values_supported: ['RS256', 'ES256'] }
        : p === '/keys'
          ? jwks()
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    requests,
    rsaKid,
    ecKid,
    rsa: rsaPair.privateKey,
    ec: ecPair.privateKey,
    jwks,
    sign(claims, { alg = 'RS256', header = {} } = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload = { iss: url, iat: now, exp: now + 600, ...claims };
      return forge(
        { alg, kid: alg === 'RS256' ? rsaKid : ecKid, typ: 'at+jwt', ...header },
        payload,
        alg as ForgeAlg,
        alg === 'RS256' ? rsaPair.privateKey : ecPair.privateKey,
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
