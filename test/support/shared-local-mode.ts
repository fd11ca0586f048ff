/**
 * One local mode for all the end-to-end files that use the same config, instead of one
 * each: starting local mode (a Node process and DynamoDB Local's JVM) is the slowest part
 * of those files. The e2e project's globalSetup (test/setup/local-modes.ts) runs a small
 * broker on a loopback port; the first file that asks for a config starts its local mode,
 * the next files get the same one, and the globalTeardown stops it when the run ends.
 * Running one file alone starts only what that file asks for.
 *
 * Sharing is honest only while each test uses its own users (`api.token('alice', { as: 'x' })`)
 * and resources, and never reads "everything" where another file's work would show. Files whose
 * tests time reminders in seconds (e2e/approvers.test.ts) keep a quiet local mode of their own.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';
import { BROKER_ENV } from './shared-dynamodb';
import { localTable, type LocalTable } from './dynamodb-items';
import { e2eConfig, freePort, startLocalMode, tempDir, type Running } from './local-mode';

/** Files wait in beforeAll for the one start they share; a loaded machine gets the time it needs once, not per file. */
export const SHARED_START_TIMEOUT_MS = 240_000;

/**
 * The shared end-to-end config: the demo config, a policy with a 2-second window, break-glass that still
 * asks for TOTP, and a policy whose whole lifecycle fits in seconds.
 */
function sharedE2eConfig(dir: string): string {
  const file = e2eConfig(dir);
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.policies.push({
    action: 'e2e:glass-totp',
    approvals: { groups: { 'security-admins': 1 } },
    mfa: 'totp',
    grant: { mode: 'once', useWithin: '10m' },
    breakGlass: { maxDuration: '2m', notify: 'security-admins', who: { claim: 'groups', contains: 'engineering' } },
  });
  // Every step of a lifecycle within seconds (e2e/narration.test.ts): MFA, an approval, a short window.
  config.policies.push({
    action: 'e2e:narrated',
    approvals: { groups: { 'security-admins': 1 } },
    mfa: 'totp',
    grant: { mode: 'window', maxDuration: '1m' },
  });
  const shared = path.join(dir, 'jitgate.e2e-shared.config.json');
  writeFileSync(shared, JSON.stringify(config, null, 2));
  return shared;
}

/** The configs files can share, by name. */
const CONFIGS = { e2e: sharedE2eConfig } satisfies Record<string, (dir: string) => string>;
export type SharedConfig = keyof typeof CONFIGS;

export interface SharedLocalMode {
  url: string;
  dataDir: string;
  /** Its table, to read directly (test/support/invariant-sources.ts). */
  table: LocalTable;
  /** What the shared local mode printed since this file connected (files running alongside print there too). */
  output(): Promise<string>;
}

/** The run's local mode for `name`, started by the first file that asks. */
export async function sharedLocalMode(name: SharedConfig): Promise<SharedLocalMode> {
  const broker = process.env[BROKER_ENV];
  if (!broker)
    throw new Error(`${BROKER_ENV} is not set: run this file with jest.config.js, whose e2e project starts the local-mode broker`);
  const ask = async (what: 'start' | 'output') => {
    const res = await fetch(`${broker}/${name}/${what}`, { method: 'POST' });
    if (res.status !== 200) throw new Error(`shared local mode "${name}": ${await res.text()}`);
    return res;
  };
  const { url, dataDir, table, printed } = (await (await ask('start')).json()) as Omit<SharedLocalMode, 'output'> & {
    printed: number;
  };
  return { url, dataDir, table, output: async () => (await (await ask('output')).text()).slice(printed) };
}

/** Runs in jest's main process (globalSetup): starts each named local mode once, on demand. */
export class LocalModeBroker {
  private readonly started = new Map<string, Promise<Running>>();
  private dynamodb?: Promise<DynamoDbLocal>;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async listen(): Promise<LocalModeBroker> {
    let broker: LocalModeBroker | undefined;
    const server = createServer((req, res) => {
      broker!.handle(req.url ?? '').then(
        (body) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.stack ?? String(err)),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    broker = new LocalModeBroker(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    process.env[BROKER_ENV] = broker.url;
    return broker;
  }

  private async handle(url: string): Promise<string> {
    const [, name, what] = url.split('/');
    if (name === 'dynamodb') {
      this.dynamodb ??= startDynamoDbLocal({ timeoutMs: SHARED_START_TIMEOUT_MS - 10_000 });
      return (await this.dynamodb).endpoint;
    }
    if (!Object.hasOwn(CONFIGS, name!)) throw new Error(`no shared config named "${name}"; known: ${Object.keys(CONFIGS).join(', ')}`);
    const running = await this.start(name as SharedConfig);
    if (what === 'output') return running.output();
    const output = running.output();
    return JSON.stringify({
      url: running.url,
      dataDir: running.dataDir,
      table: localTable(output),
      printed: output.length,
    });
  }

  private start(name: SharedConfig): Promise<Running> {
    let running = this.started.get(name);
    if (!running) {
      const dataDir = tempDir(`jitgate-shared-${name}-`);
      running = freePort().then((port) =>
        startLocalMode({ port, dataDir, configPath: CONFIGS[name](dataDir), timeoutMs: SHARED_START_TIMEOUT_MS - 10_000 }),
      );
      this.started.set(name, running);
    }
    return running;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.started.values()].map(async (running) => (await running).stop()));
    await (await this.dynamodb?.catch(() => undefined))?.stop();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    delete process.env[BROKER_ENV];
  }
}
