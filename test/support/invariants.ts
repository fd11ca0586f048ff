/**
 * What must hold after any interleaving of anyone's calls, written once: nothing is granted
 * that nobody approved, no decision is lost, no request is left stuck, the audit trail and
 * the requests agree. Checked on a snapshot of the store (invariant-sources.ts reads one from
 * DynamoDB Local or from a Store port) plus what the test itself saw (uses it was allowed).
 *
 * Each violation names its invariant and request. Some can resolve with time (an execution
 * still winding down, a Wait not yet over): those are `eventual`, and `expectInvariants`
 * gives them until its deadline; the others fail at once.
 */
import { quorum } from '../../shared/domain/approvals';
import { verifyChain, type ChainedEvent, type ChainHead } from '../../shared/domain/audit-chain';
import type { GrantSlot } from '../../shared/domain/grant';
import { TERMINAL, type JitRequest } from '../../shared/domain/request';
import { keys } from '../../shared/adapters/keys';
import type { StoredRequest } from '../../shared/usecases/ports';

export interface Snapshot {
  requests: StoredRequest[];
  /** Grant slot items by partition key (`keys.grantSlot(...).pk`). */
  slots: Map<string, GrantSlot>;
  /** Every stored audit event: the requests' chains and the journal's. */
  events: ChainedEvent[];
  journalHead?: ChainHead;
  /** Execution status by request id, where the source can tell (local Step Functions); absent: not started or forgotten. */
  executions?: Map<string, string>;
}

/** An `authorize` the test saw allowed, from when it sent the call. */
export interface ObservedUse {
  requestId: string;
  startedAt: number;
}

export interface CheckOptions {
  now: Date;
  /** Only these requests (a shared local mode holds other tests' requests too); the journal is always walked. */
  only?: (r: JitRequest) => boolean;
  uses?: ObservedUse[];
  /** When the test saw a grant end (its revoke or consume answered): no use may start after that. */
  endsSeen?: Map<string, number>;
  /** How late the workflow may be (a Wait firing, an execution ending) before a request counts as stuck. */
  graceMs?: number;
}

export interface Violation {
  invariant: string;
  requestId?: string;
  detail: string;
  eventual: boolean;
}

/** The audit events that move a request, and the status each leaves it in (`pending` stands for both pending statuses). */
type Phase = 'none' | 'pending' | JitRequest['status'];
const MOVES: Record<string, { from: Phase[]; to: Phase | ((e: ChainedEvent) => Phase) }> = {
  created: { from: ['none'], to: 'pending' },
  activated: { from: ['pending'], to: 'active' },
  consumed: { from: ['active'], to: 'consumed' },
  expired: { from: ['active'], to: 'expired' },
  revoked: { from: ['active'], to: 'revoked' },
  denied: { from: ['pending'], to: 'denied' },
  mfa_locked_out: { from: ['pending'], to: 'denied' },
  cancelled: { from: ['pending'], to: 'cancelled' },
  timed_out: { from: ['pending'], to: 'timed_out' },
  failed: { from: ['pending', 'active'], to: 'failed' },
  // On the extension's chain it ends the extension (`details.extends`); on the grant's, the grant runs on.
  extended: { from: ['pending', 'active'], to: (e) => (e.details?.extends !== undefined ? 'applied' : 'active') },
};
/** Events that record something about a request in a given phase, without moving it. */
const DURING: Record<string, Phase[]> = {
  break_glass: ['pending'],
  mfa_passed: ['pending'],
  mfa_failed: ['pending'],
  approvers_notified: ['pending'],
  approvers_not_reached: ['pending'],
  approvers_reminded: ['pending'],
  escalated: ['pending'],
  approved: ['pending'],
  authorize_denied: ['pending'],
  grant_used: ['active'],
  extension_requested: ['active'],
};
const GRANTED: Phase[] = ['active', 'consumed', 'expired', 'revoked'];

