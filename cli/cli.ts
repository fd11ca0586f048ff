/**
 * `npx jitgate <command>`: a small command table, so a new command is one entry.
 * Each command returns its exit code: 0 ok, 1 failed, 2 usage error (3 where a command
 * has an answer scripts branch on; docs/cli.md, "Exit status"). Results go to
 * stdout alone (a token can be captured with `$(npx jitgate token alice)`);
 * messages go to stderr.
 */
import path from 'node:path';
import { ConfigError } from '../shared/domain/errors';
import { DEMO_USERS, describeDemoUsers } from '../local/demo-users';
import { auditCommand } from './audit';
import { explainCommand } from './explain';
import { initCommand } from './init';
import { createDevTokenSigner, UnknownDemoUser } from '../local/idp';
import { subscriptionsCommand } from './subscriptions';
import { duration, EXIT, parseOptions, UsageError, type CliIo, type Command } from './command';
import { developmentIssuer } from './development-issuer';
import { requestCommands } from './requests';
import { didYouMean } from './suggest';

export { EXIT, UsageError, type CliIo, type Command } from './command';

export const commands: Record<string, Command> = {
  token: {
    summary: 'print a signed development token for a demo user',
    help: `Usage: jitgate token <user> [--claim name=json]... [--amr mfa] [--acr X] [--ttl 3600] [--aud jitgate] [--auth-age 0] [--access]

Prints a token signed by local mode's development IdP for a demo user. Works
without the local server running: the signing keys are read from (or created in)
.jitgate/idp-keys.json (or $JITGATE_DATA_DIR/idp-keys.json), and the issuer is the
development issuer of $JITGATE_CONFIG, or ./jitgate.config.json, or the demo config
when there is none, its port replaced by $PORT when set: the same keys and issuer
\`npm start\` uses.

Options:
  --amr <value>       authentication methods, repeated or comma-separated (e.g. --amr pwd,mfa)
  --acr <value>       authentication context class
  --ttl <duration>    lifetime: seconds or 90s, 30m, 8h, 2d (default 1h)
  --aud <audience>    audience (default jitgate)
  --auth-age <dur>    how long ago the user signed in: auth_time = now - dur (default 0)
  --access            an access token (RFC 9068: typ at+jwt, token_use access) instead of an ID token
  --claim <name=json> set a claim, the value as JSON; repeat for more. Replaces the user's
                      own value (sub too: --claim sub='"mallory"' is someone else)

Step-up: prod:deploy in the demo config wants a fresh sign-in with MFA
(amr mfa, auth_time within 15 minutes): jitgate token alice --amr mfa

Claim variants, to see what policies make of them:
  jitgate token dave --claim employment='"Contractor"'
  jitgate token erin --claim groups='"Friends of security-admins"' --claim sub='"mallory"'
  jitgate token dave --claim employment='["contractor","temp"]'

Demo users:
${describeDemoUsers(DEMO_USERS)}
`,
    run: tokenCommand,
  },
  init: initCommand,
  explain: explainCommand,
  subscriptions: subscriptionsCommand,
  audit: auditCommand,
};
// The verbs for people (cli/requests.ts), looked up when called: that module imports this one.
for (const name of ['request', 'status', 'list', 'approve', 'deny', 'cancel', 'revoke', 'extend', 'mfa', 'watch']) {
  Object.defineProperty(commands, name, { get: () => requestCommands[name], enumerable: true });
}

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const list = Object.entries(commands)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join('\n');
  return `Usage: jitgate <command> [options]\n\nCommands:\n${list}\n\nRun "jitgate <command> --help" for a command's options.\n`;
}

export async function main(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env, ...io };
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? full.stderr : full.stdout).write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    const hint = didYouMean(name, Object.keys(commands));
    full.stderr.write(`jitgate: unknown command "${name}"${hint}\nRun "jitgate --help" for the commands.\n`);
    return EXIT.usage;
  }
  if (args.includes('--help') || args.includes('-h')) {
    full.stdout.write(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(args, full);
  } catch (err) {
    if (err instanceof UsageError) {
      full.stderr.write(`jitgate ${name}: ${err.message}\n\n${command.help}`);
      return EXIT.usage;
    }
    if (err instanceof UnknownDemoUser) {
      full.stderr.write(`jitgate ${name}: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      full.stderr.write(`jitgate ${name}: ${err.message}\n`);
      return EXIT.failed;
    }
    full.stderr.write(`jitgate ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
}

async function tokenCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseOptions({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      amr: { type: 'string', multiple: true },
      acr: { type: 'string' },
      ttl: { type: 'string' },
      aud: { type: 'string' },
      'auth-age': { type: 'string' },
      access: { type: 'boolean' },
      claim: { type: 'string', multiple: true },
    },
  });
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw new UsageError(positionals.length === 0 ? 'name a demo user' : `one user at a time (got ${positionals.join(' ')})`);
  const user = positionals[0] as string;
  const ttl = values.ttl === undefined ? 3600 : duration('--ttl', values.ttl);
  const authAge = values['auth-age'] === undefined ? 0 : duration('--auth-age', values['auth-age'], true);
  const amr = values.amr
    ?.flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  const extraClaims = claimOptions(values.claim ?? []);

  const issuer = developmentIssuer(io);
  // Same data dir as `npm start` (local/main.ts): $JITGATE_DATA_DIR or ./.jitgate.
  const signer = await createDevTokenSigner({ issuer, dataDir: path.resolve(io.cwd, io.env.JITGATE_DATA_DIR || '.jitgate') });
  const token = await signer.signToken(user, {
    expiresIn: ttl,
    tokenUse: values.access ? 'access' : 'id',
    authTime: Math.floor(Date.now() / 1000) - authAge,
    ...(values.aud ? { audience: values.aud } : {}),
    ...(amr?.length ? { amr } : {}),
    ...(values.acr ? { acr: values.acr } : {}),
    ...(Object.keys(extraClaims).length ? { extraClaims } : {}),
  });
  io.stdout.write(`${token}\n`);
  return EXIT.ok;
}

/** `--claim name=json`, each once: the value is JSON, so a list, a number or a string with spaces says exactly what the token carries. */
function claimOptions(options: string[]): Record<string, unknown> {
  const claims: [string, unknown][] = [];
  for (const option of options) {
    const eq = option.indexOf('=');
    const name = eq < 0 ? option : option.slice(0, eq);
    if (eq <= 0)
      throw new UsageError(
        `--claim takes name=json, such as --claim employment='"contractor"' or --claim groups='["a","b"]' (got "${option}")`,
      );
    if (name === '__proto__' || name === 'constructor' || name === 'prototype') throw new UsageError(`--claim ${name}: not a claim name`);
    if (claims.some(([n]) => n === name))
      throw new UsageError(`--claim ${name} is given twice; give each claim once (a list is one JSON value: --claim ${name}='["a","b"]')`);
    const text = option.slice(eq + 1);
    try {
      claims.push([name, JSON.parse(text)]);
    } catch {
      throw new UsageError(
        `--claim ${name}: the value is JSON, and ${JSON.stringify(text)} is not; quote a string for the shell and for JSON: ` +
          `--claim ${name}='${JSON.stringify(text)}'`,
      );
    }
  }
  return Object.fromEntries(claims);
}
