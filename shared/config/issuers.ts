/**
 * OpenID Connect discovery, at synth (`infra/app.ts`) and at `npm start`
 * (`local/server.ts`), never per request: an issuer configured without `jwksUri`
 * gets the `jwks_uri` of `<issuer>/.well-known/openid-configuration`, and the
 * resolved config (with every `jwksUri` filled) is what the functions receive.
 * Presets and local mode's development issuer already name their JWKS.
 */
import type { Config, IssuerConfig } from './config';
import { ConfigError } from '../domain/errors';

export type Fetch = (
  url: string,
  init?: { signal?: AbortSignal; headers?: Record<string, string> },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

export interface ResolveOptions {
  /** Per discovery document; default 5 s. */
  timeoutMs?: number;
  /** Named in error messages; default `jitgate.config.json`. */
  source?: string;
}

export function discoveryUrl(issuer: string): string {
  // OpenID Connect Discovery 1.0, section 4: the issuer without its trailing slash, then the well-known path.
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

/** Fills each missing `jwksUri` by discovery; throws a ConfigError naming every issuer that could not be resolved. */
export async function resolveIssuers(
  config: Config,
  fetchImpl: Fetch = fetch as unknown as Fetch,
  options: ResolveOptions = {},
): Promise<Config> {
  const entries = Object.entries(config.issuers);
  const needs = entries.filter(([, issuer]) => !issuer.jwksUri && !issuer.development);
  if (needs.length === 0) return config;
  const failures: string[] = [];
  const resolved = await Promise.all(
    needs.map(async ([name, issuer]): Promise<[string, IssuerConfig] | undefined> => {
      try {
        return [name, { ...issuer, jwksUri: await discoverJwksUri(issuer.issuer, fetchImpl, options.timeoutMs ?? 5000) }];
      } catch (err) {
        failures.push(
          `  issuers.${name}.jwksUri: not set, and discovery at ${discoveryUrl(issuer.issuer)} failed: ` +
            `${(err as Error).message}; set "jwksUri" to the issuer's JWKS URL, or check "issuer"`,
        );
        return undefined;
      }
    }),
  );
  if (failures.length > 0)
    throw new ConfigError(`${options.source ?? 'jitgate.config.json'} is not valid:\n${failures.join('\n')}`, failures);
  const issuers = { ...config.issuers };
  for (const entry of resolved) if (entry) issuers[entry[0]] = entry[1];
  return { ...config, issuers };
}

async function discoverJwksUri(issuer: string, fetchImpl: Fetch, timeoutMs: number): Promise<string> {
  let response: Awaited<ReturnType<Fetch>>;
  try {
    response = await fetchImpl(discoveryUrl(issuer), { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    // undici's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, a timeout...).
    const cause = (err as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    const reason = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message;
    throw new Error(reason ? `${(err as Error).message} (${reason})` : (err as Error).message);
  }
  if (!response.ok) throw new Error(`status ${response.status}`);
  let doc: unknown;
  try {
    doc = await response.json();
  } catch {
    throw new Error('the response is not JSON');
  }
  const { issuer: declared, jwks_uri: jwksUri } = (doc ?? {}) as { issuer?: unknown; jwks_uri?: unknown };
  // Section 4.3: the document's issuer must be exactly the configured one.
  if (declared !== issuer) throw new Error(`the document names issuer ${JSON.stringify(declared)}, not "${issuer}"`);
  if (typeof jwksUri !== 'string') throw new Error('the document has no "jwks_uri"');
  let url: URL;
  try {
    url = new URL(jwksUri);
  } catch {
    throw new Error(`"jwks_uri" is not a URL (${JSON.stringify(jwksUri).slice(0, 80)})`);
  }
  // An https issuer's keys come over https; an http issuer is local mode's, already vetted by parseConfig.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && issuer.startsWith('http://')))
    throw new Error(`"jwks_uri" ${jwksUri} is not https`);
  return jwksUri;
}
