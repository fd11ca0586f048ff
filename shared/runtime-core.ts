/**
 * The part of the composition root (shared/runtime.ts) that `authorize`, the hot path, needs:
 * config, policies, the token verifier, the store, the notifier, metrics, the clock and ids.
 * Its own module so the authorize bundle neither contains nor evaluates the Step Functions
 * and Secrets Manager clients at cold start (bench section 8). Read once per container.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { emfMetrics } from './adapters/metrics';
import { SnsNotifier } from './adapters/notifier';
import { DynamoStore } from './adapters/store';
import type { TokenVerifier } from './adapters/tokens';
import type { Config } from './config/config';
import { PolicyIndex } from './domain/policy';
import { containerVerifier, resetContainerVerifier, verifierFromBundle, type ConfiguredVerifier } from './runtime-verifier';
import type { Clock, Ids, Metrics, Notifier, Store } from './usecases/ports';

export interface CoreDeps extends Clock, Ids {
  config: Config;
  policies: PolicyIndex;
  verifier: TokenVerifier;
  store: Store;
  notifier: Notifier;
  /** Counts and durations for operators: EMF lines in the function's log (shared/adapters/metrics.ts). */
  metrics: Metrics;
}

/**
 * Reused across invocations; few attempts and short timeouts, so a slow dependency becomes a 503,
 * not a hung request. Without requestTimeout (and throwOnRequestTimeout, without which it only
 * warns) a call that is never answered waits for the function's own timeout: API Gateway's 502
 * instead of a 503 with Retry-After. Three attempts of 2.5 s fit the functions' 10 s.
 */
export const CLIENT_OPTIONS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_500, throwOnRequestTimeout: true },
};

let core: CoreDeps | undefined;

export function coreRuntime(): CoreDeps {
  // The verifier the authorize function made at init (runtime-verifier.ts), with the JWKS it fetched meanwhile.
  core ??= coreFromEnv(process.env, containerVerifier());
  return core;
}

/** For tests that change the environment between runs. */
export function resetCoreRuntime(): void {
  core = undefined;
  resetContainerVerifier();
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

export function coreFromEnv(env: NodeJS.ProcessEnv, { config, verifier }: ConfiguredVerifier = verifierFromBundle()): CoreDeps {
  return {
    config,
    policies: new PolicyIndex(config),
    verifier,
    store: new DynamoStore(new DynamoDBClient(CLIENT_OPTIONS), required(env, 'TABLE_NAME')),
    notifier: new SnsNotifier(CLIENT_OPTIONS, env.APPROVER_TOPIC_ARN ?? '', env.EVENTS_TOPIC_ARN ?? ''),
    metrics: emfMetrics,
    now: () => new Date(),
    newId: () => randomUUID(),
  };
}
