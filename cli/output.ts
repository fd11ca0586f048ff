/**
 * How the request verbs talk to people: a request in a few lines, an API error in one or
 * two, colour only on a terminal. `--json` bypasses all of this and prints the API's JSON.
 */
import {
  ConflictError,
  type JitgateError,
  PolicyDeniedError,
  RateLimitedError,
  StepUpRequiredError,
  UnauthorizedError,
  UnavailableError,
  ValidationError,
  type Request,
} from '../client';
import type { CliIo } from './command';

export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const COLOUR: Style = { bold: sgr(1, 22), dim: sgr(2, 22), green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39) };
const PLAIN: Style = { bold: (t) => t, dim: (t) => t, green: (t) => t, red: (t) => t, yellow: (t) => t };

/**
 * Colour when stdout is a terminal and NO_COLOR (https://no-color.org: set and not empty) is
 * not: a pipe or a file gets plain text a script can grep.
 */
export function styleFor(io: Pick<CliIo, 'stdout' | 'env'>): Style {
  const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
  return tty && !io.env.NO_COLOR ? COLOUR : PLAIN;
}

const PENDING = new Set(['pending_mfa', 'pending_approval']);
const GRANTED = new Set(['active', 'consumed', 'applied']);

/** The status in words, coloured by where it leaves the requester; `width` pads it before colouring, for columns. */
export function statusWord(status: string, style: Style, width = 0): string {
  const word = status.replace('_', ' ').padEnd(width);
  if (PENDING.has(status)) return style.yellow(word);
  return GRANTED.has(status) ? style.green(word) : status === 'expired' ? word : style.red(word);
}

/** `Bob <bob@example.com>`, or the sub when the token named nobody. */
export function person(p: { sub: string; name?: string; email?: string } | 'jitgate'): string {
  if (p === 'jitgate') return 'jitgate';
  return p.name ? `${p.name}${p.email ? ` <${p.email}>` : ''}` : (p.email ?? p.sub);
}

export function subject(r: Request): string {
  return r.resource && r.resource !== '*' ? `${r.action} on ${r.resource}` : r.action;
}

/** What a pending request still waits for, in the product's words. */
export function waitingFor(r: Request): string | undefined {
  const w = r.waitingFor;
  if (!w) return undefined;
  if (w.mfa) return `MFA (${w.mfa.method}, ${w.mfa.attemptsLeft} attempt(s) left${w.mfa.deadline ? `, until ${w.mfa.deadline}` : ''})`;
  if (w.approvals?.length) {
    const groups = w.approvals
      .filter((g) => g.remaining > 0)
      .map((g) => {
        const who = g.mayStillApprove.map((p) => p.name ?? p.email ?? p.id).join(', ');
        return `${g.remaining} from ${g.group}${who ? ` (${who})` : ''}`;
      });
    return `approval: ${groups.join(' and ')}${w.approvalDeadline ? `, until ${w.approvalDeadline}` : ''}`;
  }
  if (w.activation) return 'activation (moments)';
  return undefined;
}

/** Where the request stands, in one line: `pending approval: 1 from security-admins (Bob, Carol), until ...`. */
export function statusLine(r: Request, style: Style): string {
  const word = statusWord(r.status, style);
  switch (r.status) {
    case 'pending_mfa':
    case 'pending_approval': {
      const waiting = waitingFor(r);
      return waiting ? `${word}, waiting for ${waiting}` : word;
    }
    case 'active':
      return `${word} until ${r.expiresAt}`;
    case 'consumed':
      return `${word} at ${r.consumedAt}`;
    case 'expired':
      return `${word} at ${r.endedAt}`;
    case 'revoked':
      return `${word} by ${person(r.revokedBy)} at ${r.endedAt}${r.reason ? `: ${r.reason}` : ''}`;
    case 'denied':
      return `${word} by ${person(r.decidedBy)} at ${r.decidedAt}${r.reason ? `: ${r.reason}` : ''}`;
    case 'cancelled':
      return `${word} at ${r.cancelledAt}`;
    case 'timed_out':
      return `${word} at ${r.endedAt} (nobody decided in time)`;
    case 'failed':
      return `${word} at ${r.endedAt}: ${r.failure.error ?? r.failure.executionStatus}${r.failure.cause ? ` (${r.failure.cause})` : ''}`;
    case 'applied':
      return `${word} at ${r.appliedAt}: ${r.extends ?? 'the grant'} now ends at ${r.expiresAt}`;
  }
}

