/**
 * `npx jitgate explain --user <demo-user|token|claims> --action A [--resource R]`:
 * what the config says for one caller, action and resource, offline. The same
 * evaluation as POST /v1/requests and POST /v1/authorize (shared/domain/policy.ts), for
 * reviewing a policy change before deploying it.
 *
 * Exit status: 0 the caller can get it (auto-approved, or by request), 3 denied,
 * 2 usage error, 1 the config is not valid.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig, type Config, type IssuerConfig } from '../shared/config/config';
import { parseJsonText } from '../shared/config/json-text';
import { ConfigError } from '../shared/domain/errors';
import { compileGlob, specificity } from '../shared/domain/glob';
import { toPrincipal, type Principal } from '../shared/domain/identity';
import { resourceProblem } from '../shared/domain/resource';
import { decisionOf, evaluate, PolicyIndex, ruleName, type Decision, type Requirements } from '../shared/domain/policy';
import { describeMfa, mayBreakGlass, stillNeeded } from '../shared/domain/request-checks';
import { describeCondition } from '../shared/domain/condition-text';
import { EXIT, UsageError, type CliIo, type Command } from './command';
import { DEMO_USERS, demoUserClaims, findDemoUser } from '../local/demo-users';
import { UnknownDemoUser } from '../local/idp';

/** Exit status for a denied decision: distinct from usage (2) and failure (1), so scripts can tell "no" from "broken". */
export const EXIT_DENIED = 3;

export const explainCommand: Command = {
  summary: 'explain what a policy decides for a user, action and resource (offline)',
  help: `Usage: jitgate explain --user <user> --action <action> [--resource <resource>] [--config <file>] [--json]

Evaluates jitgate.config.json (or $JITGATE_CONFIG, or --config) for one caller,
action and resource, offline and exactly as POST /v1/requests and POST /v1/authorize
would: which rule decides, why, and what it will take. Use it to review a policy
change before deploying it.

Options:
  --user <user>          a demo user (alice, bob, carol, dave, erin, audrey: their claims
                         through the development issuer), a JWT (its claims are decoded,
                         NOT verified: no signature, expiry or audience check), or a JSON
                         object of claims such as '{"sub":"x","groups":["engineering"]}'
  --action <action>      the action, e.g. projects:delete
  --resource <resource>  the resource (default "*", as when a request names none)
  --config <file>        the config file to evaluate (default $JITGATE_CONFIG or ./jitgate.config.json)
  --json                 print the result as JSON

Exit status: 0 the caller can get it (auto-approved, or by request), 3 denied by
policy, 2 usage error, 1 the config is not valid.
`,
  run: explain,
};

interface Caller {
  principal: Principal;
  source: 'demo user' | 'token' | 'claims';
  /** Always false: explain never verifies anything. */
  verified: false;
  note?: string;
}

export interface Explanation {
  caller: {
    id: string;
    source: Caller['source'];
    verified: false;
    note?: string;
    groups: string[];
    roles: string[];
    attributes: Record<string, string | string[]>;
  };
  action: string;
  resource: string;
  decision: Decision;
  rule: string;
  reason: string;
  clause?: string;
  requirements?: Requirements;
  /** What the caller still has to do, from nothing (as POST /v1/authorize's `missing`). */
  missing?: string[];
  breakGlass?: { allowed: boolean; who: string; maxDurationSeconds: number; notify: string };
  stepUp?: { satisfied: boolean; detail: string };
  /** Other policies that also match, less specific: they do not apply while the deciding rule exists. */
  alsoMatching: string[];
}

async function explain(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        user: { type: 'string' },
        action: { type: 'string' },
        resource: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values } = parsed;
  if (!values.user) throw new UsageError('name the caller with --user <demo user, token or claims JSON>');
  if (!values.action) throw new UsageError('name the action with --action <action>, e.g. --action projects:delete');
  if (!/^[A-Za-z0-9_.:/-]+$/.test(values.action))
    throw new UsageError(`--action takes letters, digits and : . _ - / (got "${values.action}")`);
  const resource = values.resource ?? '*';
  if (resource.length === 0) throw new UsageError('--resource is empty; leave it out for any resource');
  const problem = resourceProblem(resource);
  if (problem) throw new UsageError(`--resource ${JSON.stringify(resource.slice(0, 80))} is not a valid resource: ${problem}`);

  const file = path.resolve(io.cwd, values.config ?? (io.env.JITGATE_CONFIG || 'jitgate.config.json'));
  const config = loadConfig(file);
  const caller = resolveCaller(config, values.user, io);
  const result = explainFor(config, caller, values.action, resource);
  io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : render(result, path.relative(io.cwd, file) || file));
  return result.decision === 'denied' ? EXIT_DENIED : EXIT.ok;
}

function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UsageError(`no config at ${file}; run from the project directory, pass --config or set JITGATE_CONFIG`);
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseConfig(parseJsonText(text, file), path.basename(file));
}

