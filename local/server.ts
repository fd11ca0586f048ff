/**
 * Local mode, composed: the synthesized stack's table, state machine and routes,
 * served on one port with the very same function bundles as on AWS, each in its own
 * containers with its template environment (local/lambda/). Only endpoints and
 * bindings change: DynamoDB Local for DynamoDB, this process's own Step Functions,
 * SNS and Secrets Manager endpoints for those services, the development IdP for the issuer.
 */
import './polyfills';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../shared/config/config';
import { assertPortFree } from './port-check';
import { resolveIssuers } from '../shared/config/issuers';
import { DEMO_CONFIG_FILE, readConfigFile, type ConfigLocation } from '../shared/config/config-file';
import { buildRouter } from './apigateway';
import { findResources, findStateMachine, lambdaEntries, localResolver, LOCAL_ACCOUNT, LOCAL_REGION, type CfnTemplate } from './cfn';
import { guardAwsEndpoint } from './aws-guard';
import { createDynamoDbProxy } from './dynamodb-proxy';
import { LocalIam } from './iam/authorizer';
import { rolesFromTemplate } from './iam/roles';
import { DEFAULT_TABLE_NAME, dynamoDbSource, ensureTable, localDynamoDbClient, type AttachedDynamoDb } from './dynamodb-local';
import type { CfnTableProperties, DynamoDbLocal } from './dynamodb-local';
import { DynamoDbSupervisor } from './dynamodb-local/supervisor';
import { faultyAwsEndpoint, faultyDynamoDb, faultySnsPublish, LocalFaults } from './faults';
import { createFrontDoor } from './front-door';
import type { HealthChecks } from './health';
import { createDevIdp } from './idp';
import { narrate } from './narration';
import { Outbox, outboxHttpHandler } from './outbox';
import { LocalMetrics, metricsHttpHandler } from './metrics';
import { buildBundles } from './lambda/bundles';
import { localFunctions, secretsReadAs } from './lambda/functions';
import { containersFor, LocalLambda } from './lambda/runtime';
import { resumeExecutions } from './resume';
import { createSecretsManagerEndpoint } from './secretsmanager';
import { createSnsEndpoint, LocalSns } from './sns';
import { executionEventDelivery, statusChangeRules } from './execution-events';
import { createStepFunctionsEndpoint, LocalStepFunctions } from './stepfunctions';
import {
  approverSubscriptions,
  cachedTemplate,
  keysOnlyIdp,
  LOCAL_CACHE_DIR,
  linkKeyHex,
  localConfig,
  timed,
  type LocalIdp,
} from './setup';

/** The table of a local mode with a DynamoDB Local of its own. */
export const TABLE_NAME = DEFAULT_TABLE_NAME;
export const STATE_MACHINE_ARN = 'arn:aws:states:local:000000000000:stateMachine:jitgate';
const REGION = 'us-east-1';

export interface LocalOptions {
  port?: number;
  /** Where data lives between runs (`.jitgate/`). */
  dataDir?: string;
  /** Keep DynamoDB in memory (tests, benchmarks). */
  inMemory?: boolean;
  /** A DynamoDB Local another process runs, and this local mode's table in it (local/dynamodb-local/attach.ts). */
  dynamodb?: AttachedDynamoDb;
  /**
   * The config file; default the demo config (`examples/demo/`), so a test or a benchmark never
   * runs whatever a user edited. `npm start` (local/main.ts) passes the location `locateConfig`
   * chose, so a missing file is explained as it was named (JITGATE_CONFIG, or the directory).
   */
  configPath?: string | ConfigLocation;
  /** Already-parsed config (tests). */
  config?: Config;
  log?: (line: string) => void;
  /**
   * `full` (default): the oidc-provider development IdP. `keys`: only discovery and
   * JWKS from the same persisted keys, for in-process use under jest (which cannot
   * load oidc-provider, an ES module) and for benchmarks.
   */
  idp?: 'full' | 'keys';
  /** Changes a copy of the synthesized template before local mode reads it (tests that take a grant away). */
  alterTemplate?: (template: CfnTemplate) => CfnTemplate;
  /** Containers per function at most (local/lambda/runtime.ts); more concurrent invocations queue. */
  lambdaContainers?: number;
}

