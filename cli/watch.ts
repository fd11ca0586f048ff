/**
 * Following a request as it happens, for `jitgate watch` and `jitgate request --wait`: each step
 * printed once (created, waiting for MFA, notified whom, each decision, active until, how it
 * ended), read from the request itself by polling with backoff.
 */
import { RateLimitedError, UnavailableError, type JitgateClient, type Request } from '../client';
import { TERMINAL } from '../shared/domain/request';
import type { CliIo } from './command';
import { person, statusLine, statusWord, styleFor, subject, type Style } from './output';

export interface Following {
  io: CliIo;
  client: JitgateClient;
  style: Style;
  /** --json: `watch` prints a JSON line per change; `request --wait` nothing until the end. */
  json: boolean;
  /** `request --wait`: the steps are progress (stderr), its result comes after (stdout). */
  stepsOnStderr: boolean;
  out(text: string): void;
  say(text: string): void;
}

/**
 * Polls the request until `done`, printing each new step. Backs off while nothing changes
 * (250 ms, half again each time, up to 5 s) and starts over after a change: steps come in
 * bursts (an approval, then activation moments later).
 */
export async function follow(ctx: Following, first: Request, done: (r: Request) => boolean): Promise<Request> {
  const seen = new Set<string>();
  let current = first;
  let interval = 250;
  let previous = '';
  // --wait prints its steps on stderr: colour them if that is the terminal.
  const style = ctx.stepsOnStderr ? styleFor({ stdout: ctx.io.stderr, env: ctx.io.env }) : ctx.style;
  for (;;) {
    const steps = stepsOf(current, style).filter(([key]) => !seen.has(key));
    for (const [key] of steps) seen.add(key);
    const snapshot = JSON.stringify(current);
    if (ctx.json) {
      // watch --json: a JSON line per change; request --wait --json: the last request alone.
      if (!ctx.stepsOnStderr && snapshot !== previous) ctx.out(`${snapshot}\n`);
    } else {
      const write = ctx.stepsOnStderr ? ctx.say : ctx.out;
      for (const [, text] of steps) write(`${text}\n`);
    }
    if (done(current)) return current;
    interval = snapshot === previous ? Math.min(interval * 1.5, 5_000) : 250;
    previous = snapshot;
    await new Promise((resolve) => setTimeout(resolve, interval));
    current = await poll(ctx, current.id);
  }
}

/** One look at the request; when jitgate says to come back later (429, 503), waits as long as it says and looks again. */
async function poll(ctx: Following, id: string): Promise<Request> {
  for (;;) {
    try {
      return await ctx.client.getRequest(id);
    } catch (err) {
      if (!(err instanceof RateLimitedError || err instanceof UnavailableError)) throw err;
      const seconds = err.retryAfter ?? 5;
      ctx.say(`${err.problem.title}; looking again in ${seconds} s\n`);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }
}

/** The steps a request shows so far, each with a key so it is printed once. */
function stepsOf(r: Request, style: Style): [string, string][] {
  const why = r.justification ? ` ("${r.justification}")` : '';
  const created = `created ${style.bold(r.id)}: ${person(r.requester)} asks for ${subject(r)}${why}`;
  const steps: [string, string][] = [['created', `${style.dim(r.createdAt)}  ${created}`]];
  if (r.status === 'pending_mfa' && r.waitingFor?.mfa) {
    const m = r.waitingFor.mfa;
    steps.push([
      `mfa-waiting-${m.attemptsLeft}`,
      `${style.dim(now())}  waiting for MFA (${m.method}, ${m.attemptsLeft} attempt(s) left${
        m.deadline ? `, until ${m.deadline}` : ''
      }): jitgate mfa ${r.id} <code>`,
    ]);
  }
  if (r.mfa.passedAt) steps.push(['mfa-passed', `${style.dim(r.mfa.passedAt)}  MFA passed`]);
  for (const p of r.notified) steps.push([`notified-${p.id}`, `${style.dim(now())}  notified ${person(p)} (${p.groups.join(', ')})`]);
  for (const a of r.approvals) {
    const verb = a.decision === 'approve' ? style.green('approved') : style.red('denied');
    steps.push([
      `decision-${a.approver.id}`,
      `${style.dim(a.at)}  ${verb} by ${person(a.approver)} (${a.groups.join(', ')}) via ${a.via}${a.reason ? `: ${a.reason}` : ''}`,
    ]);
  }
  if (r.autoApproved) steps.push(['auto', `${style.dim(r.createdAt)}  auto-approved by policy ${r.policy.action}`]);
  // Not grantTimes: those are set when the quorum is complete, before the state machine activates the grant.
  if ('activatedAt' in r) steps.push(['active', `${style.dim(r.activatedAt)}  ${style.green('active')} until ${r.expiresAt}`]);
  if (r.firstUsedAt) steps.push(['used', `${style.dim(r.firstUsedAt)}  first used`]);
  if (TERMINAL.includes(r.status)) {
    // A denial by an approver was printed with its reason a line above.
    const decided = r.status === 'denied' && r.approvals.some((a) => a.decision === 'deny');
    steps.push(['ended', `${style.dim(now())}  ${decided ? `ended: ${statusWord(r.status, style)}` : statusLine(r, style)}`]);
  }
  return steps;
}

const now = () => new Date().toISOString();
