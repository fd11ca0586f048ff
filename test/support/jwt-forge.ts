/**
 * Hand-made JWTs for tests: header and payload as objects or as raw JSON text (to
 * write duplicate keys), signed with node:crypto by any algorithm, including the
 * ones jitgate must refuse (HS*, PS*).
 */
import { constants, createHmac, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export type ForgeAlg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'HS256' | 'HS512';

/** A private key for RS/PS/ES, or an HMAC secret for HS. */
export type ForgeKey = KeyObject | Buffer | string;

export function signingInput(header: object | string, payload: object | string): string {
  const text = (v: object | string) => (typeof v === 'string' ? v : JSON.stringify(v));
  return `${b64url(text(header))}.${b64url(text(payload))}`;
}

export function signature(input: string, alg: ForgeAlg, key: ForgeKey): Buffer {
  const data = Buffer.from(input);
  const bits = alg.slice(2);
  if (alg.startsWith('HS'))
    return createHmac(`sha${bits}`, key as Buffer | string)
      .update(data)
      .digest();
  if (alg.startsWith('RS')) return sign(`sha${bits}`, data, key as KeyObject);
  if (alg.startsWith('PS'))
    return sign(`sha${bits}`, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 });
  return sign('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
}

/** `header.payload.signature`, the header and payload taken as given (objects are JSON.stringified). */
export function forge(header: object | string, payload: object | string, alg: ForgeAlg, key: ForgeKey): string {
  const input = signingInput(header, payload);
  return `${input}.${b64url(signature(input, alg, key))}`;
}

export interface DevKeys {
  rsa: KeyObject;
  rsaKid: string;
  ec: KeyObject;
  ecKid: string;
  /** The public RSA JWK as the IdP publishes it. */
  rsaPublicJwk: Record<string, string>;
}

/** The development IdP's private keys, as `npm start` and `npx jitgate token` use them (`<dataDir>/idp-keys.json`). */
export function devKeys(dataDir: string): DevKeys {
  const { keys } = JSON.parse(readFileSync(path.join(dataDir, 'idp-keys.json'), 'utf8')) as { keys: Record<string, string>[] };
  const rsa = keys.find((k) => k.alg === 'RS256')!;
  const ec = keys.find((k) => k.alg === 'ES256')!;
  return {
    rsa: createPrivateKey({ key: rsa as never, format: 'jwk' }),
    rsaKid: rsa.kid!,
    ec: createPrivateKey({ key: ec as never, format: 'jwk' }),
    ecKid: ec.kid!,
    rsaPublicJwk: { kty: 'RSA', n: rsa.n!, e: rsa.e!, kid: rsa.kid!, alg: 'RS256', use: 'sig' },
  };
}

/** A fresh key pair an attacker controls. */
export function attackerKey(alg: 'RS256' | 'ES256' = 'RS256') {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey: pair.privateKey, publicJwk: pair.publicKey.export({ format: 'jwk' }) as Record<string, string> };
}