export interface LocalJitgate {
  url: string;
  port: number;
  config: Config;
  idp: LocalIdp;
  outbox: Outbox;
  /** What the functions' EMF lines said (`GET /dev/metrics`). */
  metrics: LocalMetrics;
  sfn: LocalStepFunctions;
  /** The JVM running now: a new one (same port, same data) when the last went away. */
  readonly dynamodb: DynamoDbLocal;
  /** The table in it: `jitgate`, or the one `dynamodb` named. */
  tableName: string;
  /** Faults a test switches on (local/faults): none unless injected. */
  faults: LocalFaults;
  template: CfnTemplate;
  /** The roles of the template and the checks every local AWS endpoint makes. */
  iam: LocalIam;
  resumed: number;
  /** The functions' containers. */
  lambda: LocalLambda;
  startupMs: Record<string, number>;
  close(): Promise<void>;
}

export async function startLocal(options: LocalOptions = {}): Promise<LocalJitgate> {
  // A start that fails after it launched its own DynamoDB Local (a bad template, a bundle that
  // does not build, a container that does not warm) must not leave the JVM running.
  const launched: { dynamodb?: Promise<DynamoDbLocal> } = {};
  try {
    return await startParts(options, launched);
  } catch (err) {
    await (await launched.dynamodb?.catch(() => undefined))?.stop();
    throw err;
  }
}

