/**
 * A DynamoDB Local that someone else runs, shared by several local modes (the test suite
 * starts one JVM for the whole run instead of one per local mode). DynamoDB Local runs
 * with `-sharedDb`, so each local mode keeps to a table of its own, and IAM in local mode
 * limits each one's functions to that table's ARN. Whoever started the JVM keeps it up:
 * an attached local mode does not start it again when it goes away, and `/health` says so.
 */
import { ConfigError } from '../../shared/domain/errors';
import { startDynamoDbLocal, type DynamoDbLocal } from './launch';

/** The table's name in a DynamoDB Local of local mode's own. */
export const DEFAULT_TABLE_NAME = 'jitgate';

export interface AttachedDynamoDb {
  /** `http://127.0.0.1:<port>` (or localhost, or [::1]): DynamoDB Local checks no signature, so never anything else. */
  endpoint: string;
  /** This local mode's table. */
  table: string;
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Checks what a caller (an environment variable, a test) gave, naming what is wrong. */
export function attachedDynamoDb(given: AttachedDynamoDb): AttachedDynamoDb {
  let url: URL;
  try {
    url = new URL(given.endpoint);
  } catch {
    throw new ConfigError(`the DynamoDB Local endpoint must be a URL such as http://127.0.0.1:8000, got "${given.endpoint}"`);
  }
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname) || !url.port || url.pathname !== '/') {
    throw new ConfigError(
      `the DynamoDB Local endpoint must be http://127.0.0.1:<port> (or localhost, or [::1]) with no path, got "${given.endpoint}": ` +
        'DynamoDB Local checks no signature, so local mode only talks to one on this machine',
    );
  }
  if (!TABLE_NAME.test(given.table)) {
    throw new ConfigError(`the table name must be 3 to 255 letters, digits, "_", "-" or ".", got "${given.table}"`);
  }
  return { endpoint: `http://${url.host}`, table: given.table };
}

/** The JVM as local mode sees it when another process runs it: never exits as far as local mode knows, never stopped by it. */
function runningElsewhere(endpoint: string): DynamoDbLocal {
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    pid: 0,
    startupMs: 0,
    stop: async () => undefined,
    exited: new Promise<void>(() => undefined),
    output: () => '',
  };
}

/** Where local mode's JVM comes from: one another process runs, or one of its own (in memory, or in `dataDir`). */
export function dynamoDbSource(options: { attach?: AttachedDynamoDb; dataDir?: string }): {
  tableName: string;
  /** Starts (or, attached, finds) the JVM; the supervisor calls it again, with the same port, when an own JVM went away. */
  start(port?: number): Promise<DynamoDbLocal>;
} {
  const attached = options.attach && attachedDynamoDb(options.attach);
  if (attached) return { tableName: attached.table, start: async () => runningElsewhere(attached.endpoint) };
  return { tableName: DEFAULT_TABLE_NAME, start: (port) => startDynamoDbLocal({ dataDir: options.dataDir, port }) };
}
