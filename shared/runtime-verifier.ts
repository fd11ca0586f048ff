/**
 * The part of the composition root that reads the bundled config and makes the token verifier,
 * apart from runtime-core.ts because it imports no AWS SDK: the authorize entry imports it first
 * (functions/authorize/prefetch.ts), so the issuers' signing keys are requested before the SDK's
 * modules are evaluated and arrive while they are (bench section 8). Read once per container.
 */
import { createTokenVerifier, type JwksVerifier } from './adapters/tokens';
import { bundledConfig } from './config/bundled-config';
import type { Config } from './config/config';

export interface ConfiguredVerifier {
  config: Config;
  verifier: JwksVerifier;
}

let container: ConfiguredVerifier | undefined;

/** This container's config and verifier, made on first use; coreRuntime() takes them. */
export function containerVerifier(): ConfiguredVerifier {
  container ??= verifierFromBundle();
  return container;
}

/** For tests that change the environment between runs. */
export function resetContainerVerifier(): void {
  container = undefined;
}

/**
 * Makes this container's verifier and starts fetching every issuer's JWKS, without waiting.
 * Nothing here fails init: a config the bundle cannot use throws again from coreRuntime() at the
 * first invocation, which answers it as before, and a JWKS not fetched is fetched by the first
 * verify that needs it (TokenVerifier.prefetch).
 */
export function prefetchSigningKeys(): void {
  try {
    void containerVerifier().verifier.prefetch();
  } catch {
    // left for the first invocation, as above
  }
}

export function verifierFromBundle(): ConfiguredVerifier {
  // esbuild inlines the literal expressions `process.env.JITGATE_CONFIG_JSON` and `..._MODE` when it
  // bundles (infra/bundling.ts: at synth, and at `npm start` for local mode); no size limit, unlike
  // Lambda environment variables, which never carry them. Validated there, under the rules the bundle names.
  const config = bundledConfig(process.env.JITGATE_CONFIG_JSON, process.env.JITGATE_CONFIG_MODE === 'local' ? 'local' : 'deploy');
  return { config, verifier: createTokenVerifier(config) };
}