/** The whole evaluation, as data: used by the CLI and by the table-driven policy tests. */
export function explainFor(config: Config, caller: Caller, action: string, resource: string, now = new Date()): Explanation {
  const index = new PolicyIndex(config);
  const e = evaluate(index, caller.principal, action, resource);
  const p = caller.principal;
  const deciding = e.policy;
  const result: Explanation = {
    caller: {
      id: p.id,
      source: caller.source,
      verified: false,
      ...(caller.note ? { note: caller.note } : {}),
      groups: p.groups,
      roles: p.roles,
      attributes: p.attributes,
    },
    action,
    resource,
    decision: decisionOf(e),
    rule: e.rule,
    reason: e.reason,
    ...(e.outcome === 'denied' && e.clause ? { clause: e.clause } : {}),
    alsoMatching: config.policies
      .map((policy, i) => ({ policy, i }))
      .filter(({ policy }) => policy !== deciding && compileGlob(policy.action)(action) && compileGlob(policy.resource ?? '*')(resource))
      .sort(
        (a, b) =>
          specificity(b.policy.action) - specificity(a.policy.action) ||
          specificity(b.policy.resource ?? '*') - specificity(a.policy.resource ?? '*'),
      )
      .map(({ policy, i }) => ruleName(policy, i)),
  };
  if (e.outcome === 'requestable') {
    result.requirements = e.requirements;
    result.missing = stillNeeded(e.requirements);
    const mfa = e.requirements.mfa;
    if (typeof mfa === 'object') result.stepUp = stepUpCheck(mfa.stepUp, p, caller, now);
  }
  if (deciding?.breakGlass)
    result.breakGlass = {
      allowed: e.outcome === 'requestable' && mayBreakGlass(deciding, p),
      who: describeCondition(deciding.breakGlass.who),
      maxDurationSeconds: deciding.breakGlass.maxDuration,
      notify: deciding.breakGlass.notify,
    };
  return result;
}

/** Mirrors the RFC 9470 check requests get, as advice: a demo user has no sign-in to judge. */
function stepUpCheck(
  stepUp: { acr?: string[]; amr?: string[]; maxAge: number },
  p: Principal,
  caller: Caller,
  now: Date,
): { satisfied: boolean; detail: string } {
  if (caller.source === 'demo user')
    return { satisfied: false, detail: 'a demo user has no sign-in to judge; `npx jitgate token <user> --amr mfa` gives one that has' };
  const age = p.authTime === undefined ? undefined : Math.floor(now.getTime() / 1000) - p.authTime;
  const fresh = age !== undefined && age <= stepUp.maxAge;
  const acrOk = !stepUp.acr || (p.acr !== undefined && stepUp.acr.includes(p.acr));
  const amrOk = !stepUp.amr || stepUp.amr.every((m) => p.amr?.includes(m));
  const problems = [
    !fresh && (age === undefined ? 'no auth_time' : `signed in ${age} s ago (at most ${stepUp.maxAge})`),
    !acrOk && `acr ${p.acr ?? '(none)'}`,
    !amrOk && `amr ${p.amr?.join(',') ?? '(none)'}`,
  ].filter(Boolean);
  return problems.length
    ? {
        satisfied: false,
        detail: `this token's sign-in is not enough (${problems.join('; ')}): the API would answer 401 insufficient_user_authentication`,
      }
    : { satisfied: true, detail: "this token's sign-in meets it" };
}

/** A demo user name, a JWT (decoded, not verified), or a JSON object of claims. */
export function resolveCaller(config: Config, user: string, io: Pick<CliIo, 'env'> = { env: {} }): Caller {
  const text = user.trim();
  if (text.startsWith('{')) {
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`--user looks like JSON but is not valid: ${(err as Error).message}`);
    }
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new UsageError('--user JSON must be an object of claims');
    const [name, issuer] = issuerFor(config, typeof claims.iss === 'string' ? claims.iss : undefined, io);
    return {
      principal: toPrincipal(name, issuer, { sub: 'anonymous', ...claims, iss: issuer.issuer }),
      source: 'claims',
      verified: false,
      note: 'claims given on the command line',
    };
  }
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text)) {
    const claims = decodeJwtPayload(text);
    const [name, issuer] = issuerFor(config, typeof claims.iss === 'string' ? claims.iss : undefined, io);
    if (typeof claims.sub !== 'string' || claims.sub.length === 0) throw new UsageError('the token has no "sub" claim');
    return {
      principal: toPrincipal(name, issuer, claims),
      source: 'token',
      verified: false,
      note: 'claims taken from the token, not verified: no signature, expiry or audience check',
    };
  }
  const demo = findDemoUser(DEMO_USERS, text);
  if (!demo) throw new UnknownDemoUser(text, DEMO_USERS);
  const [name, issuer] = developmentIssuer(config);
  return {
    principal: toPrincipal(name, issuer, { ...demoUserClaims(demo), sub: demo.sub, iss: issuer.issuer }),
    source: 'demo user',
    verified: false,
    note: `demo user ${demo.sub} through the development issuer "${name}"`,
  };
}

