/** A 401 a new user can act on: which issuer was expected (and, locally, which port), and how to get a fresh token. */
import { generateKeyPairSync } from 'node:crypto';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { readDemoConfig } from '../support/demo-config';
import { createTokenVerifier } from '../../shared/adapters/tokens';
import { expiredMessage, untrustedIssuerMessage } from '../../shared/adapters/token-hints';
import { parseConfig } from '../../shared/config/config';
import { InvalidToken } from '../../shared/domain/errors';
import { errorResponse } from '../../shared/web/http';
import { forge } from '../support/jwt-forge';

const DEV = 'http://127.0.0.1:4000/dev/idp';

describe('untrustedIssuerMessage', () => {
  test("names the token's iss and the trusted issuers; deployed, nothing about local mode", () => {
    expect(untrustedIssuerMessage('https://evil.example', ['https://idp.example.com'], false)).toBe(
      'the token\'s issuer is not trusted: it has iss "https://evil.example"; jitgate trusts "https://idp.example.com"',
    );
    expect(untrustedIssuerMessage(undefined, [], false)).toBe(
      "the token's issuer is not trusted: it has no iss claim; jitgate trusts none configured",
    );
  });

  test('locally, a token minted for another port says which port and both fixes', () => {
    expect(untrustedIssuerMessage('http://127.0.0.1:4001/dev/idp', [DEV], true)).toBe(
      'the token\'s issuer is not trusted: it has iss "http://127.0.0.1:4001/dev/idp"; jitgate trusts "http://127.0.0.1:4000/dev/idp". ' +
        'The token was minted for local mode on port 4001, and this one runs on port 4000: ' +
        'mint a new one with PORT=4000 npx jitgate token <user>, or start local mode with PORT=4001',
    );
    expect(untrustedIssuerMessage('https://other.example', [DEV], true)).toMatch(
      /includes its port \(set with PORT\); mint a token for it with npx jitgate token <user>$/,
    );
  });

  test('a long or odd iss is shown quoted and cut short', () => {
    expect(untrustedIssuerMessage('x'.repeat(500), [DEV], false).length).toBeLessThan(200);
    expect(untrustedIssuerMessage(42, [DEV], false)).toContain('it has iss 42');
  });
});

test('expiredMessage: locally the CLI command for that user, deployed a new sign-in', () => {
  expect(expiredMessage('Token expired at 1', 'alice', true)).toBe(
    "Token expired at 1; get a new one with npx jitgate token alice, or sign in again at local mode's /dev/idp",
  );
  expect(expiredMessage('Token expired at 1', 'Some One <x>', true)).toContain('npx jitgate token <user>');
  expect(expiredMessage('Token expired at 1', 'alice', false)).toBe(
    'Token expired at 1; sign in again with your identity provider to get a new token',
  );
});

describe('the verifier with the demo config (local mode)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const config = parseConfig(readDemoConfig(), 'jitgate.config.json', { mode: 'local' });
  const cache = new SimpleJwksCache();
  const key = { ...(rsa.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid: 'k', alg: 'RS256', use: 'sig' };
  cache.addJwks(config.issuers.dev!.jwksUri ?? `${DEV}/.well-known/jwks.json`, { keys: [key] } as never);
  const verifier = createTokenVerifier(config, { jwksCache: cache });
  const now = Math.floor(Date.now() / 1000);
  const base = { sub: 'alice', aud: 'jitgate', iss: DEV, iat: now - 7200, exp: now + 600 };
  const header = { alg: 'RS256', kid: 'k', typ: 'JWT' };
  const token = (claims: Record<string, unknown>) => forge(header, { ...base, ...claims }, 'RS256', rsa.privateKey);
  const problem = async (t: string) => {
    const err = await verifier.verify(`Bearer ${t}`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidToken);
    const answer = errorResponse(err);
    expect(answer.statusCode).toBe(401);
    return { detail: (JSON.parse(answer.body) as { detail: string }).detail, header: answer.headers!['www-authenticate'] as string };
  };

  test('a token for port 4001 is a 401 naming both issuers and PORT', async () => {
    const { detail, header } = await problem(token({ iss: 'http://127.0.0.1:4001/dev/idp' }));
    expect(detail).toContain('it has iss "http://127.0.0.1:4001/dev/idp"; jitgate trusts "http://127.0.0.1:4000/dev/idp"');
    expect(detail).toContain('PORT=4000 npx jitgate token <user>');
    expect(header).toMatch(/^Bearer error="invalid_token", error_description="the token's issuer is not trusted/);
  });

  test('an expired token of alice says to run npx jitgate token alice', async () => {
    const { detail } = await problem(token({ exp: now - 3600 }));
    expect(detail).toMatch(/^Token expired at .*; get a new one with npx jitgate token alice, /);
    expect(detail).toMatch(/, or sign in again at local mode's \/dev\/idp$/);
  });
});
