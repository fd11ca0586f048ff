/**
 * The development IdP's persisted secrets, under `<dataDir>`: the signing keys (a private JWK
 * set, RS256 first, then ES256) and the cookie keys. Created on first use by whichever comes
 * first, the server or the CLI, so tokens verify across restarts and `npx jitgate token` signs
 * with exactly the key the server publishes.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

export const KEYS_FILE = 'idp-keys.json';
export const COOKIE_KEYS_FILE = 'idp-cookie-keys.json';

/**
 * Reads the private JWK set from `<dataDir>/idp-keys.json`, creating it on first use.
 * Creation is atomic (write a temp file, then hard-link it into place, which fails if
 * another process got there first), so the server and a concurrent CLI run can never
 * end up with two different key sets.
 */
export async function loadOrCreateSigningKeys(dataDir: string): Promise<JWK[]> {
  const file = path.join(dataDir, KEYS_FILE);
  const existing = await readJsonIfExists(file);
  const parsed = existing ?? (await createOnce(file, async () => ({ keys: await generateSigningKeys() })));
  return validateKeySet(parsed, file);
}

async function generateSigningKeys(): Promise<JWK[]> {
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, kid: await calculateJwkThumbprint(jwk), alg, use: 'sig' });
  }
  return keys;
}

function validateKeySet(value: unknown, file: string): JWK[] {
  const keys = (value as { keys?: unknown })?.keys;
  const valid =
    Array.isArray(keys) &&
    keys.every((k) => k && typeof k === 'object' && typeof k.kid === 'string' && typeof k.d === 'string') &&
    keys.some((k) => k.alg === 'RS256');
  if (!valid) throw new Error(`${file} is not a private JWK set with an RS256 key; delete it and a new one is generated`);
  return keys as JWK[];
}

export function publicJwk(key: JWK): JWK {
  const common = { kid: key.kid, alg: key.alg, use: key.use ?? 'sig' };
  if (key.kty === 'RSA') return { kty: 'RSA', n: key.n, e: key.e, ...common };
  if (key.kty === 'EC') return { kty: 'EC', crv: key.crv, x: key.x, y: key.y, ...common };
  throw new Error(`unsupported key type ${String(key.kty)}`);
}

export async function loadOrCreateCookieKeys(dataDir: string): Promise<string[]> {
  const file = path.join(dataDir, COOKIE_KEYS_FILE);
  const value = (await readJsonIfExists(file)) ?? (await createOnce(file, async () => ({ keys: [randomBytes(32).toString('base64url')] })));
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string')) {
    throw new Error(`${file} should be {"keys": ["<random>"]}; delete it and a new one is generated`);
  }
  return keys as string[];
}

async function readJsonIfExists(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON; delete it and a new one is generated`);
  }
}

/** Writes `make()`'s result to `file` unless it exists; returns whatever `file` holds afterwards. */
async function createOnce(file: string, make: () => Promise<unknown>): Promise<unknown> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(await make(), null, 2)}\n`, { mode: 0o600 });
  try {
    await fs.link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return readJsonIfExists(file);
}
