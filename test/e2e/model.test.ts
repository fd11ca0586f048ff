/**
 * Model-based, against local mode over HTTP: generated histories of creates, MFA answers (right,
 * wrong, replayed), decisions, cancels, revocations, uses and waits, by three users at once plus
 * races on one request; a reference model (test/support/model/model-run.ts) says what each answer
 * may be and where each request may settle, and after each history the invariants hold
 * (test/support/invariants.ts). A failure prints the shrunk history, one step a line, and the seed.
 *
 * Policies here time out and expire in seconds, so histories wait on the real clock (local mode's
 * interpreter waits in real time). This file keeps a local mode of its own (its config and restarts).
 * CI runs a few short histories; `npm run test:deep` (JITGATE_DEEP=1) runs many more, with restarts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';

import { localModeSnapshots } from '../support/invariant-sources';
import { expectInvariants } from '../support/invariants';
import { Client, e2eConfig, freePort, startLocalMode, tempDir, type Running } from '../support/local-mode';
import { describeHistory, histories, modelPolicies, USERS, type Step } from '../support/model/history';
import { ModelRun, type ModelTarget, type Observations } from '../support/model/model-run';
import { SHARED_START_TIMEOUT_MS } from '../support/shared-local-mode';

const DEEP = process.env.JITGATE_DEEP === '1';
const RUNS = DEEP ? 150 : 5;
const MAX_STEPS = DEEP ? 16 : 8;
const TIMEOUT_MS = DEEP ? 7_200_000 : 600_000;

let local: Running;
let api: Client;
let configPath: string;
let port: number;
let dataDir: string;
let snapshots: ReturnType<typeof localModeSnapshots>;
const seen: Observations = { uses: [], endsSeen: new Map(), commands: 0, authorizes: 0 };
let histories_ = 0;

beforeAll(async () => {
  dataDir = tempDir('jitgate-model-');
  const config = JSON.parse(readFileSync(e2eConfig(dataDir), 'utf8'));
  config.policies.push(...modelPolicies());
  configPath = path.join(dataDir, 'jitgate.model.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  port = await freePort();
  local = await startLocalMode({ port, dataDir, configPath });
  api = new Client(local.url, dataDir);
  snapshots = localModeSnapshots(local.url, local.table);
}, SHARED_START_TIMEOUT_MS);

afterAll(async () => {
  snapshots?.close();
  await local?.stop();
});

/** Local mode stops and starts again on the same data: executions resume, the table and outbox stay. */
async function restart(): Promise<void> {
  await local.stop();
  local = await startLocalMode({ port, dataDir, configPath, dynamodb: local.table });
  snapshots.close();
  snapshots = localModeSnapshots(local.url, local.table);
}

const ours = (prefix: string) => (r: { requester: { sub: string } }) => r.requester.sub.startsWith(prefix);

/** Local mode on the real clock. */
const target: ModelTarget = {
  call: (method, path, opts) => api.call(method, path, opts),
  token: (user, opts) => api.token(user, opts),
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  restart,
};

async function runHistory(steps: Step[]): Promise<void> {
  const history = new ModelRun(target, `m${histories_++}`, seen);
  await history.run(steps, USERS);
  await expectInvariants(snapshots.read, { only: ours(history.subPrefix), uses: seen.uses, endsSeen: seen.endsSeen });
}

/** fast-check's run, its failure rewritten as the shrunk history to replay. */
async function check(arbitrary: fc.Arbitrary<Step[]>, numRuns: number): Promise<void> {
  const seed = process.env.JITGATE_MODEL_SEED ? Number(process.env.JITGATE_MODEL_SEED) : undefined;
  const details = await fc.check(fc.asyncProperty(arbitrary, runHistory), { numRuns, ...(seed !== undefined ? { seed } : {}) });
  if (details.failed) {
    const steps = details.counterexample?.[0];
    throw new Error(
      `a history broke the model (seed ${details.seed}, path ${details.counterexamplePath}; ` +
        `replay with JITGATE_MODEL_SEED=${details.seed}):\n${steps ? describeHistory(steps) : '?'}\n\n${String(details.errorInstance)}`,
    );
  }
}

test(
  `${RUNS} generated histories keep to the model and the invariants`,
  async () => {
    await check(histories({ maxSteps: MAX_STEPS, restarts: DEEP }), RUNS);
    // Liveness once the last history is over: nothing stays pending, active or running past its time.
    const settled = await expectInvariants(snapshots.read, {
      only: ours('alice-m'),
      uses: seen.uses,
      endsSeen: seen.endsSeen,
      settleMs: 30_000,
    });
    console.log(
      `model (local mode): ${histories_} histories run (shrinking included), ${seen.commands} commands, ` +
        `${settled.requests} requests, ${seen.authorizes} authorize calls (${seen.uses.length} allowed, each checked)`,
    );
  },
  TIMEOUT_MS,
);

// A restart costs a local-mode start (about a minute on a busy 2-core machine): deep runs only; e2e/restart.test.ts covers one in CI.
(DEEP ? test : test.skip)(
  'a history with a restart in the middle keeps to the model and the invariants',
  async () => {
    const around = histories({ maxSteps: 3, restarts: false });
    const withRestart = fc.tuple(around, around).map(([a, b]): Step[] => [...a, { kind: 'restart' }, ...b]);
    await check(withRestart, 1);
    await expectInvariants(snapshots.read, { only: ours('alice-m'), uses: seen.uses, endsSeen: seen.endsSeen, settleMs: 30_000 });
  },
  300_000,
);