function decodeJwtPayload(token: string): Record<string, unknown> {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as unknown;
    if (payload && typeof payload === 'object' && !Array.isArray(payload)) return payload as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new UsageError('--user looks like a JWT but its payload is not a JSON object');
}

function developmentIssuer(config: Config): [string, IssuerConfig] {
  const dev = Object.entries(config.issuers).find(([, i]) => i.development);
  if (!dev)
    throw new UsageError(
      'demo users sign in through the development issuer, and this config has none; pass a token or a JSON object of claims with --user',
    );
  return dev;
}

/**
 * The configured issuer for `iss`; local mode's development issuer also under another port ($PORT); without
 * `iss`, the development or only issuer.
 */
function issuerFor(config: Config, iss: string | undefined, io: Pick<CliIo, 'env'>): [string, IssuerConfig] {
  const entries = Object.entries(config.issuers);
  if (iss === undefined) {
    const dev = entries.find(([, i]) => i.development);
    if (dev) return dev;
    if (entries.length === 1) return entries[0]!;
    throw new UsageError(`say which issuer with an "iss" claim; configured: ${entries.map(([, i]) => i.issuer).join(', ')}`);
  }
  const exact = entries.find(([, i]) => i.issuer === iss);
  if (exact) return exact;
  const sameDevIssuer = entries.find(([, i]) => i.development && sameExceptPort(i.issuer, iss));
  if (sameDevIssuer) return sameDevIssuer;
  throw new UsageError(
    `the token's issuer "${iss}" is not in the config${io.env.JITGATE_CONFIG ? ` (${io.env.JITGATE_CONFIG})` : ''}; configured: ` +
      `${entries.map(([, i]) => i.issuer).join(', ')}`,
  );
}

function sameExceptPort(a: string, b: string): boolean {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    return x.protocol === y.protocol && x.hostname === y.hostname && x.pathname === y.pathname;
  } catch {
    return false;
  }
}

function human(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function render(r: Explanation, configName: string): string {
  const rows: [string, string | string[]][] = [];
  const c = r.caller;
  const claims = [
    c.groups.length && `groups ${c.groups.join(', ')}`,
    c.roles.length && `roles ${c.roles.join(', ')}`,
    ...Object.entries(c.attributes).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : v}`),
  ]
    .filter(Boolean)
    .join('; ');
  rows.push(['caller', [`${c.id}${claims ? `: ${claims}` : ' (no groups, roles or attributes)'}`, ...(c.note ? [`(${c.note})`] : [])]]);
  const verdict = {
    denied: 'DENIED',
    requestable: 'REQUESTABLE (approval needed)',
    auto: 'AUTO-APPROVED (on request, no approval needed)',
  }[r.decision];
  rows.push(['decision', verdict]);
  rows.push(['rule', r.rule + (r.clause ? `, ${r.clause}` : '')]);
  rows.push(['reason', r.reason]);
  if (r.requirements) {
    const q = r.requirements;
    rows.push(['to get it', (r.missing ?? []).map((m, i) => `${i + 1}. ${m === 'request' ? 'request (POST /v1/requests)' : m}`)]);
    if (r.stepUp) rows.push(['step-up', r.stepUp.detail]);
    rows.push([
      'grant',
      q.grant.mode === 'once'
        ? `once: one use within ${human(q.grant.useWithinSeconds)}`
        : `window: up to ${human(q.grant.maxDurationSeconds)}`,
    ]);
    if (q.approvals.length) rows.push(['approval window', human(q.approvalWindowSeconds)]);
    if (q.justification.minLength && !q.justification.required)
      rows.push(['justification', `optional; at least ${q.justification.minLength} characters when given`]);
    if (q.ticket && !q.ticket.required)
      rows.push(['ticket', `optional${q.ticket.pattern ? `; must match ${q.ticket.pattern} when given` : ''}`]);
    const mfa = describeMfa(q.mfa);
    if (!mfa) rows.push(['mfa', 'none']);
  }
  if (r.breakGlass) {
    rows.push([
      'break-glass',
      r.breakGlass.allowed
        ? `allowed: send "breakGlass": true with a justification: no approval, at most ${human(r.breakGlass.maxDurationSeconds)} ` +
          `(MFA and ticket still apply), announced to ${r.breakGlass.notify}, who review it afterwards; audited`
        : `not for this caller: only where ${r.breakGlass.who} ` +
          `(breakGlass.who)${r.decision === 'denied' ? ', and the policy denies above' : ''}`,
    ]);
  }
  if (r.alsoMatching.length) rows.push(['also matching', [...r.alsoMatching.map((m) => `${m} (less specific, does not apply)`)]]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((line, i) => `  ${(i === 0 ? k : '').padEnd(width)}  ${line}`));
  return `jitgate explain: ${r.action} on ${r.resource === '*' ? '* (any resource)' : r.resource}  (${configName})\n${lines.join('\n')}\n`;
}
