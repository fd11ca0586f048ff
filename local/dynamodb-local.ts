/**
 * AWS's DynamoDB Local (the jar shipped in the npm package `amplify-dynamodb-simulator`),
 * started as a child process, plus `ensureTable`, which creates the table from the
 * synthesized CloudFormation resource properties.
 *
 * The jar listens on every interface and checks neither signature nor Host, so it is
 * started through local/java/LoopbackDynamoDbLocal.java (compiled once: local/dynamodb-launcher.ts),
 * which binds it to 127.0.0.1 and refuses foreign Hosts and browser requests.
 *
 * The JVM runs under a tiny `sh` watchdog: when this Node process goes away for any
 * reason (stop(), process exit, a signal, even SIGKILL) the watchdog's stdin reaches
 * EOF and it terminates the JVM, so no orphaned DynamoDB Local keeps a port or the
 * data directory busy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { compiledLauncher, dynamoDbLocalClassPath, LAUNCHER_CLASS } from './dynamodb-launcher';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  type Projection,
  type ProvisionedThroughput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocalOptions {
  /** Port to listen on; 0 or absent picks a free one. */
  port?: number;
  /** Directory for the database file (created if missing); absent runs `-inMemory`. */
  dataDir?: string;
  /** How long to wait for the first answer to ListTables. Default 90 000 ms (a JVM on a busy two-core machine can take over 30 s). */
  timeoutMs?: number;
  /** The `java` executable. Default `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on the PATH. */
  javaPath?: string;
  /** Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib. Default: amplify-dynamodb-simulator's `emulator/`. */
  jarDir?: string;
  /** Extra JVM options, placed before `-jar`. Default: a serial GC (2 cores, short-lived process). */
  jvmOptions?: string[];
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`: use it as the client endpoint / AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  port: number;
  /** Process id of the JVM. */
  pid: number;
  /** Milliseconds from spawn to the first successful ListTables. */
  startupMs: number;
  /** Stops the JVM (SIGTERM, SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
  /** What the JVM printed so far (stdout and stderr, the last 64 KiB). */
  output(): string;
}

/** Credentials and region any client of DynamoDB Local may use (`-sharedDb` makes them irrelevant to the data). */
export const DYNAMODB_LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const DYNAMODB_LOCAL_REGION = 'us-east-1';

/** A DynamoDB client for a local endpoint, with dummy credentials. */
export function localDynamoDbClient(endpoint: string, extra: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: DYNAMODB_LOCAL_REGION,
    credentials: { ...DYNAMODB_LOCAL_CREDENTIALS },
    ...(extra.maxAttempts !== undefined ? { maxAttempts: extra.maxAttempts } : {}),
  });
}

const JAVA_HELP =
  'DynamoDB Local needs Java 17 with the jdk.compiler module (local mode compiles a small launcher at start; ' +
  'Debian\'s openjdk-17-jre-headless and every JDK have it). Install it with ' +
  '`sudo apt-get install -y openjdk-17-jre-headless` (Debian/Ubuntu), `brew install openjdk@17` (macOS), ' +
  'or set JAVA_HOME to a Java 17 installation.';


/** Runs "$0" "$@" (java) in the background, prints its pid, and kills it when stdin reaches EOF. */
const WATCHDOG = [
  'exec 3<&0',
  '"$0" "$@" </dev/null &',
  'j=$!',
  'echo "jitgate-java-pid $j"',
  '( read -r _ <&3; kill "$j" 2>/dev/null ) &',
  'w=$!',
  'exec 3<&-',
  'wait "$j"',
  's=$?',
  'kill "$w" 2>/dev/null',
  'exit "$s"',
].join('\n');

const live = new Set<{ kill(): void }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const l of live) l.kill();
  });
}

/** The directory holding DynamoDBLocal.jar. */
export function defaultJarDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator'));
  } catch {
    /* not resolvable from here: fall back to the working directory */
  }
  candidates.push(resolve('node_modules/amplify-dynamodb-simulator/emulator'));
  for (const c of candidates) if (existsSync(join(c, 'DynamoDBLocal.jar'))) return c;
  throw new Error(
    `DynamoDBLocal.jar not found (looked in ${candidates.join(', ')}). ` +
      'It ships in the npm package amplify-dynamodb-simulator (a devDependency): run `npm install`.',
  );
}

/** A port that is free on the loopback address right now (every local listener binds 127.0.0.1 only, and so do these probes). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => res(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => res(true)));
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Starts DynamoDB Local and resolves once it answers ListTables.
 * Rejects with the JVM's output in the message when it exits or does not answer in time.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const pickPort = !options.port;
  // A port picked by us can be taken between the check and the JVM's bind: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, pickPort ? await freePort() : options.port!);
    } catch (err) {
      if (pickPort && attempt < 3 && err instanceof DynamoDbLocalError && err.portInUse) continue;
      throw err;
    }
  }
}

export class DynamoDbLocalError extends Error {
  constructor(
    message: string,
    readonly output: string,
    readonly portInUse = false,
  ) {
    super(message);
    this.name = 'DynamoDbLocalError';
  }
}

async function startOnce(options: DynamoDbLocalOptions, port: number): Promise<DynamoDbLocal> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const jarDir = options.jarDir ?? defaultJarDir();
  const javaPath = options.javaPath ?? (process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java');
  if (!(await portIsFree(port))) {
    throw new DynamoDbLocalError(
      `DynamoDB Local: port ${port} is already in use (another DynamoDB Local, or an earlier run still going?). ` +
        'Choose another port, or port 0 for a free one.',
      '',
      true,
    );
  }
  let launcherDir: string;
  try {
    launcherDir = await compiledLauncher(javaPath, jarDir);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { output?: string };
    throw new DynamoDbLocalError(
      e.code === 'ENOENT' ? `DynamoDB Local could not start: \`${javaPath}\` was not found. ${JAVA_HELP}` : `DynamoDB Local's launcher did not compile. ${JAVA_HELP}\n--- javac ---\n${e.output ?? e.message}`,
      e.output ?? '',
    );
  }
  const storage = options.dataDir ? ['-dbPath', resolve(options.dataDir)] : ['-inMemory'];
  if (options.dataDir) mkdirSync(resolve(options.dataDir), { recursive: true });
  const args = [
    ...(options.jvmOptions ?? ['-XX:+UseSerialGC']),
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    '-cp',
    [launcherDir, ...dynamoDbLocalClassPath(jarDir)].join(delimiter),
    LAUNCHER_CLASS,
    '-port',
    String(port),
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
  ];

  const started = performance.now();
  const child: ChildProcess = spawn('sh', ['-c', WATCHDOG, javaPath, ...args], {
    cwd: jarDir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let javaPid = 0;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((res) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(handle);
      res();
    });
  });
  const append = (chunk: Buffer) => {
    let text = chunk.toString('utf8');
    if (!javaPid) {
      const m = /jitgate-java-pid (\d+)\n/.exec(text);
      if (m) {
        javaPid = Number(m[1]);
        text = text.replace(m[0], '');
      }
    }
    output = (output + text).slice(-65_536);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  child.on('error', (err) => {
    output += `\n${String(err)}`;
    exited ??= { code: -1, signal: null };
  });
  // SIGTERM goes to the JVM only: the watchdog shell exits once the JVM has, so awaiting the
  // shell's exit means the JVM is gone (and the data directory free for the next start).
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (javaPid) process.kill(javaPid, signal);
    } catch {
      /* already gone */
    }
    if (signal === 'SIGKILL' || !javaPid) {
      try {
        child.kill(signal);
      } catch {
        /* already gone */
      }
    }
  };
  const handle = { kill: () => kill('SIGKILL') };
  live.add(handle);
  installExitHook();
  // Neither the child nor its pipes keep the event loop alive: the exit hook (or the
  // watchdog, on a hard exit) ends the JVM when this process ends.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exited) return;
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), 5_000);
      await exitPromise;
      clearTimeout(timer);
    })();
    return stopping;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoDbClient(endpoint, { maxAttempts: 1 });
  const deadline = started + timeoutMs;
  try {
    for (;;) {
      if (exited) {
        const missing = exited.code === 127 || /not found|No such file/i.test(output);
        const inUse = /Address already in use|Failed to bind/i.test(output);
        throw new DynamoDbLocalError(
          missing
            ? `DynamoDB Local could not start: \`${javaPath}\` was not found. ${JAVA_HELP}`
            : `DynamoDB Local exited during startup (code ${exited.code ?? exited.signal}).` +
                (inUse ? ` Port ${port} is already in use.` : ` ${JAVA_HELP}`) +
                `\n--- its output ---\n${output.trim()}`,
          output,
          inUse,
        );
      }
      if (javaPid) {
        try {
          await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
          break;
        } catch {
          /* not listening yet */
        }
      }
      if (performance.now() > deadline) {
        await stop();
        throw new DynamoDbLocalError(
          `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms. ${JAVA_HELP}\n--- its output ---\n${output.trim()}`,
          output,
        );
      }
      await sleep(exited ? 0 : 100);
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.destroy();
  }
  const startupMs = Math.round(performance.now() - started);
  return { endpoint, port, pid: javaPid, startupMs, stop, output: () => output };
}

