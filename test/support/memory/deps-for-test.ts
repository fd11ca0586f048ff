/**
 * `Deps` for use-case tests, all in memory: the store, the workflow and the notifier
 * record what they were asked, the clock stands still until told, ids count up. The
 * workflow plays the state machine's Activate and NotifyActivated steps, which run no
 * Lambda: right after start when nothing is needed, and after a task token's success
 * once the request has its grant times; the committed grant's stored `activationNotice`
 * is then published as `grant.activated`; an extension is applied instead (ApplyExtension).
 * Everything else the state machine would do next (AwaitApproval after MFA, Expire,
 * TimedOut) the test calls itself, as the step it is.
 */
import { parseConfig, type Config } from '../../../shared/config/config';
import type { TokenVerifier } from '../../../shared/adapters/tokens';
import { InvalidToken } from '../../../shared/domain/errors';
import { PolicyIndex } from '../../../shared/domain/policy';
import type { Deps } from '../../../shared/runtime';
import { applyExtension } from '../../../shared/usecases/extensions';
import type { LifecycleEvent } from '../../../shared/usecases/ports';
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
  // Activate, then NotifyActivated: the notice the deciding write stored goes out once the grant is committed.
  const activate = async (requestId: string) => {
    // IsExtension: an extension is applied to the grant it extends (ApplyExtension), never activated.
    if (store.peek(requestId)?.extends !== undefined) {
      await applyExtension(deps, requestId);
      return;
    }
    const notice = store.peek(requestId)?.activationNotice;
    const requester = store.peek(requestId)?.requester.id;
    if (!store.activate(requestId) || notice === undefined || requester === undefined) return;
    const { type, ...body } = JSON.parse(notice) as { type: LifecycleEvent } & Record<string, unknown>;
    await notifier.publishEvent(type, requester, body);
  };
  const workflow = new MemoryWorkflow({
    afterStart: async (input) => {
      if (!input.mfa && !input.approval) await activate(input.requestId);
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
