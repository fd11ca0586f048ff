/**
 * The part of the composition root (shared/runtime.ts) that `authorize`, the hot path, needs:
 * config, policies, the token verifier, the store, the notifier, metrics, the clock and ids.
 * Its own module so the authorize bundle neither contains nor evaluates the Step Functions
 * and Secrets Manager clients at cold start (bench section 8). Read once per container.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { emfMetrics } from './adapters/metrics';
import { SnsNotifier } from './adapters/notifier';
import { DynamoStore } from './adapters/store';
import { createTokenVerifier, type TokenVerifier } from './adapters/tokens';
import { bundledConfig } from './config/bundled-config';
import type { Config } from './config/config';
import { PolicyIndex } from './domain/policy';
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
  core ??= coreFromEnv(process.env);
  return core;
}

/** For tests that change the environment between runs. */
export function resetCoreRuntime(): void {
  core = undefined;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

export function coreFromEnv(env: NodeJS.ProcessEnv): CoreDeps {
  // esbuild inlines the literal expressions `process.env.JITGATE_CONFIG_JSON` and `..._MODE` when it
  // bundles (infra/bundling.ts: at synth, and at `npm start` for local mode); no size limit, unlike
  // Lambda environment variables, which never carry them. Validated there, under the rules the bundle names.
  const config = bundledConfig(process.env.JITGATE_CONFIG_JSON, process.env.JITGATE_CONFIG_MODE === 'local' ? 'local' : 'deploy');
  return {
    config,
    policies: new PolicyIndex(config),
    verifier: createTokenVerifier(config),
    store: new DynamoStore(new DynamoDBClient(CLIENT_OPTIONS), required(env, 'TABLE_NAME')),
    notifier: new SnsNotifier(new SNSClient(CLIENT_OPTIONS), env.APPROVER_TOPIC_ARN ?? '', env.EVENTS_TOPIC_ARN ?? ''),
    metrics: emfMetrics,
    now: () => new Date(),
    newId: () => randomUUID(),
  };
}
