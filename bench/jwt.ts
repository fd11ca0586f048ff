/**
 * 3. JWT verification with aws-jwt-verify (JWKS cached) vs a bare `crypto.verify` of
 * the same signature, for an RS256 and an ES256 token from local mode's development IdP.
 *
 * The demo issuer allows RS256 only (jitgate's own verifier enforces that in its
 * customJwtCheck), so the bench has its own JwtVerifier for the same issuer and
 * audience, without a custom check, which accepts both.
 */
import { createPublicKey, createVerify, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { LocalJitgate } from '../local/server';
import { fmtRatio, fmtUs, interleave, summarize, target, type Row, type SectionResult } from './stats';

export interface BenchVerifier {
  verify(token: string): Promise<JwtPayload>;
  verifySync(token: string): JwtPayload;
}

/** aws-jwt-verify's default fetcher speaks https only; local mode's IdP is http on loopback. */
class FetchJwksFetcher {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const response = await fetch(uri, { signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new Error(`JWKS fetch from ${uri} failed with ${response.status}`);
    return response.arrayBuffer();
  }
}

/** A JwtVerifier for the local development issuer, its JWKS fetched once over HTTP (hydrate) and cached. */
export async function benchVerifier(local: LocalJitgate): Promise<BenchVerifier> {
  const issuer = Object.values(local.config.issuers).find((i) => i.development);
  if (!issuer) throw new Error('the config has no development issuer');
  const verifier = JwtVerifier.create(
    { issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri ?? `${issuer.issuer}/.well-known/jwks.json` },
    { jwksCache: new SimpleJwksCache({ fetcher: new FetchJwksFetcher() }) },
  );
  await verifier.hydrate();
  return verifier as unknown as BenchVerifier;
}

interface Parsed {
  data: Buffer;
  signature: Buffer;
  kid: string;
  /** As aws-jwt-verify hands them to node:crypto: the signing input as text, the signature as its base64url text. */
  signingInput: string;
  signatureText: string;
}

function parse(token: string): Parsed {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')) as { kid: string };
  return {
    data: Buffer.from(`${h}.${p}`),
    signature: Buffer.from(s!, 'base64url'),
    kid: header.kid,
    signingInput: `${h}.${p}`,
    signatureText: s!,
  };
}

const WARMUP = 500;
const ITERATIONS = 6000;
const BATCH = 500;

export async function benchJwt(local: LocalJitgate, verifier: BenchVerifier): Promise<SectionResult> {
  const keys = new Map<string, KeyObject>(
    local.idp.jwks().keys.map((jwk) => [jwk.kid as string, createPublicKey({ key: jwk as never, format: 'jwk' })]),
  );
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const token = await local.idp.signToken('alice', { alg });
    const { data, signature, kid, signingInput, signatureText } = parse(token);
    const key = keys.get(kid);
    if (!key) throw new Error(`no public key ${kid}`);
    const bare =
      alg === 'RS256'
        ? () => cryptoVerify('sha256', data, key, signature)
        : () => cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    // What aws-jwt-verify 5 does for the signature (node-web-compat-node.js): a Verify stream object per token.
    const streamed = () =>
      createVerify('RSA-SHA256').update(signingInput).verify({ key, dsaEncoding: 'ieee-p1363' }, signatureText, 'base64');
    // Sanity: all accept the token before anything is timed.
    if (!bare() || !streamed()) throw new Error(`crypto rejected the ${alg} token`);
    await verifier.verify(token);

    const samples = await interleave(
      {
        awsJwtVerify: () => verifier.verify(token),
        awsJwtVerifySync: () => verifier.verifySync(token),
        cryptoVerify: bare,
        createVerify: streamed,
        decompose: () => decomposeUnverifiedJwt(token),
      },
      { warmup: WARMUP, iterations: ITERATIONS, batch: BATCH },
    );
    const lib = summarize(samples.awsJwtVerify);
    const sync = summarize(samples.awsJwtVerifySync);
    const raw = summarize(samples.cryptoVerify);
    const stream = summarize(samples.createVerify);
    const decompose = summarize(samples.decompose);
    const ratio = lib.median / raw.median;
    rows.push({ name: `${alg} aws-jwt-verify verify()`, value: fmtUs(lib.median), detail: `p95 ${fmtUs(lib.p95)}` });
    rows.push({ name: `${alg} aws-jwt-verify verifySync()`, value: fmtUs(sync.median), detail: `p95 ${fmtUs(sync.p95)} (for reference)` });
    rows.push({ name: `${alg} bare crypto.verify`, value: fmtUs(raw.median), detail: `p95 ${fmtUs(raw.p95)}` });
    rows.push({
      name: `${alg} crypto.createVerify().update().verify()`,
      value: fmtUs(stream.median),
      detail: `p95 ${fmtUs(stream.p95)} (the signature call aws-jwt-verify makes, for reference)`,
    });
    rows.push({
      name: `${alg} aws-jwt-verify decomposeUnverifiedJwt()`,
      value: fmtUs(decompose.median),
      detail: `p95 ${fmtUs(decompose.p95)} (its decoding step alone, for reference)`,
    });
    rows.push({
      name: `${alg} ratio verify() / crypto.verify`,
      value: fmtRatio(ratio),
      detail: `medians; overhead ${fmtUs(lib.median - raw.median)} per token`,
      target: target('≤ 1.2x', ratio <= 1.2),
    });
    if (ratio > 1.2) {
      const overhead = lib.median - raw.median;
      notes.push(
        `${alg}: aws-jwt-verify adds ${fmtUs(overhead)} per token to the bare signature check: ` +
          `${fmtUs(decompose.median)} in decomposeUnverifiedJwt ` +
          '(base64 decoding, and JSON.parse of header and payload with a reviver that deletes __proto__ / constructor from every ' +
          'object), ' +
          `${fmtUs(stream.median - raw.median)} in its signature call (crypto.createVerify instead of crypto.verify), ` +
          `${fmtUs(Math.max(0, overhead - decompose.median - (stream.median - raw.median)))} in the rest (JWK lookup, ` +
          'claim checks, the promise). ' +
          `A fixed cost per token: the cheaper the signature (RS256 verify is fast), the larger the ratio`,
      );
    }
  }
  notes.push(
    `${ITERATIONS} timed calls each after ${WARMUP} warm-up, interleaved in batches of ${BATCH}; ` +
      'medians (the JWKS was fetched once over HTTP before timing)',
  );
  return { title: '3. JWT verify (cached JWKS) vs bare crypto.verify', rows, notes };
}
