/**
 * `npm start`: local mode on http://127.0.0.1:4000 (env PORT). Prints what it
 * started and how to try it; Ctrl-C stops everything.
 */
import { ConfigError } from '../shared/domain/errors';
import { locateConfig } from '../shared/config/config-file';
import { requirementsOf } from '../shared/domain/policy';
import { describeCondition } from '../shared/domain/condition-text';
import type { Config } from '../shared/config/config';
import { PortInUse } from './port-check';
import { startLocal } from './server';
import type { AttachedDynamoDb } from './dynamodb-local';
import { describeConfigChoice } from './setup';

function policySummary(config: Config): string[] {
  const width = Math.min(32, Math.max(...config.policies.map((p) => p.action.length + (p.resource ? p.resource.length + 1 : 0))));
  const lines = config.policies.flatMap((p) => {
    const r = requirementsOf(p);
    const groups = r.approvals.map((a) => `${a.required} ${a.group}`).join(' + ');
    const approvals =
      p.autoApprove === true
        ? 'auto-approved'
        : typeof p.autoApprove === 'object'
          ? `auto if ${describeCondition(p.autoApprove)}, else ${groups}`
          : groups;
    const mfa = typeof r.mfa === 'string' ? (r.mfa === 'none' ? 'no MFA' : 'MFA totp') : 'MFA step-up';
    const grant = r.grant.mode === 'once' ? `once ≤${short(r.grant.useWithinSeconds)}` : `window ≤${short(r.grant.maxDurationSeconds)}`;
    const { required, minLength } = p.justification;
    const why = required ? `justification${minLength ? ` ≥${minLength}` : ''}` : minLength ? `justification ≥${minLength} if given` : '';
    const ticket = p.ticket ? `ticket${p.ticket.required ? '' : ' (optional)'}${p.ticket.pattern ? ` ${p.ticket.pattern}` : ''}` : '';
    const glass = p.breakGlass ? `break-glass ≤${short(p.breakGlass.maxDuration)} → ${p.breakGlass.notify}` : '';
    const line =
      `  ${(p.action + (p.resource ? ` ${p.resource}` : '')).padEnd(width)}  ` +
      `${[approvals, mfa, grant, why, ticket, glass].filter(Boolean).join('; ')}`;
    const who = [
      p.requesters && `only if ${describeCondition(p.requesters)}`,
      p.deny.length && `deny: ${p.deny.map((d) => d.reason).join('; ')}`,
    ]
      .filter(Boolean)
      .join('; ');
    return who ? [line, `  ${''.padEnd(width)}  ${who}`] : [line];
  });
  return [...lines, `  ${'anything else'.padEnd(width)}  denied`];
}

/** 300 → 5m, 1800 → 30m, 28800 → 8h. */
function short(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/**
 * JITGATE_DYNAMODB_ENDPOINT and JITGATE_DYNAMODB_TABLE: use a DynamoDB Local that is already running, with a table
 * of this local mode's own (several local modes share one JVM: the test suite does).
 */
function attachFromEnv(env: NodeJS.ProcessEnv): AttachedDynamoDb | undefined {
  const endpoint = env.JITGATE_DYNAMODB_ENDPOINT;
  const table = env.JITGATE_DYNAMODB_TABLE;
  if (endpoint === undefined && table === undefined) return undefined;
  if (!endpoint || !table) {
    throw new ConfigError('set both JITGATE_DYNAMODB_ENDPOINT and JITGATE_DYNAMODB_TABLE to use a running DynamoDB Local, or neither');
  }
  return { endpoint, table };
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`PORT must be a port number, got "${process.env.PORT}"`);
  // Yours when there is one (JITGATE_CONFIG, or ./jitgate.config.json); the demo otherwise.
  const config = locateConfig({ cwd: process.cwd(), env: process.env, demo: true });
  const local = await startLocal({
    port,
    dataDir: process.env.JITGATE_DATA_DIR ?? '.jitgate',
    configPath: config,
    inMemory: process.env.JITGATE_IN_MEMORY === '1',
    dynamodb: attachFromEnv(process.env),
    log: (line) => console.log(line),
  });
  const u = local.url;
  console.log(
    [
      `jitgate local mode is running on ${u}  (started in ${local.startupMs.total} ms)`,
      '',
      `  config            ${describeConfigChoice(config, process.cwd())}`,
      local.config.consoleSignIn
        ? `  console           ${u}/   (sign in as any demo user: requests, inbox, audit, policies)`
        : '  console           off: the config has no "consoleSignIn" (docs/console.md)',
      `  API               ${u}/v1/...   (OpenAPI: ${u}/openapi.json, health: ${u}/health)`,
      `  DynamoDB Local    ${local.dynamodb.endpoint}  (table ${local.tableName}, ` +
        (process.env.JITGATE_DYNAMODB_ENDPOINT ? 'kept by whoever started it)' : `data in ${process.env.JITGATE_DATA_DIR ?? '.jitgate'}/)`),
      `  state machine     synthesized definition, run by aws-local-stepfunctions (${local.resumed} execution(s) resumed)`,
      `  OpenID provider   ${u}/dev/idp   (users: alice bob carol dave erin audrey)`,
      `  outbox            ${u}/dev/outbox.html  (JSON: ${u}/dev/outbox)`,
      '',
      'Policies (the most specific match decides; then deny rules, requesters, autoApprove; `npx jitgate explain` for one user):',
      ...policySummary(local.config),
      '',
      'Try it (in another terminal):',
      '  npx jitgate request prod:debug --resource cluster/eu-1 --duration 10m --justification "incident 7" --as alice',
      '  npx jitgate list --inbox --as bob        # then: npx jitgate approve <id> --as bob',
      `  # or open bob's approval link, printed below and listed at ${u}/dev/outbox.html, or ${u}/ as bob`,
      '  npx jitgate watch <id> --as alice        # each step, until the grant ends',
      '  npx jitgate --help                       # every command; the HTTP API is in /openapi.json',
      '',
    ].join('\n'),
  );
  const stop = async () => {
    console.log('stopping...');
    await local.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: Error) => {
  if (err instanceof ConfigError || err.name === 'DynamoDbLocalError' || /config file|not valid JSON/.test(err.message)) {
    console.error(err.message);
  } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    // Taken between the check (local/port-check.ts) and the listen.
    console.error(new PortInUse(Number(process.env.PORT ?? 4000)).message);
  } else {
    console.error(`jitgate local mode failed to start: ${err.stack ?? err.message}`);
  }
  process.exit(1);
});
