/**
 * Keeps DynamoDB Local running for as long as local mode runs: when the JVM goes away
 * unasked (killed, out of memory, crashed), a new one starts on the same port with the
 * same data file, so the functions' endpoint, the proxy and the state machine's client
 * keep working without knowing, and nothing written before is lost. Until it answers,
 * the functions' calls fail as DynamoDB's do in an outage (503, retried by their SDK, then
 * the API's 503 with Retry-After) and `GET /health` says so.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDbLocal } from './launch';

export type DynamoDbState = 'up' | 'restarting' | 'stopped';

export interface DynamoDbSupervisorOptions {
  /** Starts a JVM on `port` (the data directory is the start's own). */
  start(port: number): Promise<DynamoDbLocal>;
  /** Runs once a new JVM answers, before it counts as up (the table, the executions to resume); its errors are logged. */
  onRestarted(dynamodb: DynamoDbLocal): Promise<void>;
  log(line: string): void;
}

const MAX_BACKOFF_MS = 5_000;

export class DynamoDbSupervisor {
  private current: DynamoDbLocal;
  private state: DynamoDbState = 'up';
  private restarted = 0;
  private waiting: (() => void)[] = [];

  constructor(
    first: DynamoDbLocal,
    private readonly options: DynamoDbSupervisorOptions,
  ) {
    this.current = first;
    this.watch(first);
  }

  /** The JVM running now (its pid changes with each restart; its port and endpoint never do). */
  get dynamodb(): DynamoDbLocal {
    return this.current;
  }

  get status(): DynamoDbState {
    return this.state;
  }

  /** How many times the JVM was started again. */
  get restarts(): number {
    return this.restarted;
  }

  /** Resolves once DynamoDB Local is up (at once when it is). */
  whenUp(): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    for (const resolve of this.waiting.splice(0)) resolve();
    await this.current.stop();
  }

  private watch(dynamodb: DynamoDbLocal): void {
    void dynamodb.exited.then(() => {
      if (this.state !== 'stopped' && this.current === dynamodb) void this.restart(dynamodb);
    });
  }

  private async restart(gone: DynamoDbLocal): Promise<void> {
    this.state = 'restarting';
    this.options.log(`local mode: DynamoDB Local (pid ${gone.pid}) went away; starting it again on port ${gone.port}`);
    for (let attempt = 1; ; attempt++) {
      let started: DynamoDbLocal | undefined;
      try {
        started = await this.options.start(gone.port);
        if ((this.state as DynamoDbState) === 'stopped') return void (await started.stop());
        this.current = started;
        // What runs after (the table, resuming executions) failing is logged: it does not make the JVM any less up.
        await this.options.onRestarted(started).catch((err: Error) => this.options.log(`local mode: after the restart: ${err.message}`));
        this.state = 'up';
        this.restarted++;
        this.options.log(`local mode: DynamoDB Local is back (pid ${started.pid}, ${started.startupMs} ms)`);
        for (const resolve of this.waiting.splice(0)) resolve();
        this.watch(started);
        return;
      } catch (err) {
        await started?.stop();
        if ((this.state as DynamoDbState) === 'stopped') return;
        this.options.log(`local mode: DynamoDB Local did not come back (attempt ${attempt}): ${(err as Error).message.split('\n')[0]}`);
        await sleep(Math.min(MAX_BACKOFF_MS, 250 * 2 ** attempt));
      }
    }
  }
}
