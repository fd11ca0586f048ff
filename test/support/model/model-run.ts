/**
 * Runs a generated history (history.ts) against a target (local mode over HTTP, or the handlers in
 * process on the in-memory ports, a clock the test moves), with a reference model of
 * each request: what every answer may be, and which statuses the request may settle in after
 * each step (the state machine moves on by itself: activation, expiry, time-outs). A
 * prediction that fails throws `ModelMismatch`; the test then checks the invariants.
 *
 * The target's time may be real: a prediction within `SLACK_MS` of a deadline or an expiry accepts both sides.
 */
import { currentCode } from '../../../shared/domain/totp';
import type { ObservedUse } from '../invariants';
import { POLICIES, RESOURCES, type Command, type PolicyName, type Race, type Step } from './history';
import {
  adopt,
  allowedNow,
  check,
  ended,
  iso,
  mayEndBy,
  ModelMismatch,
  nearAny,
  SETTLE_MS,
  show,
  SLACK_MS,
  transient,
  wrongCode,
  type ModelRequest,
  type Res,
} from './model-rules';

interface ModelUser {
  token: string;
  secret: string;
  /** The TOTP step the enrolment used; the next one is the one right answer a user has in a short history. */
  enrolStep: number;
  rightUsed: boolean;
  wrongCodes: number;
}

/** What a history runs against: the API, tokens for the demo users, and its clock. */
export interface ModelTarget {
  call(method: string, path: string, opts?: { token?: string; body?: unknown }): Promise<Res>;
  /** A token for a demo user; `as` gives a distinct principal with the same claims (sub `<user>-<as>`). */
  token(user: string, opts?: { as?: string }): Promise<string>;
  now(): number;
  sleep(ms: number): Promise<void>;
  restart(): Promise<void>;
}

/** What every test of the model shares: the uses it saw allowed, and when it saw grants end (for the invariants). */
export interface Observations {
  uses: ObservedUse[];
  endsSeen: Map<string, number>;
  commands: number;
  authorizes: number;
}

export class ModelRun {
  private readonly requests: ModelRequest[] = [];
  private readonly users: ModelUser[] = [];
  private approvers: Record<'bob' | 'carol', string> = { bob: '', carol: '' };

  constructor(
    private readonly api: ModelTarget,
    private readonly prefix: string,
    private readonly seen: Observations,
  ) {}

  /** The requester principals' subs start with this: the invariants look at this history's requests only. */
  get subPrefix(): string {
    return `alice-${this.prefix}-`;
  }

  async run(steps: Step[], userCount: number): Promise<void> {
    this.approvers = { bob: await this.api.token('bob'), carol: await this.api.token('carol') };
    for (let u = 0; u < userCount; u++) this.users.push(await this.enrol(await this.api.token('alice', { as: `${this.prefix}-${u}` })));
    for (const step of steps) {
      if (step.kind === 'wait') await this.api.sleep(step.ms);
      else if (step.kind === 'restart') await this.api.restart();
      else {
        await Promise.all(step.commands.map((c) => this.command(c)));
        this.seen.commands += step.commands.length;
      }
      await this.settle();
    }
  }

  private async enrol(token: string): Promise<ModelUser> {
    const enrol = await this.api.call('POST', '/v1/mfa/totp', { token });
    if (enrol.status !== 201) throw new Error(`enrol: ${enrol.status} ${enrol.text}`);
    const now = this.api.now();
    const verify = await this.api.call('POST', '/v1/mfa/totp/verify', {
      token,
      body: { code: currentCode(enrol.json.secret, new Date(now)) },
    });
    if (verify.status !== 200) throw new Error(`verify: ${verify.status} ${verify.text}`);
    return { token, secret: enrol.json.secret, enrolStep: Math.floor(now / 30_000), rightUsed: false, wrongCodes: 0 };
  }

  private mine(user: number, ref: number): ModelRequest | undefined {
    const own = this.requests.filter((r) => r.user === user);
    return own.length ? own[ref % own.length] : undefined;
  }