export function checkInvariants(snapshot: Snapshot, opts: CheckOptions): Violation[] {
  const out: Violation[] = [];
  const now = opts.now.getTime();
  const grace = opts.graceMs ?? 10_000;
  const requests = snapshot.requests.filter((s) => !opts.only || opts.only(s.request));
  const byId = new Map(snapshot.requests.map((s) => [s.request.id, s.request]));
  const eventsOf = new Map<string, ChainedEvent[]>();
  for (const e of snapshot.events)
    if (e.chain !== 'journal') (eventsOf.get(e.requestId) ?? eventsOf.set(e.requestId, []).get(e.requestId)!).push(e);
  const fail = (invariant: string, r: JitRequest | undefined, detail: string, eventual = false) =>
    out.push({ invariant, ...(r ? { requestId: r.id } : {}), detail, eventual });

  for (const { request: r, chain } of requests) {
    const events = (eventsOf.get(r.id) ?? []).sort((a, b) => a.seq - b.seq);
    const broken = verifyChain({ chain: r.id, head: chain, events });
    if (broken) fail('the audit chain verifies', r, `${broken.id} ${broken.reason}: ${broken.detail}`);
    const phase = replay(r, events, (detail) => fail('every audit event has its state change and the reverse', r, detail));
    const status: Phase = r.status === 'pending_mfa' || r.status === 'pending_approval' ? 'pending' : r.status;
    if (phase !== status) fail('one status, consistent with the audit events', r, `stored ${r.status}, the audit events say ${phase}`);
    const at = (type: string) => events.find((e) => e.type === type)?.at;
    checkGranted(r, events, fail);
    checkUses(r, events, opts, fail);
    checkLiveness(r, snapshot.executions?.get(r.id), events, now, grace, fail);
    if (r.status === 'pending_approval' && r.requirements.mfa === 'totp' && !at('mfa_passed'))
      fail('an active request has what its policy required', r, 'pending approval without its MFA answer');
  }
  checkSlots(snapshot, requests, byId, fail);
  const journal = snapshot.events.filter((e) => e.chain === 'journal').sort((a, b) => a.seq - b.seq);
  if (journal.length || snapshot.journalHead) {
    const broken = verifyChain({ chain: 'journal', head: snapshot.journalHead, events: journal });
    if (broken) fail('the audit chain verifies', undefined, `${broken.id} ${broken.reason}: ${broken.detail}`);
  }
  for (const use of opts.uses ?? []) {
    if (!byId.has(use.requestId))
      fail('no grant without its request', undefined, `an allowed use names request ${use.requestId}, not stored`);
  }
  return out;
}

/** Replays the events' moves from `none`; each must start from the phase it may, and `during` events need theirs. */
function replay(r: JitRequest, events: ChainedEvent[], fail: (detail: string) => void): Phase {
  let phase: Phase = 'none';
  for (const e of events) {
    const move = MOVES[e.type];
    if (move) {
      if (!move.from.includes(phase)) fail(`${e.type} (event ${e.seq}) while ${phase}`);
      phase = typeof move.to === 'function' ? move.to(e) : move.to;
    } else if (DURING[e.type] && !DURING[e.type]!.includes(phase)) fail(`${e.type} (event ${e.seq}) while ${phase}`);
  }
  const approvedEvents = events.filter((e) => e.type === 'approved').length;
  const approvals = r.approvals.filter((a) => a.decision === 'approve');
  if (approvedEvents !== approvals.length) fail(`${approvals.length} approval(s) stored, ${approvedEvents} approved event(s)`);
  const failures = events.filter((e) => e.type === 'mfa_failed' || e.type === 'mfa_locked_out').length;
  if (failures !== r.mfa.failures) fail(`${r.mfa.failures} MFA failure(s) stored, ${failures} audited`);
  if (events.some((e) => e.type === 'mfa_passed') !== (r.mfa.passedAt !== undefined))
    fail('MFA passed on the request and in the audit disagree');
  return phase;
}