// ---------------------------------------------------------------------------------------------
// ensureTable

/** The parts of `AWS::DynamoDB::Table` (or `AWS::DynamoDB::GlobalTable`, CDK's TableV2) properties used here. */
export interface CfnTableProperties {
  TableName?: unknown;
  KeySchema: { AttributeName: string; KeyType: string }[];
  AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
  BillingMode?: string;
  ProvisionedThroughput?: { ReadCapacityUnits: number | string; WriteCapacityUnits: number | string };
  GlobalSecondaryIndexes?: CfnIndex[];
  LocalSecondaryIndexes?: CfnIndex[];
  TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean | string };
  StreamSpecification?: { StreamViewType?: string };
  /** SSE, PITR, tags, deletion protection, replicas...: ignored locally. */
  [other: string]: unknown;
}

interface CfnIndex {
  IndexName: string;
  KeySchema: { AttributeName: string; KeyType: string }[];
  Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
  ProvisionedThroughput?: { ReadCapacityUnits: number | string; WriteCapacityUnits: number | string };
}

export interface EnsureTableResult {
  tableName: string;
  /** True when the table did not exist and was created. */
  created: boolean;
  /** GSIs added to an existing table (or recreated because their keys or projection changed). */
  addedIndexes: string[];
  /** True when UpdateTimeToLive was called. */
  timeToLiveUpdated: boolean;
}