  private async command(c: Command): Promise<void> {
    switch (c.kind) {
      case 'create':
        return this.create(c);
      case 'authorize': {
        const own = c.ref === null ? undefined : this.mine(c.user, c.ref);
        return void (await this.authorize(c.user, own?.policy ?? c.policy, own?.resource ?? c.resource, c.consume, c));
      }
      case 'race': {
        const r = this.mine(c.user, c.ref);
        return r && this.race(r, c.race, c);
      }
      default: {
        const r = this.mine(c.user, c.ref);
        if (!r) return;
        if (c.kind === 'mfa') return this.mfa(r, c.code, c);
        if (c.kind === 'decide') return void (await this.decide(r, c.by, c.decision, c));
        if (c.kind === 'cancel') return void (await this.cancel(r, c));
        return void (await this.revoke(r, c.asAdmin, c));
      }
    }
  }

  private async create(c: Extract<Command, { kind: 'create' }>): Promise<void> {
    const p = POLICIES[c.policy];
    const live = this.requests.find((r) => r.user === c.user && r.policy === c.policy && r.resource === c.resource && !ended(r));
    const body = { action: p.action, resource: RESOURCES[c.resource], ...(p.once ? {} : { durationSeconds: c.seconds }) };
    const t0 = this.api.now();
    const res = await this.api.call('POST', '/v1/requests', { token: this.users[c.user]!.token, body });
    const mayHaveEnded = live !== undefined && mayEndBy(live, this.api.now());
    check(res, live ? (mayHaveEnded ? [200, 201] : [200]) : [201], c);
    if (res.status === 200) {
      if (res.json.id !== live?.id) throw new ModelMismatch(`create answered request ${res.json.id}, not the live ${live?.id}: ${show(c)}`);
      return;
    }
    const expect = p.mfa ? 'pending_mfa' : p.approvals ? 'pending_approval' : 'active';
    this.requests.push({
      id: res.json.id,
      user: c.user,
      policy: c.policy,
      resource: c.resource,
      status: res.json.status,
      deadline: t0 + 10_000,
      approvers: new Set(),
      mfaPassed: false,
      mfaFailures: 0,
      expect: new Set([expect]),
    });
  }

  private async mfa(r: ModelRequest, code: 'right' | 'wrong' | 'replayed', c: Command): Promise<void> {
    const user = this.users[r.user]!;
    const fresh = code === 'right' && !user.rightUsed;
    const answer = fresh
      ? currentCode(user.secret, new Date((user.enrolStep + 1) * 30_000))
      : code === 'wrong'
        ? wrongCode(user.secret, this.api.now())
        : currentCode(user.secret, new Date(user.enrolStep * 30_000));
    if (fresh) user.rightUsed = true;
    const open = r.status === 'pending_mfa' && !r.mfaPassed;
    const t0 = this.api.now();
    const res = await this.api.call('POST', `/v1/requests/${r.id}/mfa`, { token: user.token, body: { code: answer } });
    const near = open && nearAny(r.deadline, t0, this.api.now());
    const locked = user.wrongCodes >= 9 ? [429] : [];
    if (code === 'wrong') user.wrongCodes += 1;
    // A code already used is refused before the request is looked at (400, not counted as wrong).
    if (!fresh && code !== 'wrong') return check(res, [400, ...locked], c);
    if (!open) return check(res, [409, ...locked], c);
    if (code === 'wrong') {
      check(res, [400, ...locked, ...(near ? [409] : [])], c);
      if (res.status === 400) r.mfaFailures += 1;
      if (r.mfaFailures >= 5) r.expect = new Set(['denied']);
      return;
    }
    check(res, [200, ...locked, ...(near ? [409] : [])], c);
    if (res.status !== 200) return;
    r.mfaPassed = true;
    r.expect = new Set([POLICIES[r.policy].approvals ? 'pending_approval' : 'active']);
  }

  private async decide(r: ModelRequest, by: 'bob' | 'carol' | 'self', decision: 'approve' | 'deny', c: Command): Promise<Res> {
    const token = by === 'self' ? this.users[r.user]!.token : this.approvers[by];
    const t0 = this.api.now();
    const res = await this.api.call('POST', `/v1/requests/${r.id}/decisions`, { token, body: { decision } });
    const needed = POLICIES[r.policy].approvals;
    if (by === 'self' || needed === 0) return (check(res, [403], c), res);
    const open = r.status === 'pending_approval' && !r.approvers.has(by) && r.approvers.size < needed;
    if (!open) return (check(res, [409], c), res);
    check(res, nearAny(r.deadline, t0, this.api.now()) ? [200, 409] : [200], c);
    if (res.status === 200) this.decided(r, by, decision);
    return res;
  }