type Fail = (invariant: string, r: JitRequest | undefined, detail: string, eventual?: boolean) => void;

/** A request that was granted (or applied) had what its policy required, from people other than its requester. */
function checkGranted(r: JitRequest, events: ChainedEvent[], fail: Fail): void {
  const approvers = r.approvals.map((a) => a.approver.id);
  if (approvers.includes(r.requester.id)) fail('nobody approves their own request', r, 'the requester is among the approvers');
  if (new Set(approvers).size !== approvers.length) fail('each approver decides once', r, `approvers: ${approvers.join(', ')}`);
  const activated = events.findIndex((e) => e.type === 'activated' || (e.type === 'extended' && e.details?.extends !== undefined));
  if (activated < 0) return;
  const before = events.slice(0, activated);
  const glass = r.breakGlass === true && before.some((e) => e.type === 'break_glass');
  const satisfied = quorum(r.requirements, r.approvals).satisfied;
  if (!satisfied && !r.autoApproved && !glass)
    fail('an active request has what its policy required', r, `granted without its approvals: ${JSON.stringify(r.approvals)}`);
  if (r.requirements.mfa === 'totp' && !before.some((e) => e.type === 'mfa_passed'))
    fail('an active request has what its policy required', r, 'granted before its MFA answer');
  if (before.some((e) => MOVES[e.type] && e.type !== 'created'))
    fail('an active request has what its policy required', r, 'granted after it ended');
}

/** No grant is used after its end: recorded uses before `expiresAt`, and the uses the test saw before it saw the end. */
function checkUses(r: JitRequest, events: ChainedEvent[], opts: CheckOptions, fail: Fail): void {
  // A failed request keeps no expiresAt: its grant ended when it failed.
  const failedAt = events.find((e) => e.type === 'failed')?.at;
  const expiresAt = 'expiresAt' in r ? Date.parse(r.expiresAt) : failedAt !== undefined ? Date.parse(failedAt) : undefined;
  for (const e of events.filter((x) => x.type === 'consumed' || x.type === 'grant_used')) {
    if (expiresAt === undefined || Date.parse(e.at) >= expiresAt)
      fail('no use after expiresAt', r, `${e.type} at ${e.at}, after the grant's end (${r.status})`);
  }
  const seenEnd = opts.endsSeen?.get(r.id);
  for (const use of (opts.uses ?? []).filter((u) => u.requestId === r.id)) {
    if (!GRANTED.includes(r.status) && !(r.status === 'failed' && events.some((e) => e.type === 'activated')))
      fail('nothing is granted that nobody approved', r, `a use was allowed, but the request is ${r.status} and was never active`);
    else if (expiresAt !== undefined && use.startedAt >= expiresAt)
      fail('no use after expiresAt', r, `a use sent at ${new Date(use.startedAt).toISOString()} was allowed`);
    if (seenEnd !== undefined && use.startedAt > seenEnd)
      fail('no use after revocation', r, `a use sent at ${new Date(use.startedAt).toISOString()}, after the grant ended, was allowed`);
  }
}

/**
 * Nothing waits forever: a live request has a running execution and is not past its deadline; an ended one's
 * execution has ended (a consumed or revoked grant's waits until its `expiresAt`, where Expire finds it ended).
 */