/**
 * Creates the table from CloudFormation properties unless it exists; an existing table
 * keeps its data, gains any GSI it lacks, and has a GSI whose keys or projection changed
 * rebuilt. A different primary key is an error (that needs a new data directory).
 * SSE, PITR, tags and the like are ignored; TTL is enabled when specified.
 */
export async function ensureTable(
  client: DynamoDBClient,
  props: CfnTableProperties,
  tableName: string = typeof props.TableName === 'string' ? props.TableName : '',
): Promise<EnsureTableResult> {
  if (!tableName) throw new Error('ensureTable: no table name (the template\'s TableName is not a plain string): pass one.');
  if (!Array.isArray(props.KeySchema) || !Array.isArray(props.AttributeDefinitions)) {
    throw new Error('ensureTable: KeySchema and AttributeDefinitions are required (pass the resource\'s Properties).');
  }
  const provisioned = props.BillingMode === 'PROVISIONED' || (!props.BillingMode && !!props.ProvisionedThroughput);
  const throughput = (t?: CfnIndex['ProvisionedThroughput']): ProvisionedThroughput | undefined =>
    provisioned
      ? { ReadCapacityUnits: Number(t?.ReadCapacityUnits ?? 5), WriteCapacityUnits: Number(t?.WriteCapacityUnits ?? 5) }
      : undefined;
  const keySchema = (k: CfnIndex['KeySchema']): KeySchemaElement[] =>
    k.map((e) => ({ AttributeName: e.AttributeName, KeyType: e.KeyType as KeySchemaElement['KeyType'] }));
  const projection = (p?: CfnIndex['Projection']): Projection => ({
    ProjectionType: (p?.ProjectionType ?? 'ALL') as Projection['ProjectionType'],
    ...(p?.NonKeyAttributes?.length ? { NonKeyAttributes: [...p.NonKeyAttributes] } : {}),
  });
  const gsis: GlobalSecondaryIndex[] = (props.GlobalSecondaryIndexes ?? []).map((g) => ({
    IndexName: g.IndexName,
    KeySchema: keySchema(g.KeySchema),
    Projection: projection(g.Projection),
    ...(provisioned ? { ProvisionedThroughput: throughput(g.ProvisionedThroughput) } : {}),
  }));
  const lsis: LocalSecondaryIndex[] = (props.LocalSecondaryIndexes ?? []).map((l) => ({
    IndexName: l.IndexName,
    KeySchema: keySchema(l.KeySchema),
    Projection: projection(l.Projection),
  }));
  const attributeDefinitions: AttributeDefinition[] = props.AttributeDefinitions.map((a) => ({
    AttributeName: a.AttributeName,
    AttributeType: a.AttributeType as AttributeDefinition['AttributeType'],
  }));
  const result: EnsureTableResult = { tableName, created: false, addedIndexes: [], timeToLiveUpdated: false };

  // An existing table may be mid-change (an index CREATING or DELETING): wait for it to settle.
  let table = (await describe(client, tableName)) && (await waitActive(client, tableName));
  if (!table) {
    const input: CreateTableCommandInput = {
      TableName: tableName,
      KeySchema: keySchema(props.KeySchema),
      AttributeDefinitions: attributeDefinitions,
      BillingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
      ...(provisioned ? { ProvisionedThroughput: throughput(props.ProvisionedThroughput) } : {}),
      ...(gsis.length ? { GlobalSecondaryIndexes: gsis } : {}),
      ...(lsis.length ? { LocalSecondaryIndexes: lsis } : {}),
      ...(props.StreamSpecification?.StreamViewType
        ? {
            StreamSpecification: {
              StreamEnabled: true,
              StreamViewType: props.StreamSpecification.StreamViewType as 'NEW_AND_OLD_IMAGES',
            },
          }
        : {}),
    };
    try {
      await client.send(new CreateTableCommand(input));
      result.created = true;
    } catch (err) {
      // Someone else created it in the meantime: fall through to the existing-table path.
      if ((err as Error).name !== 'ResourceInUseException') throw err;
    }
    table = await waitActive(client, tableName);
  }

  if (!result.created) {
    const same = (a: KeySchemaElement[] = [], b: KeySchemaElement[]) =>
      a.length === b.length && a.every((e, i) => e.AttributeName === b[i]!.AttributeName && e.KeyType === b[i]!.KeyType);
    if (!same(table.KeySchema, keySchema(props.KeySchema))) {
      throw new Error(
        `ensureTable: table ${tableName} exists with key schema ${JSON.stringify(table.KeySchema)}, ` +
          `but the template wants ${JSON.stringify(props.KeySchema)}. A primary key cannot change: delete the local data directory.`,
      );
    }
    for (const gsi of gsis) {
      const existing = table.GlobalSecondaryIndexes?.find((g) => g.IndexName === gsi.IndexName);
      const projectionSame =
        existing?.Projection?.ProjectionType === gsi.Projection!.ProjectionType &&
        [...(existing?.Projection?.NonKeyAttributes ?? [])].sort().join() ===
          [...(gsi.Projection!.NonKeyAttributes ?? [])].sort().join();
      if (existing && same(existing.KeySchema, gsi.KeySchema!) && projectionSame) continue;
      if (existing) {
        await client.send(
          new UpdateTableCommand({ TableName: tableName, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: gsi.IndexName } }] }),
        );
        table = await waitActive(client, tableName);
      }
      const needed = new Set(gsi.KeySchema!.map((k) => k.AttributeName));
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: attributeDefinitions.filter((a) => needed.has(a.AttributeName)),
          GlobalSecondaryIndexUpdates: [{ Create: gsi }],
        }),
      );
      result.addedIndexes.push(gsi.IndexName!);
      table = await waitActive(client, tableName);
    }
  }

  const ttl = props.TimeToLiveSpecification;
  if (ttl?.AttributeName && (ttl.Enabled === true || ttl.Enabled === 'true')) {
    const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const d = current.TimeToLiveDescription;
    const on = d?.TimeToLiveStatus === 'ENABLED' || d?.TimeToLiveStatus === 'ENABLING';
    if (!on) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
        }),
      );
      result.timeToLiveUpdated = true;
    }
  }
  return result;
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException || (err as Error).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

async function waitActive(client: DynamoDBClient, tableName: string, timeoutMs = 30_000): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await describe(client, tableName);
    if (
      t &&
      t.TableStatus === 'ACTIVE' &&
      (t.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')
    ) {
      return t;
    }
    if (Date.now() > deadline) throw new Error(`ensureTable: table ${tableName} not ACTIVE after ${timeoutMs} ms`);
    await sleep(50);
  }
}
