/**
 * The reference model's rules (model-run.ts applies them): what a request of the model holds, where the
 * clock may take it, when an answer comes close enough to a deadline to accept both sides, and what
 * every answer must look like.
 */
import { currentCode } from '../../../shared/domain/totp';
import type { Command, PolicyName } from './history';

export const SLACK_MS = 1500;
/** How long a request may take to reach a status the model allows (activation, expiry, a time-out). */
export const SETTLE_MS = 15_000;
export const TERMINAL = ['consumed', 'expired', 'revoked', 'denied', 'cancelled', 'timed_out', 'failed', 'applied'];

export class ModelMismatch extends Error {
  override name = 'ModelMismatch';
}

export interface ModelRequest {
  id: string;
  user: number;
  policy: PolicyName;
  resource: number;
  status: string;
  /** Epoch ms: the grant's end while active; the MFA or approval deadline while pending. */
  expiresAt?: number;
  deadline?: number;
  approvers: Set<string>;
  mfaPassed: boolean;
  mfaFailures: number;
  /** The statuses the request may settle in after the current step. */
  expect?: Set<string>;
}

/** An answer as the tests' HTTP client gives it. */
export interface Res {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
  json: any;
}

/** The statuses a request may be in now: the prediction (or its last status), and where the clock may have taken it. */
export function allowedNow(r: ModelRequest, now: number): Set<string> {
  const out = new Set(r.expect ?? [r.status]);
  for (const s of [...out]) {
    // A grant just predicted has an end the model learns only once it sees it active: it may be over already.
    if (s === 'active' && (r.status !== 'active' || now + SLACK_MS >= r.expiresAt!)) out.add('expired');
    if (s.startsWith('pending') && r.deadline !== undefined && now + SLACK_MS >= r.deadline) out.add('timed_out');
  }
  return out;
}

/** Moments after an answer the state machine still has a step to take: MFA passed but approval not asked yet, or activation. */
export function transient(view: { status: string; waitingFor?: { activation?: boolean; mfa?: unknown } | null }): boolean {
  return (
    view.status.startsWith('pending') && (view.waitingFor?.activation === true || (view.status === 'pending_mfa' && !view.waitingFor?.mfa))
  );
}

export function adopt(r: ModelRequest, view: Record<string, any>): void {
  r.status = view.status;
  r.expect = undefined;
  if (view.expiresAt) r.expiresAt = Date.parse(view.expiresAt);
  const deadline = view.approvalDeadline ?? view.mfaDeadline ?? view.waitingFor?.approvalDeadline ?? view.waitingFor?.mfa?.deadline;
  if (deadline) r.deadline = Date.parse(deadline);
}

export function ended(r: ModelRequest): boolean {
  return TERMINAL.includes(r.status);
}

/** The request may have ended on its own by `now` (expiry or time-out). */
export function mayEndBy(r: ModelRequest, now: number): boolean {
  return (r.status === 'active' && now + SLACK_MS >= r.expiresAt!) || (r.status.startsWith('pending') && now + SLACK_MS >= r.deadline!);
}

export function nearAny(at: number | undefined, t0: number, t1: number): boolean {
  return at !== undefined && t1 + SLACK_MS >= at && t0 - SLACK_MS <= at;
}

/** A status outside the allowed ones fails the history; so does any refusal that is not a problem document. */
export function check(res: Res, allowed: number[], c: Command | string): void {
  if (!allowed.includes(res.status))
    throw new ModelMismatch(`${show(c)} answered ${res.status} (the model allows ${allowed.join(', ')}): ${res.text.slice(0, 300)}`);
  if (res.status >= 400 && !res.headers.get('content-type')?.includes('application/problem+json'))
    throw new ModelMismatch(`${show(c)} refused with ${res.headers.get('content-type')}, not a problem document`);
}

export function wrongCode(secret: string, now: number): string {
  const valid = new Set([-1, 0, 1, 2, 3].map((k) => currentCode(secret, new Date(now + 30_000 * k))));
  let candidate = 0;
  while (valid.has(String(candidate).padStart(6, '0'))) candidate++;
  return String(candidate).padStart(6, '0');
}

export const show = (c: Command | string) => (typeof c === 'string' ? c : JSON.stringify(c));
export const iso = (ms: number | undefined) => (ms === undefined ? '?' : new Date(ms).toISOString());
