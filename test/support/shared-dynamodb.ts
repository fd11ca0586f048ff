/**
 * One DynamoDB Local for the whole test run, held by the broker in jest's main process
 * (test/support/shared-local-mode.ts, started by the globalSetup).
 */
import { randomBytes } from 'node:crypto';
import type { AttachedDynamoDb } from '../../local/dynamodb-local';

/** Where the broker listens: set by the globalSetup, inherited by jest's workers. */
export const BROKER_ENV = 'JITGATE_TEST_LOCAL_MODES';

/**
 * The run's DynamoDB Local, started by the first local mode that asks, and a table of this local
 * mode's own in it: one JVM for the run instead of one per local mode (a JVM costs seconds of CPU to
 * start). Undefined outside jest (a benchmark): local mode then starts its own.
 */
export async function sharedDynamoDb(): Promise<AttachedDynamoDb | undefined> {
  const broker = process.env[BROKER_ENV];
  if (!broker) return undefined;
  const res = await fetch(`${broker}/dynamodb/start`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`shared DynamoDB Local: ${await res.text()}`);
  // Random, not counted: jest gives each test file a fresh copy of this module, and a worker runs many files.
  return { endpoint: await res.text(), table: `jitgate-${randomBytes(6).toString('hex')}` };
}