/** `jitgate status`: the request, a field a line. */
export function describeRequest(r: Request, style: Style): string {
  const lines: [string, string | undefined][] = [
    ['request', `${style.bold(r.id)}  ${subject(r)}`],
    ['status', statusLine(r, style)],
    ['requester', person(r.requester)],
    ['created', r.createdAt],
    ['justification', r.justification],
    ['ticket', r.ticket],
    ['break-glass', r.breakGlass ? 'yes' : undefined],
    ['notified', r.notified.length ? r.notified.map((p) => `${person(p)} (${p.groups.join(', ')})`).join(', ') : undefined],
    ...r.approvals.map((a): [string, string] => [
      a.decision === 'approve' ? 'approved by' : 'denied by',
      `${person(a.approver)} (${a.groups.join(', ')}) at ${a.at} via ${a.via}${a.reason ? `: ${a.reason}` : ''}`,
    ]),
  ];
  const shown = lines.filter((l): l is [string, string] => l[1] !== undefined);
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${style.dim(k.padEnd(width))}  ${v}`).join('\n') + '\n';
}

/** `jitgate list`: one request a line. */
export function requestRow(r: Request, style: Style): string {
  return `${r.id}  ${statusWord(r.status, style, 16)}  ${subject(r)}  ${style.dim(`${person(r.requester)}, ${r.createdAt}`)}`;
}

/**
 * An API error in one or two lines: the problem's title and detail, then what to do about it
 * when the error's class says (step-up: how to sign in again; 429: when to come back).
 */
export function describeApiError(err: JitgateError, hints: { asUser?: string }): string {
  const { title, detail } = err.problem;
  const first = detail && detail !== title ? `${title}: ${detail}` : title;
  return [first, hintFor(err, hints)].filter(Boolean).join('\n');
}

/** The API's body fields as the verbs' options, so a refused field names what to type. */
const OPTION_OF_FIELD: Record<string, string> = {
  action: '<action>',
  resource: '--resource',
  justification: '--justification',
  ticket: '--ticket',
  durationSeconds: '--duration',
  breakGlass: '--break-glass',
  reason: '--reason',
  code: '<code>',
};

function hintFor(err: JitgateError, { asUser }: { asUser?: string }): string | undefined {
  if (err instanceof StepUpRequiredError) {
    const params = [
      err.acrValues.length ? `acr_values=${err.acrValues.join(' ')}` : undefined,
      err.maxAge !== undefined ? `max_age=${err.maxAge}` : undefined,
    ].filter(Boolean);
    const local = `in local mode: --token "$(npx jitgate token ${asUser ?? '<user>'} --amr mfa)"`;
    return `sign in again with MFA at your IdP${params.length ? ` (${params.join(', ')})` : ''} and pass the new token; ${local}`;
  }
  if (err instanceof UnauthorizedError && asUser && /JWK for kid .* not found/.test(err.message)) {
    // --as signs with the development IdP's keys in the CLI's data directory; a local mode
    // started with another JITGATE_DATA_DIR has other keys.
    return (
      '--as signs with the keys in $JITGATE_DATA_DIR/idp-keys.json (default .jitgate/): ' +
      'run npx jitgate with the same JITGATE_DATA_DIR as npm start'
    );
  }
  if (err instanceof UnauthorizedError) return 'pass a current token: --token, JITGATE_TOKEN, or --as <demo user> in local mode';
  if (err instanceof ValidationError && err.errors.length) {
    return err.errors.map((e) => `${OPTION_OF_FIELD[e.path] ?? (e.path || 'body')}: ${e.message}`).join('; ');
  }
  if (err instanceof ValidationError && err.attemptsLeft !== undefined) return `${err.attemptsLeft} attempt(s) left`;
  if (err instanceof PolicyDeniedError && err.rule) return `decided by policy ${err.rule}; see "npx jitgate explain"`;
  if (err instanceof ConflictError && err.currentStatus && !err.problem.detail.includes(err.currentStatus)) {
    return `the request is ${err.currentStatus.replace('_', ' ')} now`;
  }
  if ((err instanceof RateLimitedError || err instanceof UnavailableError) && err.retryAfter !== undefined) {
    return `try again in ${err.retryAfter} s${err instanceof RateLimitedError && err.limit ? ` (limit: ${err.limit})` : ''}`;
  }
  return undefined;
}
