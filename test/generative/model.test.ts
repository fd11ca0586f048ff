/**
 * Model-based on the in-memory ports: the histories of test/e2e/model.test.ts (same generator,
 * same reference model), run through the handlers in process with a clock the test moves
 * (test/support/model/memory-target.ts). What takes seconds a history on local mode takes
 * milliseconds here, so this is where the hundreds of histories run; the e2e file runs fewer,
 * against the real interpreter, DynamoDB Local and IAM. A failure prints the shrunk history and
 * its seed (`JITGATE_MODEL_SEED` replays it).
 */
import fc from 'fast-check';
import { parseConfig } from '../../shared/config/config';
import type { Deps } from '../../shared/runtime';
import { readDemoConfig } from '../support/demo-config';
import { storeSnapshot } from '../support/invariant-sources';
import { expectInvariants } from '../support/invariants';
import { describeHistory, histories, modelPolicies, USERS, type Step } from '../support/model/history';
import { MemoryTarget } from '../support/model/memory-target';
import { ModelRun, type Observations } from '../support/model/model-run';

const DEEP = process.env.JITGATE_DEEP === '1';
const RUNS = DEEP ? 5_000 : 300;
const TIMEOUT_MS = DEEP ? 3_600_000 : 300_000;

const demoConfig = readDemoConfig();
const config = parseConfig({ ...demoConfig, policies: [...demoConfig.policies, ...(modelPolicies() as typeof demoConfig.policies)] });
let deps: Deps;
jest.mock('../../shared/runtime', () => ({ runtime: () => deps }));
// authorize takes the lean part of the composition root (shared/runtime-core.ts).
jest.mock('../../shared/runtime-core', () => ({ coreRuntime: () => deps }));

// Imported after the mock: the handlers take their Deps from it.
import { handler as api } from '../../functions/api/index';
import { handler as approve } from '../../functions/approve/index';
import { handler as authorize } from '../../functions/authorize/handler';
import { quietly } from '../support/quiet';

const totals = { histories: 0, commands: 0, authorizes: 0, uses: 0, requests: 0 };

async function runHistory(steps: Step[]): Promise<void> {
  const target = new MemoryTarget(config, { api, approve, authorize });
  deps = target.deps;
  const seen: Observations = { uses: [], endsSeen: new Map(), commands: 0, authorizes: 0 };
  await new ModelRun(target, `h${totals.histories++}`, seen).run(steps, USERS);
  // Long enough for every window and grant of the model's policies to end: then nothing may be left live.
  await target.sleep(60_000);
  const checked = await expectInvariants(() => storeSnapshot(target.world.store), {
    uses: seen.uses,
    endsSeen: seen.endsSeen,
    clock: () => new Date(target.now()),
    graceMs: 0,
    // Nothing may wait any longer: a request still live now is stuck.
    settleMs: 0,
  });
  totals.commands += seen.commands;
  totals.authorizes += seen.authorizes;
  totals.uses += seen.uses.length;
  totals.requests += checked.requests;
}

test(
  `${RUNS} generated histories on the in-memory ports keep to the model and the invariants`,
  async () => {
    const seed = process.env.JITGATE_MODEL_SEED ? Number(process.env.JITGATE_MODEL_SEED) : undefined;
    const details = await quietly(() =>
      fc.check(fc.asyncProperty(histories({ maxSteps: DEEP ? 30 : 16, restarts: false }), runHistory), {
        numRuns: RUNS,
        ...(seed !== undefined ? { seed } : {}),
      }),
    );
    if (details.failed) {
      const steps = details.counterexample?.[0];
      throw new Error(
        `a history broke the model (seed ${details.seed}; replay with JITGATE_MODEL_SEED=${details.seed}):\n` +
          `${steps ? describeHistory(steps) : '?'}\n\n${String(details.errorInstance)}`,
      );
    }
    console.log(
      `model (memory): ${totals.histories} histories (shrinking included), ${totals.commands} commands, ${totals.requests} requests, ` +
        `${totals.authorizes} authorize calls (${totals.uses} allowed, each checked)`,
    );
    expect(totals.uses).toBeGreaterThan(0);
  },
  TIMEOUT_MS,
);
