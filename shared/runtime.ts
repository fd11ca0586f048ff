/**
 * The edge where the environment is read, once per Lambda container (local mode's
 * containers too): config, clients and keys become a typed `Deps` that the use
 * cases receive. Nothing below this reads `process.env`.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SnsNotifier } from './adapters/notifier';
import { linkKeyLoader } from './adapters/secrets';
import { DynamoStore } from './adapters/store';
import { StepFunctionsWorkflow } from './adapters/workflow';
import { parseConfig, type Config } from './config/config';
import { PolicyIndex } from './domain/policy';
import { createTokenVerifier, type TokenVerifier } from './adapters/tokens';
import type { Clock, Ids, Metrics, Notifier, Store, Workflow } from './usecases/ports';
import { emfMetrics } from './adapters/metrics';

/** What every use case receives: the config, the ports (shared/usecases/ports.ts) and the keys. */
export interface Deps extends Clock, Ids {
  config: Config;
  policies: PolicyIndex;
  verifier: TokenVerifier;
  store: Store;
  workflow: Workflow;
  notifier: Notifier;
  /** Counts and durations for operators: EMF lines in the function's log (shared/adapters/metrics.ts). */
  metrics: Metrics;
  linkKey(): Promise<Buffer>;
  /** Base URL for links in notifications when the API sits behind a custom domain. */
  publicUrl?: string;
}

let deps: Deps | undefined;

export function runtime(): Deps {
  deps ??= fromEnv(process.env);
  return deps;
}

/** For tests that change the environment between runs. */
export function resetRuntime(): void {
  deps = undefined;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

export function fromEnv(env: NodeJS.ProcessEnv): Deps {
  // esbuild inlines the literal expressions `process.env.JITGATE_CONFIG_JSON` and `..._MODE` when it
  // bundles (infra/bundling.ts: at synth, and at `npm start` for local mode); no size limit, unlike
  // Lambda environment variables, which never carry them.
  const configJson = process.env.JITGATE_CONFIG_JSON;
  if (!configJson) throw new Error('JITGATE_CONFIG_JSON is not set: the bundle was built without its config');
  // Validated at synth (deploy rules) or at `npm start` (local rules, which also accept http issuers); the bundle says which.
  const config = parseConfig(JSON.parse(configJson), 'the bundled config', {
    mode: process.env.JITGATE_CONFIG_MODE === 'local' ? 'local' : 'deploy',
    allowNoIssuer: true,
  });
  // Reused across invocations; short timeouts so a slow dependency becomes a 503, not a hung request.
  // Without requestTimeout (and throwOnRequestTimeout, without which it only warns) a call that is never
  // answered waits for the function's own timeout: API Gateway's 502 instead of a 503 with Retry-After.
  // Three attempts of 2.5 s fit the functions' 10 s.
  const clientOptions = {
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_500, throwOnRequestTimeout: true },
  };
  return {
    config,
    policies: new PolicyIndex(config),
    verifier: createTokenVerifier(config),
    store: new DynamoStore(new DynamoDBClient(clientOptions), required(env, 'TABLE_NAME')),
    workflow: new StepFunctionsWorkflow(new SFNClient(clientOptions), env.STATE_MACHINE_ARN ?? ''),
    notifier: new SnsNotifier(new SNSClient(clientOptions), env.APPROVER_TOPIC_ARN ?? '', env.EVENTS_TOPIC_ARN ?? ''),
    metrics: emfMetrics,
    linkKey: linkKeyLoader(env.LINK_KEY_SECRET_ARN),
    now: () => new Date(),
    newId: () => randomUUID(),
    publicUrl: env.PUBLIC_URL || undefined,
  };
}
