/**
 * Generated histories for the model-based tests: steps of commands by several users, the commands
 * of one step sent at once (each on its own user's requests, so the reference model stays exact),
 * plus races (two conflicting commands on one request at once) and waits on the real clock.
 * Requests are named by their place in the history (`ref`, modulo how many exist), so a history
 * shrinks to a shorter one that still means something.
 */
import fc from 'fast-check';

/** The model config's policies (test/e2e/model.test.ts), by what they ask for. */
export const POLICIES = {
  window: { action: 'model:window', mfa: false, approvals: 1, once: false },
  quorum: { action: 'model:quorum', mfa: false, approvals: 2, once: false },
  once: { action: 'model:once', mfa: true, approvals: 1, once: true },
  auto: { action: 'model:auto', mfa: false, approvals: 0, once: false },
  mfaAuto: { action: 'model:mfa-auto', mfa: true, approvals: 0, once: true },
} as const;
export type PolicyName = keyof typeof POLICIES;

/** Policies in the config's words: windows of seconds, so expiry and time-outs happen within a history. */
export function modelPolicies(): unknown[] {
  const approvals = (n: number) => ({ groups: { 'security-admins': n }, window: '10s' });
  return [
    { action: 'model:window', approvals: approvals(1), grant: { mode: 'window', maxDuration: '1m' } },
    { action: 'model:quorum', approvals: approvals(2), grant: { mode: 'window', maxDuration: '1m' } },
    { action: 'model:once', approvals: approvals(1), mfa: 'totp', mfaWindow: '10s', grant: { mode: 'once', useWithin: '6s' } },
    { action: 'model:auto', autoApprove: true, grant: { mode: 'window', maxDuration: '1m' } },
    { action: 'model:mfa-auto', autoApprove: true, mfa: 'totp', mfaWindow: '10s', grant: { mode: 'once', useWithin: '6s' } },
  ];
}

export const USERS = 3;
export const RESOURCES = ['r1', 'r2'] as const;
/** Who decides: the two security admins of the config, or the requester themself (always refused). */
export type Approver = 'bob' | 'carol' | 'self';

export type Command =
  | { kind: 'create'; user: number; policy: PolicyName; resource: number; seconds: number }
  | { kind: 'mfa'; user: number; ref: number; code: 'right' | 'wrong' | 'replayed' }
  | { kind: 'decide'; user: number; ref: number; by: Approver; decision: 'approve' | 'deny' }
  | { kind: 'cancel'; user: number; ref: number }
  | { kind: 'revoke'; user: number; ref: number; asAdmin: boolean }
  /** On one of the user's own requests' action and resource (`ref`), or on any (`ref` null). */
  | { kind: 'authorize'; user: number; ref: number | null; policy: PolicyName; resource: number; consume: boolean }
  | { kind: 'race'; user: number; ref: number; race: Race };

/** Two commands on one request at once: exactly one may win, or the second must not undo the first. */
export type Race = 'approve-approve' | 'approve-deny' | 'approve-cancel' | 'revoke-consume' | 'consume-consume';

export type Step = { kind: 'act'; commands: Command[] } | { kind: 'wait'; ms: number } | { kind: 'restart' };

const user = fc.integer({ min: 0, max: USERS - 1 });
const ref = fc.nat({ max: 7 });
const policy = fc.constantFrom(...(Object.keys(POLICIES) as PolicyName[]));
const resource = fc.nat({ max: RESOURCES.length - 1 });

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('create' as const), user, policy, resource, seconds: fc.integer({ min: 4, max: 8 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('mfa' as const), user, ref, code: fc.constantFrom('right', 'right', 'wrong', 'replayed') }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('decide' as const),
      user,
      ref,
      by: fc.constantFrom<Approver>('bob', 'carol', 'carol', 'bob', 'self'),
      decision: fc.constantFrom('approve', 'approve', 'approve', 'deny'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), user, ref }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), user, ref, asAdmin: fc.boolean() }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('authorize' as const),
      user,
      ref: fc.option(ref, { freq: 4 }),
      policy,
      resource,
      consume: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('race' as const),
      user,
      ref,
      race: fc.constantFrom<Race>('approve-approve', 'approve-deny', 'approve-cancel', 'revoke-consume', 'consume-consume'),
    }),
  },
);

/** One user's commands per step at most: the users act in parallel, each in order. */
const act: fc.Arbitrary<Step> = fc
  .uniqueArray(command, { minLength: 1, maxLength: USERS, selector: (c) => c.user })
  .map((commands) => ({ kind: 'act' as const, commands }));

/** Each history opens with a request per user (so most commands find one), then `maxSteps` steps at most. */
export function histories(opts: { maxSteps: number; restarts: boolean }): fc.Arbitrary<Step[]> {
  const wait = fc.constantFrom(500, 1500, 4000).map((ms) => ({ kind: 'wait' as const, ms }));
  const steps: fc.Arbitrary<Step>[] = [act, act, act, act, act, wait];
  if (opts.restarts) steps.push(fc.constant({ kind: 'restart' as const }));
  const opening = fc
    .tuple(
      ...Array.from({ length: USERS }, (_, u) =>
        fc.record({ policy, resource, seconds: fc.integer({ min: 4, max: 8 }) }).map((c) => ({ kind: 'create' as const, user: u, ...c })),
      ),
    )
    .map((commands): Step => ({ kind: 'act', commands }));
  return fc
    .tuple(opening, fc.array(fc.oneof(...steps), { minLength: 1, maxLength: opts.maxSteps }))
    .map(([first, rest]) => [first, ...rest]);
}

/** A history as the test prints it on failure: one step a line, the reproduction to paste. */
export function describeHistory(steps: Step[]): string {
  return steps
    .map(
      (s, i) =>
        `${String(i + 1).padStart(2)}. ${s.kind === 'act' ? s.commands.map((c) => JSON.stringify(c)).join('  ||  ') : JSON.stringify(s)}`,
    )
    .join('\n');
}