async function startParts(options: LocalOptions, launched: { dynamodb?: Promise<DynamoDbLocal> }): Promise<LocalJitgate> {
  const t0 = Date.now();
  const startupMs: Record<string, number> = {};
  const mark = (what: string, since: number) => (startupMs[what] = Date.now() - since);
  const log = options.log ?? (() => undefined);
  const port = options.port ?? 4000;
  const url = `http://127.0.0.1:${port}`;
  await assertPortFree(port);
  const dataDir = path.resolve(options.dataDir ?? '.jitgate');
  mkdirSync(dataDir, { recursive: true });

  const given = options.configPath;
  const location: ConfigLocation =
    typeof given === 'string' ? { file: path.resolve(given), from: 'flag' } : (given ?? { file: DEMO_CONFIG_FILE, from: 'demo' });
  const configFile = location.file;
  const fileConfig = options.config ?? readConfigFile(location, 'local');
  // Discovery happens here, once: the handlers receive every issuer with its jwksUri.
  const { config, devIssuer } = localConfig(await resolveIssuers(fileConfig, undefined, { source: path.basename(configFile) }), url);

  // The JVM starts in its own process while this one synthesizes: they overlap on two cores.
  let t = Date.now();
  const source = dynamoDbSource({ attach: options.dynamodb, dataDir: options.inMemory ? undefined : path.join(dataDir, 'dynamodb') });
  const { tableName } = source;
  const dynamodbStarting = source.start();
  dynamodbStarting.catch(() => undefined);
  launched.dynamodb = dynamodbStarting;
  const synthesized = await cachedTemplate(config);
  const template = options.alterTemplate ? options.alterTemplate(structuredClone(synthesized)) : synthesized;
  mark('synth', t);
  const dynamodb = await dynamodbStarting;
  mark('dynamodb', t);
  // The deployed bundles with local mode's config inlined, into the data dir; built after the JVM is up (esbuild would slow its start).
  const entries = lambdaEntries(template);
  const [configJson, configDir] = [JSON.stringify(config), path.join(dataDir, 'bundles')];
  const bundling = timed(buildBundles({ entries: Object.values(entries), configJson, configMode: 'local', configDir }));
  bundling.catch(() => undefined);
  const ddbClient = localDynamoDbClient(dynamodb.endpoint);
  const tables = findResources(template, 'AWS::DynamoDB::Table').concat(findResources(template, 'AWS::DynamoDB::GlobalTable'));
  if (tables.length !== 1) throw new Error(`expected one table in the stack, found ${tables.length}`);
  const table = () => ensureTable(ddbClient, tables[0]!.resource.Properties as unknown as CfnTableProperties, tableName);
  await table();
  const faults = new LocalFaults();

  // Topics: every AWS::SNS::Topic gets a local ARN named after its logical id.
  const topicArn = (logicalId: string) => `arn:aws:sns:local:000000000000:${logicalId}`;
  const topics = findResources(template, 'AWS::SNS::Topic').map((r) => r.logicalId);
  const envOf = (logicalId: string) =>
    (template.Resources?.[logicalId]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const apiFn = Object.keys(entries).find((id) => entries[id] === 'functions/api/index.ts');
  const topicRefOf = (variable: string): string => {
    const value = apiFn ? envOf(apiFn)[variable] : undefined;
    const ref = (value as { Ref?: string } | undefined)?.Ref;
    if (!ref) throw new Error(`the api function has no ${variable} Ref to a topic in the template`);
    return ref;
  };
  const approverTopic = topicArn(topicRefOf('APPROVER_TOPIC_ARN'));

  const outbox = new Outbox(options.inMemory ? undefined : path.join(dataDir, 'outbox.jsonl'));
  const sns = new LocalSns({ outbox, topics: topics.map(topicArn), subscriptions: approverSubscriptions(config, approverTopic) });
  // Each request's story on the console, one line per step (local/narration.ts).
  outbox.onMessage((m) => {
    for (const line of narrate(m)) log(line);
  });

  // Each function in its own containers with its template environment.
  const { value: built, ms: bundleMs } = await bundling;
  startupMs.bundles = bundleMs;
  const stateMachineId = findResources(template, 'AWS::StepFunctions::StateMachine')[0]?.logicalId;
  const resolver = localResolver(template, {
    tableName,
    overrides: {
      ...Object.fromEntries(topics.map((id) => [id, topicArn(id)])),
      ...(stateMachineId ? { [stateMachineId]: STATE_MACHINE_ARN } : {}),
    },
  });
  // The link key stays in .jitgate/link-key; the functions read it through the Secrets Manager API, as on AWS.
  linkKeyHex(dataDir);
  const secrets = secretsReadAs(template, 'LINK_KEY_SECRET_ARN').map((id) => ({
    arn: resolver.ref(id) as string,
    name: id,
    value: () => linkKeyHex(dataDir),
  }));
  // What the functions print reaches the console, and their EMF metrics GET /dev/metrics.
  const metrics = new LocalMetrics();
  const router = buildRouter(template);
  const lambda = new LocalLambda({
    onLogLine: (_fn, line) => metrics.record(line),
    functions: localFunctions(template, {
      resolver,
      bundles: built.bundles,
      region: REGION,
      endpoints: {
        dynamodb: `${url}/dev/aws/dynamodb`,
        sfn: `${url}/dev/aws/sfn`,
        sns: `${url}/dev/aws/sns`,
        secretsManager: `${url}/dev/aws/secretsmanager`,
      },
    }),
    workerFile: built.worker,
    maxContainers: options.lambdaContainers ?? containersFor(new Set(router.routes.map((route) => route.target))),
  });
  const entryName = (logicalId: string) => entries[logicalId]?.split('/')[1] ?? logicalId;
  const invokeLambda = (logicalId: string, payload: unknown) =>
    lambda.invoke(logicalId, payload, { crash: faults.take('lambda', entryName(logicalId), 'function') !== undefined });
  // One warm container per function before the first request, as a deployed function that has served
  // before: a first call must not pay for loading its bundle, or the state machine's first steps lag
  // behind the API. They load while the IdP starts.
  const warming = timed(lambda.warm());
  warming.catch(() => undefined);

  const machine = findStateMachine(template, {
    tableName,
    overrides: Object.fromEntries(topics.map((id) => [id, topicArn(id)])),
  });
  const iam = new LocalIam(rolesFromTemplate(template, { tableName, stateMachineArn: STATE_MACHINE_ARN }), log, {
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT,
  });
  // The template's EventBridge rule on abnormal execution ends, delivered as on AWS.
  const executionEvents = executionEventDelivery({
    rules: statusChangeRules(template, machine.logicalId),
    invokeLambda,
    region: REGION,
    account: '000000000000',
    log,
  });
  const sfn = new LocalStepFunctions({
    authorizeTask: (resource, parameters) => iam.checkTask(resource, parameters),
    definition: machine.definition,
    stateMachineArn: STATE_MACHINE_ARN,
    validatedDefinitions: LOCAL_CACHE_DIR,
    invokeLambda,
    dynamodb: faultyDynamoDb(ddbClient, faults),
    publishSns: faultySnsPublish(sns.publishSns, faults),
    onExecutionEnded: executionEvents.onExecutionEnded,
  });

  t = Date.now();
  const issuer = devIssuer ?? `${url}/dev/idp`;
  const idp = options.idp === 'keys' ? await keysOnlyIdp(issuer, dataDir) : await createDevIdp({ issuer, dataDir });
  mark('idp', t);
  try {
    startupMs.handlers = (await warming).ms;
  } catch (err) {
    await Promise.all([lambda.close(), idp.close(), sfn.close()]);
    throw err;
  }

  // A DynamoDB Local that goes away is started again; executions that ended meanwhile are resumed.
  const supervisor = new DynamoDbSupervisor(dynamodb, {
    start: source.start,
    onRestarted: async () => {
      if (options.inMemory) log('local mode: DynamoDB Local ran in memory (inMemory): its data is lost, the table starts empty');
      await table();
      const isRunning = async (id: string) =>
        (await sfn.describeExecution({ executionArn: sfn.executionArnFor(id) }).catch(() => undefined))?.status === 'RUNNING';
      const again = await resumeExecutions({ client: ddbClient, table: tableName, sfn, linkBase: `${url}/approve/`, isRunning });
      if (again) log(`local mode: ${again} execution(s) resumed after DynamoDB Local came back`);
    },
    log,
  });
  const health: HealthChecks = {
    dynamodb: async () => {
      if (supervisor.status !== 'up') return { status: 'restarting', pid: supervisor.dynamodb.pid, restarts: supervisor.restarts };
      await ddbClient.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_500) });
      return { status: 'up', pid: supervisor.dynamodb.pid, restarts: supervisor.restarts };
    },
    stepfunctions: async () => ({
      status: 'up',
      runningExecutions: (await sfn.listExecutions({ statusFilter: 'RUNNING' })).executions.length,
    }),
    lambda: async () => ({ status: 'up', containers: lambda.containers() }),
    sns: async () => ({ status: 'up', topics: topics.length }),
    idp: async () => ({ status: 'up', issuer }),
  };
  const guarded = {
    iam,
    stateMachineArn: STATE_MACHINE_ARN,
    secretArnOf: (id: string) => secrets.find((s) => s.arn === id || s.name === id)?.arn,
  };
  const dynamodbProxy = createDynamoDbProxy(dynamodb.endpoint);
  const crashCaller = (accessKeyId: string) => lambda.crashRunning(accessKeyId);
  const awsEndpoints = {
    sfn: guardAwsEndpoint('sfn', faultyAwsEndpoint('sfn', createStepFunctionsEndpoint(sfn), faults, crashCaller), guarded),
    sns: guardAwsEndpoint('sns', faultyAwsEndpoint('sns', createSnsEndpoint(sns), faults, crashCaller), guarded),
    dynamodb: guardAwsEndpoint('dynamodb', faultyAwsEndpoint('dynamodb', dynamodbProxy, faults, crashCaller), guarded),
    secretsmanager: guardAwsEndpoint('secretsmanager', createSecretsManagerEndpoint(secrets), guarded),
  };
  const server = createFrontDoor({
    port,
    idp,
    devPages: [outboxHttpHandler(outbox), metricsHttpHandler(metrics)],
    health,
    awsEndpoints,
    router,
    invokeLambda,
    log,
  });

  // Everything but the server, stopped in order: by close(), and when the port was taken while the parts started.
  const stopParts = async () => {
    await sfn.close();
    await executionEvents.idle();
    await lambda.close();
    await idp.close();
    dynamodbProxy.close();
    ddbClient.destroy();
    await supervisor.stop();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    await stopParts();
    throw err;
  }
  server.keepAliveTimeout = 5000;

  t = Date.now();
  const resumed = await resumeExecutions({ client: ddbClient, table: tableName, sfn, linkBase: `${url}/approve/` });
  mark('resume', t);
  mark('total', t0);

  return {
    url,
    port,
    config,
    idp,
    outbox,
    metrics,
    sfn,
    get dynamodb() {
      return supervisor.dynamodb;
    },
    tableName,
    faults,
    template,
    iam,
    resumed,
    lambda,
    startupMs,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await stopParts();
    },
  };
}