function checkLiveness(r: JitRequest, execution: string | undefined, events: ChainedEvent[], now: number, grace: number, fail: Fail): void {
  const overdue = (iso: string | undefined) => iso !== undefined && Date.parse(iso) + grace < now;
  if (r.status === 'pending_mfa' && overdue(r.mfaDeadline)) fail('no request is left stuck', r, `pending MFA past ${r.mfaDeadline}`, true);
  if (r.status === 'pending_approval' && overdue(r.approvalDeadline))
    fail('no request is left stuck', r, `pending approval past ${r.approvalDeadline}`, true);
  if (r.status === 'active' && overdue(r.expiresAt)) fail('no request is left stuck', r, `active past ${r.expiresAt}`, true);
  if (execution === undefined) return;
  const terminal = TERMINAL.includes(r.status);
  if (!terminal && execution !== 'RUNNING') fail('no request is left stuck', r, `${r.status}, but its execution is ${execution}`, true);
  const endedAt = events.at(-1)?.at;
  const waitsForExpiry = (r.status === 'consumed' || r.status === 'revoked') && !overdue(r.expiresAt);
  if (terminal && execution === 'RUNNING' && !waitsForExpiry && overdue(endedAt))
    fail('every ended request has its execution ended', r, `${r.status} since ${endedAt}, its execution still RUNNING`, true);
}

/** The grant slot of each requester, action and resource points at its live request, or there is none. */
function checkSlots(snapshot: Snapshot, requests: StoredRequest[], byId: Map<string, JitRequest>, fail: Fail): void {
  const inScope = new Set(requests.map((s) => s.request.id));
  for (const [pk, slot] of snapshot.slots) {
    const r = byId.get(slot.requestId);
    if (r && !inScope.has(r.id)) continue;
    if (!r) {
      fail('the grant slot points at the live request or at none', undefined, `slot ${pk} names request ${slot.requestId}, not stored`);
      continue;
    }
    if (keys.grantSlot(r.requester.id, r.action, r.resource).pk !== pk || r.extends !== undefined)
      fail('the grant slot points at the live request or at none', r, `slot ${pk} is not this request's`);
    else if (TERMINAL.includes(r.status))
      fail('the grant slot points at the live request or at none', r, `slot ${pk} held by a ${r.status} request`);
    else if ((slot.status === 'active') !== (r.status === 'active') || (r.status === 'active' && slot.expiresAt !== r.expiresAt))
      fail('the grant slot points at the live request or at none', r, `slot ${JSON.stringify(slot)} for a ${r.status} request`);
  }
  for (const { request: r } of requests) {
    if (TERMINAL.includes(r.status) || r.extends !== undefined) continue;
    const slot = snapshot.slots.get(keys.grantSlot(r.requester.id, r.action, r.resource).pk);
    if (slot?.requestId !== r.id)
      fail('the grant slot points at the live request or at none', r, `live, but its slot names ${slot?.requestId}`);
  }
}

/** A readable list, one violation a line. */
function describeViolations(violations: Violation[]): string {
  return violations.map((v) => `- ${v.invariant}${v.requestId ? ` [${v.requestId}]` : ''}: ${v.detail}`).join('\n');
}

/**
 * Reads and checks: a violation that cannot resolve fails at once. The eventual ones are left out unless
 * `settleMs` is given; then they get until it has passed, the snapshot read again each time. `clock`: the
 * time the store lives in, when not the real one (a TestClock).
 */
export async function expectInvariants(
  read: () => Promise<Snapshot>,
  opts: Omit<CheckOptions, 'now'> & { settleMs?: number; clock?: () => Date } = {},
): Promise<{ requests: number; events: number }> {
  const deadline = Date.now() + (opts.settleMs ?? 0);
  for (;;) {
    const snapshot = await read();
    const violations = checkInvariants(snapshot, { ...opts, now: opts.clock?.() ?? new Date() });
    const hard = violations.filter((v) => !v.eventual);
    if (hard.length) throw new Error(`invariants violated:\n${describeViolations(hard)}`);
    if (violations.length && opts.settleMs !== undefined && Date.now() >= deadline)
      throw new Error(`invariants still violated after ${opts.settleMs} ms:\n${describeViolations(violations)}`);
    if (!violations.length || opts.settleMs === undefined) {
      const requests = snapshot.requests.filter((s) => !opts.only || opts.only(s.request));
      return { requests: requests.length, events: snapshot.events.length };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
