/**
 * `Deps` for use-case tests, all in memory: the store, the workflow and the notifier
 * record what they were asked, the clock stands still until told, ids count up. The
 * workflow plays the state machine's Activate step (`activateGrant`): right after start
 * when nothing is needed, and after a task token's success; it commits the grant and
 * publishes `grant.activated`, or applies an extension instead.
 * Everything else the state machine would do next (AwaitApproval after MFA, Expire,
 * TimedOut) the test calls itself, as the step it is.
 */
import { parseConfig, type Config } from '../../../shared/config/config';
import type { TokenVerifier } from '../../../shared/adapters/tokens';
import { InvalidToken } from '../../../shared/domain/errors';
import { PolicyIndex } from '../../../shared/domain/policy';
import type { Deps } from '../../../shared/runtime';
import { activateGrant } from '../../../shared/usecases/activation';
import { CLOSED } from '../../../shared/domain/closed';
import { REQUIREMENTS_NOT_MET } from '../../../shared/domain/workflow-signals';
import { readDemoConfig } from '../demo-config';
import { SequentialIds, TestClock } from './clock-and-ids';
import { MemoryNotifier } from './memory-notifier';
import { MemoryStore } from './memory-store';
import { MemoryWorkflow } from './memory-workflow';
import { MemoryMetrics } from './memory-metrics';

export interface TestDeps {
  deps: Deps;
  store: MemoryStore;
  workflow: MemoryWorkflow;
  notifier: MemoryNotifier;
  metrics: MemoryMetrics;
  clock: TestClock;
  ids: SequentialIds;
}

/** Use cases take callers already verified at the edge; a token reaching this verifier is a mistake in the test. */
const noTokens: TokenVerifier = {
  verify: async () => {
    throw new InvalidToken('use-case tests pass principals, not tokens');
  },
};

export function depsForTest(opts: { config?: Config; now?: Date | string; publicUrl?: string } = {}): TestDeps {
  const config = opts.config ?? parseConfig(readDemoConfig());
  const store = new MemoryStore();
  const notifier = new MemoryNotifier();
  // Activate: a request no longer pending or an extension denied (Closed), or one not yet complete
  // (RequirementsNotMet), ends its execution there; the state machine catches the first.
  const activate = async (requestId: string) => {
    await activateGrant(deps, requestId).catch((err: Error) => {
      if (err.name !== CLOSED && err.name !== REQUIREMENTS_NOT_MET) throw err;
    });
  };
  const workflow = new MemoryWorkflow({
    // Grant times in the input: nothing to wait for (MfaChallenge and AwaitApproval would answer themselves).
    afterStart: async (input) => {
      if (input.grant) await activate(input.requestId);
    },
    afterSucceed: async (token) => {
      const id = store.requestWaitingOn(token);
      if (id) await activate(id);
    },
  });
  const metrics = new MemoryMetrics();
  const clock = new TestClock(opts.now);
  const ids = new SequentialIds();
  const linkKey = Buffer.alloc(32, 7);
  const deps: Deps = {
    config,
    policies: new PolicyIndex(config),
    verifier: noTokens,
    store,
    workflow,
    notifier,
    metrics,
    linkKey: async () => linkKey,
    now: () => clock.now(),
    newId: () => ids.newId(),
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
  };
  return { deps, store, workflow, notifier, metrics, clock, ids };
}
