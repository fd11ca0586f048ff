/**
 * `npm start`: local mode on http://127.0.0.1:4000 (env PORT). Prints what it
 * started and how to try it; Ctrl-C stops everything.
 */
import { ConfigError } from '../shared/errors';
import { requirementsOf } from '../shared/policy';
import type { Config } from '../shared/config';
import { startLocal } from './server';

function policySummary(config: Config): string[] {
  return config.policies.map((p) => {
    const r = requirementsOf(p);
    const approvals = p.autoApprove === true ? 'auto-approved' : r.approvals.map((a) => `${a.required} from ${a.group}`).join(' + ') + (p.autoApprove ? ' (auto for some)' : '');
    const mfa = typeof r.mfa === 'string' ? (r.mfa === 'none' ? 'no MFA' : 'MFA totp') : 'MFA step-up';
    const grant = r.grant.mode === 'once' ? `once within ${r.grant.useWithinSeconds}s` : `window ≤ ${r.grant.maxDurationSeconds}s`;
    const deny = p.deny.length ? `, deny: ${p.deny.map((d) => d.reason).join('; ')}` : '';
    return `  ${(p.action + (p.resource ? ` ${p.resource}` : '')).padEnd(22)} ${approvals}; ${mfa}; ${grant}${p.justification.required ? '; justification' : ''}${deny}`;
  });
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`PORT must be a port number, got "${process.env.PORT}"`);
  const local = await startLocal({
    port,
    dataDir: process.env.JITGATE_DATA_DIR ?? '.jitgate',
    configPath: process.env.JITGATE_CONFIG ?? 'jitgate.config.json',
    inMemory: process.env.JITGATE_IN_MEMORY === '1',
    log: (line) => console.log(line),
  });
  const u = local.url;
  console.log(
    [
      `jitgate local mode is running on ${u}  (started in ${local.startupMs.total} ms)`,
      '',
      `  API               ${u}/v1/...   (OpenAPI: ${u}/openapi.json, health: ${u}/health)`,
      `  DynamoDB Local    ${local.dynamodb.endpoint}  (data in ${process.env.JITGATE_DATA_DIR ?? '.jitgate'}/)`,
      `  state machine     synthesized definition, run by aws-local-stepfunctions (${local.resumed} execution(s) resumed)`,
      `  OpenID provider   ${u}/dev/idp   (users: alice bob carol dave erin audrey)`,
      `  outbox            ${u}/dev/outbox.html  (JSON: ${u}/dev/outbox)`,
      '',
      'Policies:',
      ...policySummary(local.config),
      '  anything else          denied',
      '',
      'Try it:',
      `  TOKEN=$(npx jitgate token alice)`,
      `  curl -s -XPOST ${u}/v1/requests -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `       -d '{"action":"prod:debug","resource":"cluster/eu-1","durationSeconds":600}'`,
      `  # bob's approval link is printed below and listed at ${u}/dev/outbox.html`,
      `  curl -s -XPOST ${u}/v1/authorize -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `       -d '{"action":"prod:debug","resource":"cluster/eu-1"}'`,
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
    console.error(`port ${process.env.PORT ?? 4000} is in use; stop the other process or set PORT`);
  } else {
    console.error(`jitgate local mode failed to start: ${err.stack ?? err.message}`);
  }
  process.exit(1);
});