  private decided(r: ModelRequest, by: string, decision: 'approve' | 'deny'): void {
    if (decision === 'deny') return void (r.expect = new Set(['denied']));
    r.approvers.add(by);
    if (r.approvers.size >= POLICIES[r.policy].approvals) r.expect = new Set(['active']);
  }

  private async cancel(r: ModelRequest, c: Command): Promise<Res> {
    const t0 = this.api.now();
    const res = await this.api.call('POST', `/v1/requests/${r.id}/cancel`, { token: this.users[r.user]!.token });
    const pending = r.status.startsWith('pending');
    check(res, !pending ? [409] : nearAny(r.deadline, t0, this.api.now()) ? [200, 409] : [200], c);
    if (res.status === 200) r.expect = new Set(['cancelled']);
    return res;
  }

  private async revoke(r: ModelRequest, asAdmin: boolean, c: Command): Promise<Res> {
    const token = asAdmin ? this.approvers.bob : this.users[r.user]!.token;
    const t0 = this.api.now();
    const res = await this.api.call('POST', `/v1/requests/${r.id}/revoke`, { token, body: { reason: 'model' } });
    const active = r.status === 'active';
    check(res, !active ? [409] : nearAny(r.expiresAt, t0, this.api.now()) ? [200, 409] : [200], c);
    if (res.status === 200) {
      r.expect = new Set(['revoked']);
      this.seen.endsSeen.set(r.id, this.api.now());
    }
    return res;
  }

  /** Allowed exactly while the model's request for it is active and not past its end; a use the test saw is kept. */
  private async authorize(
    user: number,
    policy: PolicyName,
    resource: number,
    consume: boolean,
    c: Command | string,
    /** In a race the other command may end the grant first: a refusal is then no lost decision. */
    racing = false,
  ): Promise<boolean> {
    const p = POLICIES[policy];
    const r = this.requests.find((x) => x.user === user && x.policy === policy && x.resource === resource && x.status === 'active');
    const t0 = this.api.now();
    const res = await this.api.call('POST', '/v1/authorize', {
      token: this.users[user]!.token,
      body: { action: p.action, resource: RESOURCES[resource], consume },
    });
    const t1 = this.api.now();
    this.seen.authorizes += 1;
    check(res, [200], c);
    const allowed = res.json.allowed === true;
    if (allowed) {
      if (!r || res.json.grant?.requestId !== r.id)
        throw new ModelMismatch(`allowed by ${res.json.grant?.requestId}, the model has ${r?.id ?? 'no active request'}: ${show(c)}`);
      this.seen.uses.push({ requestId: r.id, startedAt: t0 });
      if (p.once && consume) {
        r.expect = new Set(['consumed']);
        this.seen.endsSeen.set(r.id, t1);
      }
    } else if (r && !r.expect && !racing && t1 < r.expiresAt! - SLACK_MS) {
      throw new ModelMismatch(`refused while ${r.id} is active until ${iso(r.expiresAt)} (${res.json.reason}): ${show(c)}`);
    }
    return allowed;
  }

