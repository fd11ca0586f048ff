/**
 * AWS's DynamoDB Local (the jar shipped in the npm package `amplify-dynamodb-simulator`),
 * started as a child process, and its lifecycle: ready once it answers ListTables, stopped with the process.
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
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { compiledLauncher, dynamoDbLocalClassPath, LAUNCHER_CLASS } from '../dynamodb-launcher';
import { localDynamoDbClient } from './client';
import { freePort, portIsFree } from './ports';

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
  /** JVM options, placed before the class path. Default: DEFAULT_JVM_OPTIONS. */
  jvmOptions?: string[];
}

/**
 * A serial GC (two cores, one small heap) and the C1 compiler only. DynamoDB Local lives for a
 * test file or a working session and answers small requests: C2's optimisations never pay back
 * the CPU they cost on the cores local mode shares. Measured on a two-core machine: the JVM's
 * CPU to its first answer 6.4 s → 3.8 s, and for start plus 4,000 PutItem/GetItem calls
 * 14.7 s → 7.9 s (the calls took 9.8 s instead of 15.7 s).
 */
export const DEFAULT_JVM_OPTIONS = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

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
  /** Settles when the JVM has gone, stopped or not (local/dynamodb-local/supervisor.ts restarts it). */
  exited: Promise<void>;
  /** What the JVM printed so far (stdout and stderr, the last 64 KiB). */
  output(): string;
}

const JAVA_HELP =
  'DynamoDB Local needs Java 17 with the jdk.compiler module (local mode compiles a small launcher at start; ' +
  "Debian's openjdk-17-jre-headless and every JDK have it). Install it with " +
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
      e.code === 'ENOENT'
        ? `DynamoDB Local could not start: \`${javaPath}\` was not found. ${JAVA_HELP}`
        : `DynamoDB Local's launcher did not compile. ${JAVA_HELP}\n--- javac ---\n${e.output ?? e.message}`,
      e.output ?? '',
    );
  }
  const storage = options.dataDir ? ['-dbPath', resolve(options.dataDir)] : ['-inMemory'];
  if (options.dataDir) mkdirSync(resolve(options.dataDir), { recursive: true });
  const args = [
    ...(options.jvmOptions ?? DEFAULT_JVM_OPTIONS),
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
  return { endpoint, port, pid: javaPid, startupMs, stop, exited: exitPromise, output: () => output };
}
