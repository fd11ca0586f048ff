/**
 * Where the request verbs send their calls and as whom. Local mode by default
 * (http://127.0.0.1:$PORT, 4000 without PORT, as `npm start` listens); `--url` or JITGATE_URL
 * for a deployment or another port. The token: `--token`, `--as <demo user>` (local mode:
 * minted with the development IdP's keys, as `jitgate token` does), or JITGATE_TOKEN.
 */
import path from 'node:path';
import { JitgateClient } from '../client';
import { DEMO_USERS, findDemoUser } from '../local/demo-users';
import { createDevTokenSigner } from '../local/idp';
import { UsageError, type CliIo } from './command';
import { developmentIssuer } from './development-issuer';
import { didYouMean } from './suggest';

export interface ConnectionOptions {
  url?: string;
  token?: string;
  as?: string;
}

/** The API could not be reached at all (nothing listening, DNS, TLS): no problem document to show. */
export class CannotReach extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
    super(`cannot reach ${url} (${why}); start local mode with "npm start", or pass --url or set JITGATE_URL`);
  }
}

export function apiUrl(io: Pick<CliIo, 'env'>, values: ConnectionOptions): string {
  const text = values.url ?? io.env.JITGATE_URL ?? `http://127.0.0.1:${io.env.PORT || '4000'}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${values.url !== undefined ? '--url' : 'JITGATE_URL'} is not a URL (got "${text}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the API URL must be http(s) (got "${text}")`);
  return text.replace(/\/+$/, '');
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Seconds a token minted for `--as` lives; a new one is minted 5 minutes before. */
const MINTED_TTL = 3600;

/** A client for the verbs, its fetch turning "nothing answered" into CannotReach. */
export function connect(io: CliIo, values: ConnectionOptions): JitgateClient {
  const baseUrl = apiUrl(io, values);
  const token = tokenSource(io, values, baseUrl);
  const fetchFn: typeof fetch = async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new CannotReach(baseUrl, err);
    }
  };
  return new JitgateClient({ baseUrl, token, fetch: fetchFn });
}

function tokenSource(io: CliIo, values: ConnectionOptions, baseUrl: string): string | (() => Promise<string>) {
  if (values.token !== undefined && values.as !== undefined) throw new UsageError('--token or --as, not both');
  if (values.token !== undefined) return values.token;
  if (values.as !== undefined) {
    const user = values.as;
    if (!findDemoUser(DEMO_USERS, user)) {
      const names = DEMO_USERS.map((u) => u.sub);
      throw new UsageError(`--as: no demo user "${user}"${didYouMean(user, names)}; the demo users are ${names.join(', ')}`);
    }
    // Local mode on another port (--url http://127.0.0.1:4100) names itself issuer on that port.
    const url = new URL(baseUrl);
    const env = LOOPBACK.has(url.hostname) && url.port ? { ...io.env, PORT: url.port } : io.env;
    const dataDir = path.resolve(io.cwd, io.env.JITGATE_DATA_DIR || '.jitgate');
    const signer = () => createDevTokenSigner({ issuer: developmentIssuer({ cwd: io.cwd, env }), dataDir });
    let minted: { token: Promise<string>; until: number } | undefined;
    return () => {
      // A fresh token before the last one runs out: `watch` may follow a grant for hours.
      if (!minted || Date.now() > minted.until) {
        const authTime = Math.floor(Date.now() / 1000);
        const token = signer().then((s) => s.signToken(user, { expiresIn: MINTED_TTL, tokenUse: 'id', authTime }));
        minted = { token, until: Date.now() + (MINTED_TTL - 300) * 1000 };
      }
      return minted.token;
    };
  }
  if (io.env.JITGATE_TOKEN) return io.env.JITGATE_TOKEN;
  throw new UsageError('no token: pass --token, set JITGATE_TOKEN, or --as <demo user> in local mode (e.g. --as alice)');
}