  /** Two conflicting commands at once; what each may answer depends on which ran first, but not both may win. */
  private async race(r: ModelRequest, race: Race, c: Command): Promise<void> {
    const before = { status: r.status, approvers: new Set(r.approvers) };
    const [first, second] = race.split('-') as [string, string];
    const run = (what: string, by: 'bob' | 'carol') => {
      if (what === 'approve') return this.decideRacing(r, by, 'approve', c);
      if (what === 'deny') return this.decideRacing(r, by, 'deny', c);
      if (what === 'cancel') return this.cancelRacing(r, c);
      if (what === 'revoke') return this.revokeRacing(r, c);
      return this.authorize(r.user, r.policy, r.resource, true, c, true).then((allowed) => (allowed ? 200 : 409));
    };
    const [a, b] = await Promise.all([run(first, 'bob'), run(second, 'carol')]);
    const wins = [a, b].filter((s) => s === 200).length;
    const p = POLICIES[r.policy];
    // Exactly one of two ends (approval against denial, revocation against use, two uses of a once grant).
    const exclusive =
      (race === 'revoke-consume' && p.once) ||
      (race === 'consume-consume' && p.once) ||
      (race === 'approve-deny' && p.approvals === 1 && before.approvers.size === 0) ||
      (race === 'approve-approve' && p.approvals === 1 && before.approvers.size === 0);
    if (exclusive && wins > 1) throw new ModelMismatch(`both won (${a}, ${b}) on ${before.status} ${r.id}: ${show(c)}`);
    const windowOpen = before.status === 'active' ? !nearAny(r.expiresAt, this.api.now() - SETTLE_MS, this.api.now()) : true;
    // What the two compete for: a grant to use (or revoke), or a pending request to decide.
    const contested = race.includes('consume') ? before.status === 'active' : before.status === 'pending_approval';
    if (exclusive && wins === 0 && contested && windowOpen && !nearAny(r.deadline, this.api.now() - SETTLE_MS, this.api.now()))
      throw new ModelMismatch(`neither won (${a}, ${b}) on ${before.status} ${r.id}: ${show(c)}`);
  }

  private async decideRacing(r: ModelRequest, by: 'bob' | 'carol', decision: 'approve' | 'deny', c: Command): Promise<number> {
    const res = await this.api.call('POST', `/v1/requests/${r.id}/decisions`, { token: this.approvers[by], body: { decision } });
    check(res, POLICIES[r.policy].approvals === 0 ? [403] : [200, 409], c);
    if (res.status === 200) this.decidedRacing(r, by, decision);
    return res.status;
  }

  /** A racing decision: a denial that won ends the request whatever else happened; an approval adds to it. */
  private decidedRacing(r: ModelRequest, by: string, decision: 'approve' | 'deny'): void {
    if (decision === 'deny' || r.expect?.has('denied') || r.expect?.has('cancelled')) {
      r.expect = new Set([decision === 'deny' ? 'denied' : [...r.expect!][0]!]);
      return;
    }
    r.approvers.add(by);
    if (r.approvers.size >= POLICIES[r.policy].approvals) r.expect = new Set(['active']);
  }

  private async cancelRacing(r: ModelRequest, c: Command): Promise<number> {
    const res = await this.api.call('POST', `/v1/requests/${r.id}/cancel`, { token: this.users[r.user]!.token });
    check(res, [200, 409], c);
    if (res.status === 200) r.expect = new Set(['cancelled']);
    else if (r.status.startsWith('pending') && !r.expect?.has('active') && !nearAny(r.deadline, this.api.now() - SETTLE_MS, this.api.now()))
      throw new ModelMismatch(`cancel refused on ${r.status} ${r.id} though nothing else could end it: ${show(c)}`);
    return res.status;
  }

  private async revokeRacing(r: ModelRequest, c: Command): Promise<number> {
    const res = await this.api.call('POST', `/v1/requests/${r.id}/revoke`, { token: this.users[r.user]!.token, body: { reason: 'race' } });
    check(res, [200, 409], c);
    if (res.status === 200) {
      r.expect = new Set(['revoked']);
      this.seen.endsSeen.set(r.id, this.api.now());
    }
    return res.status;
  }

  /**
   * After each step, every request reaches a status the model allows (its prediction, or what the clock
   * may have done meanwhile) within SETTLE_MS, else it is stuck or wrong; then the model takes what it sees.
   */
  private async settle(): Promise<void> {
    await Promise.all(
      this.requests.map(async (r) => {
        if (!r.expect && ended(r) && r.status !== 'active') return;
        const token = this.users[r.user]!.token;
        const deadline = this.api.now() + SETTLE_MS;
        for (;;) {
          const res = await this.api.call('GET', `/v1/requests/${r.id}`, { token });
          check(res, [200], `GET ${r.id}`);
          const allowed = allowedNow(r, this.api.now());
          const view = res.json;
          if (allowed.has(view.status) && !transient(view)) {
            adopt(r, view);
            return;
          }
          if (this.api.now() > deadline)
            throw new ModelMismatch(
              `request ${r.id} is ${view.status} (${JSON.stringify(view.waitingFor)}), the model allows ${[...allowed]}`,
            );
          await this.api.sleep(100);
        }
      }),
    );
  }
}
