/**
 * `npx jitgate explain --user <demo-user|token|claims> --action A [--resource R]`:
 * what the config says for one caller, action and resource, offline. The same
 * evaluation as POST /v1/requests and POST /v1/authorize (shared/domain/policy.ts), for
 * reviewing a policy change before deploying it.
 *
 * Exit status: 0 the caller can get it (auto-approved, or by request), 3 denied,
 * 2 usage error, 1 the config is not valid.
 */
import path from 'node:path';
import type { Config, IssuerConfig } from '../shared/config/config';
import { ConfigFileMissing, locateConfig, readConfigFile, type ConfigLocation } from '../shared/config/config-file';
import { explainFor, type Caller, type Explanation } from '../shared/domain/explain';
import { toPrincipal } from '../shared/domain/identity';
import { resourceProblem } from '../shared/domain/resource';
import { describeMfa } from '../shared/domain/request-checks';
import { EXIT, parseOptions, UsageError, type CliIo, type Command } from './command';
import { DEMO_USERS, demoUserClaims, findDemoUser } from '../local/demo-users';
import { UnknownDemoUser } from '../local/idp';

/** Exit status for a denied decision: distinct from usage (2) and failure (1), so scripts can tell "no" from "broken". */
export const EXIT_DENIED = 3;

export const explainCommand: Command = {
  summary: 'explain what a policy decides for a user, action and resource (offline)',
  help: `Usage: jitgate explain --user <user> --action <action> [--resource <resource>] [--config <file>] [--json]

Evaluates --config, or $JITGATE_CONFIG, or ./jitgate.config.json (the demo config
when there is none, as npm start runs it) for one caller,
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
  --config <file>        the config file to evaluate (default $JITGATE_CONFIG, ./jitgate.config.json, the demo)
  --json                 print the result as JSON

Exit status: 0 the caller can get it (auto-approved, or by request), 3 denied by
policy, 2 usage error, 1 the config is not valid.
`,
  run: explain,
};

async function explain(args: string[], io: CliIo): Promise<number> {
  const parsed = parseOptions({
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
  const { values } = parsed;
  if (!values.user) throw new UsageError('name the caller with --user <demo user, token or claims JSON>');
  if (!values.action) throw new UsageError('name the action with --action <action>, e.g. --action projects:delete');
  if (!/^[A-Za-z0-9_.:/-]+$/.test(values.action))
    throw new UsageError(`--action takes letters, digits and : . _ - / (got "${values.action}")`);
  const resource = values.resource ?? '*';
  if (resource.length === 0) throw new UsageError('--resource is empty; leave it out for any resource');
  const problem = resourceProblem(resource);
  if (problem) throw new UsageError(`--resource ${JSON.stringify(resource.slice(0, 80))} is not a valid resource: ${problem}`);

  const location = locateConfig({ cwd: io.cwd, env: io.env, flag: values.config, demo: true });
  const file = location.file;
  const config = loadConfig(location);
  const caller = resolveCaller(config, values.user, io);
  const result = explainFor(config, caller, values.action, resource);
  io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : render(result, path.relative(io.cwd, file) || file));
  return result.decision === 'denied' ? EXIT_DENIED : EXIT.ok;
}

/** A missing file is a usage error here: only --config or JITGATE_CONFIG can name one (without either, the demo runs). */
function loadConfig(location: ConfigLocation): Config {
  try {
    return readConfigFile(location, 'deploy');
  } catch (err) {
    if (err instanceof ConfigFileMissing) throw new UsageError(err.message);
    throw err;
  }
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
