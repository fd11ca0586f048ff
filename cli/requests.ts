/**
 * The verbs for people: ask for an action, follow it, decide on others' requests.
 *
 *   npx jitgate request prod:debug --resource cluster/eu-1 --as alice --wait
 *   npx jitgate approve <id> --as bob
 *
 * Each verb is one call of the typed client (client/index.ts), printed for a person, or as
 * the API's JSON with `--json`. Exit 0 done, 1 the API refused (its problem document in one
 * or two lines), 2 a usage error (one line, the nearest option or command, the pointer to --help).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { JitgateError, type JitgateClient, type Request } from '../client';
import { TERMINAL } from '../shared/domain/request';
import { duration, EXIT, UsageError, type CliIo, type Command } from './command';
import { CannotReach, connect, type ConnectionOptions } from './connection';
import { describeApiError, describeRequest, requestRow, statusLine, styleFor, subject, type Style } from './output';
import { follow } from './watch';
import { didYouMean } from './suggest';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

interface Context {
  io: CliIo;
  values: Values;
  /** The positionals, as many as the verb names. */
  args: string[];
  client: JitgateClient;
  style: Style;
  json: boolean;
  out(text: string): void;
  /** Progress and hints: stderr, so stdout stays the result. */
  say(text: string): void;
}

interface Verb {
  summary: string;
  /** `<id>`, `<action>`, ...: required positionals, in order. */
  positionals: string[];
  options: Options;
  /** The lines of help between the usage line and the connection options. */
  details: string;
  run(ctx: Context): Promise<number>;
}

const CONNECTION: Options = {
  url: { type: 'string' },
  token: { type: 'string' },
  as: { type: 'string' },
  json: { type: 'boolean' },
};

const CONNECTION_HELP = `Connection (default: local mode at http://127.0.0.1:$PORT, or :4000):
  --url <url>       the jitgate API (or $JITGATE_URL)
  --token <jwt>     your token from your IdP (or $JITGATE_TOKEN)
  --as <user>       local mode: a demo user, signed by the development IdP (alice, bob, carol, ...)
  --json            print the API's JSON instead of text

Exit status: 0 done, 1 the API refused (its reason is printed), 2 a usage error.
`;

function command(name: string, verb: Verb): Command {
  const usage = [...verb.positionals, Object.keys(verb.options).length ? '[options]' : '', '[connection]'].filter(Boolean).join(' ');
  const help = `Usage: jitgate ${name} ${usage}\n\n${verb.details}\n${CONNECTION_HELP}`;
  return { summary: verb.summary, help, run: (args, io) => runVerb(name, verb, args, io) };
}

async function runVerb(name: string, verb: Verb, argv: string[], io: CliIo): Promise<number> {
  const options = { ...verb.options, ...CONNECTION };
  const pointer = `Run "jitgate ${name} --help" for usage.\n`;
  let ctx: Context;
  try {
    const { values, positionals } = parse(argv, options);
    const missing = verb.positionals[positionals.length];
    if (missing) throw new UsageError(`name the ${missing.replace(/[<>]/g, '')}: jitgate ${name} ${verb.positionals.join(' ')}`);
    if (positionals.length > verb.positionals.length) {
      throw new UsageError(`unexpected "${positionals[verb.positionals.length]}"; one ${verb.positionals.join(' ')} at a time`);
    }
    const style = styleFor(io);
    const json = values.json === true;
    ctx = {
      io,
      values,
      args: positionals,
      style,
      json,
      client: connect(io, values as ConnectionOptions),
      out: (text) => io.stdout.write(text),
      say: (text) => io.stderr.write(text),
    };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`jitgate ${name}: ${err.message}\n${pointer}`);
    return EXIT.usage;
  }
  try {
    return await verb.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`jitgate ${name}: ${err.message}\n${pointer}`);
      return EXIT.usage;
    }
    if (err instanceof JitgateError) {
      if (ctx.json) io.stdout.write(`${JSON.stringify(err.problem)}\n`);
      io.stderr.write(`jitgate ${name}: ${describeApiError(err, { asUser: ctx.values.as as string | undefined })}\n`);
      return EXIT.failed;
    }
    if (err instanceof CannotReach) {
      io.stderr.write(`jitgate ${name}: ${err.message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
}

/** parseArgs, its messages turned into one line that names the nearest known option. */
function parse(args: string[], options: Options): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (err) {
    const message = (err as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
    if (unknown) {
      const names = Object.keys(options).map((o) => `--${o}`);
      throw new UsageError(`unknown option ${unknown}${didYouMean(unknown, names, (s) => s)}`);
    }
    throw new UsageError(message.split('. ')[0]!.replace(/\.$/, ''));
  }
}

function printRequest(ctx: Context, request: Request, what: string): void {
  if (ctx.json) ctx.out(`${JSON.stringify(request)}\n`);
  else ctx.out(`${what} ${ctx.style.bold(request.id)}: ${subject(request)}, ${statusLine(request, ctx.style)}\n`);
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

const request: Verb = {
  summary: 'ask for a sensitive action; --wait follows it until it is active or ends',
  positionals: ['<action>'],
  options: {
    resource: { type: 'string' },
    justification: { type: 'string' },
    duration: { type: 'string' },
    ticket: { type: 'string' },
    'break-glass': { type: 'boolean' },
    wait: { type: 'boolean' },
  },
  details: `Asks for <action> (on --resource). The policy decides what it takes: "jitgate explain" or
GET /v1/policies says. Prints the request's id and what it waits for.

Options:
  --resource <name>       what the action is on, e.g. projects/42 (default: any)
  --justification <text>  why; some policies require one
  --duration <dur>        how long a window grant should last: 90s, 30m, 8h (up to the policy's maximum)
  --ticket <ref>          a change or incident ticket, where the policy asks for one (INC-123)
  --break-glass           an emergency self-grant where the policy allows it (needs a justification)
  --wait                  print each step until the grant is active (exit 0) or the request ends (exit 1)

Example: jitgate request prod:debug --resource cluster/eu-1 --duration 10m --as alice --wait
`,
  async run(ctx) {
    const { values } = ctx;
    const created = await ctx.client.createRequest({
      action: ctx.args[0]!,
      ...(str(values.resource) !== undefined ? { resource: str(values.resource) } : {}),
      ...(str(values.justification) !== undefined ? { justification: str(values.justification) } : {}),
      ...(str(values.ticket) !== undefined ? { ticket: str(values.ticket) } : {}),
      ...(str(values.duration) !== undefined ? { durationSeconds: duration('--duration', str(values.duration)!) } : {}),
      ...(values['break-glass'] ? { breakGlass: true } : {}),
    });
    if (!values.wait) {
      printRequest(ctx, created, 'created');
      if (!ctx.json) ctx.say(nextStep(created));
      return EXIT.ok;
    }
    const last = await follow({ ...ctx, stepsOnStderr: true }, created, (r) => r.status === 'active' || TERMINAL.includes(r.status));
    if (ctx.json) ctx.out(`${JSON.stringify(last)}\n`);
    else ctx.out(`${ctx.style.bold(last.id)}: ${statusLine(last, ctx.style)}\n`);
    return last.status === 'active' ? EXIT.ok : EXIT.failed;
  },
};

/** What the requester can do next, as a command. */
function nextStep(r: Request): string {
  if (r.status === 'pending_mfa') return `answer the MFA challenge: jitgate mfa ${r.id} <code from your authenticator>\n`;
  if (r.status === 'pending_approval') return `follow it: jitgate watch ${r.id}\n`;
  return '';
}

const status: Verb = {
  summary: 'show a request: where it stands, who was notified, who decided',
  positionals: ['<id>'],
  options: {},
  details: 'Shows the request: its status, what it still waits for, whom jitgate notified, the decisions so far.\n',
  async run(ctx) {
    const r = await ctx.client.getRequest(ctx.args[0]!);
    ctx.out(ctx.json ? `${JSON.stringify(r)}\n` : describeRequest(r, ctx.style));
    return EXIT.ok;
  },
};

const list: Verb = {
  summary: 'list your requests (--mine, --pending) or those waiting for your decision (--inbox)',
  positionals: [],
  options: { mine: { type: 'boolean' }, pending: { type: 'boolean' }, inbox: { type: 'boolean' }, limit: { type: 'string' } },
  details: `Lists requests, newest first, one a line.

Options:
  --mine          your own requests (the default)
  --pending       your own requests still waiting for MFA or approval
  --inbox         the requests you may decide on now (as an approver)
  --limit <n>     at most n requests (default 20)
`,
  async run(ctx) {
    const { values } = ctx;
    const chosen = ['mine', 'pending', 'inbox'].filter((k) => values[k]);
    if (chosen.length > 1) throw new UsageError(`--${chosen.join(' and --')}: choose one`);
    const limitText = str(values.limit) ?? '20';
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1) throw new UsageError(`--limit takes a positive number (got "${limitText}")`);
    const limit = Number(limitText);
    const role = values.inbox ? 'approver' : 'requester';
    const statuses = values.pending ? (['pending_mfa', 'pending_approval'] as const) : [undefined];
    const found: Request[] = [];
    for (const s of statuses) {
      for await (const page of ctx.client.listRequests({ role, ...(s ? { status: s } : {}), limit: Math.min(limit, 100) })) {
        found.push(...page.requests);
        if (found.length >= limit * statuses.length) break;
      }
    }
    const requests = found.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit);
    if (ctx.json) ctx.out(`${JSON.stringify({ requests })}\n`);
    else if (requests.length === 0) ctx.say(values.inbox ? 'nothing waits for your decision\n' : 'no requests\n');
    else ctx.out(requests.map((r) => `${requestRow(r, ctx.style)}\n`).join(''));
    return EXIT.ok;
  },
};

const approve: Verb = {
  summary: 'approve a request you are an approver for',
  positionals: ['<id>'],
  options: { reason: { type: 'string' } },
  details: `Approves the request (you must be one of its approvers, and not its requester).

Options:
  --reason <text>   recorded with your decision and shown to the requester
`,
  async run(ctx) {
    printRequest(ctx, await ctx.client.decide(ctx.args[0]!, 'approve', str(ctx.values.reason)), 'approved');
    return EXIT.ok;
  },
};

const deny: Verb = {
  summary: 'deny a request you are an approver for, saying why',
  positionals: ['<id>'],
  options: { reason: { type: 'string' } },
  details: `Denies the request. The requester is told the reason.

Options:
  --reason <text>   required: why
`,
  async run(ctx) {
    const reason = str(ctx.values.reason);
    if (!reason?.trim()) throw new UsageError('--reason is required: tell the requester why');
    printRequest(ctx, await ctx.client.decide(ctx.args[0]!, 'deny', reason), 'denied');
    return EXIT.ok;
  },
};

const cancel: Verb = {
  summary: 'cancel your own request while it is pending',
  positionals: ['<id>'],
  options: {},
  details: "Cancels your pending request; approvers' links stop working.\n",
  async run(ctx) {
    printRequest(ctx, await ctx.client.cancel(ctx.args[0]!), 'cancelled');
    return EXIT.ok;
  },
};

const revoke: Verb = {
  summary: "end an active grant now (yours, or anyone's as an admin)",
  positionals: ['<id>'],
  options: { reason: { type: 'string' } },
  details: `Ends the active grant now.

Options:
  --reason <text>   recorded in the audit trail
`,
  async run(ctx) {
    printRequest(ctx, await ctx.client.revoke(ctx.args[0]!, str(ctx.values.reason)), 'revoked');
    return EXIT.ok;
  },
};

const extend: Verb = {
  summary: 'ask for more time on your active window grant (approved like the grant was)',
  positionals: ['<id>'],
  options: { duration: { type: 'string' }, justification: { type: 'string' } },
  details: `Asks for more time on your active window grant <id>: an extension request that goes through
the same policy (approvals, MFA); once approved, the grant ends later by --duration, with no gap.
The grant's whole length, from its activation, stays within the policy's maximum; past it the
API says how much is left.

Options:
  --duration <dur>        how much more: 90s, 15m, 1h (required)
  --justification <text>  why, shown to approvers

Example: jitgate extend <id> --duration 15m --justification "the migration needs longer" --as alice
`,
  async run(ctx) {
    const more = str(ctx.values.duration);
    if (more === undefined) throw new UsageError('say how much more time: --duration 15m');
    const justification = str(ctx.values.justification);
    const extension = await ctx.client.extend(ctx.args[0]!, {
      durationSeconds: duration('--duration', more),
      ...(justification !== undefined ? { justification } : {}),
    });
    printRequest(ctx, extension, 'asked');
    return EXIT.ok;
  },
};

const mfa: Verb = {
  summary: "answer a request's MFA challenge with a code from your authenticator",
  positionals: ['<id>', '<code>'],
  options: {},
  details: 'Answers the TOTP challenge of your request with the six-digit code your authenticator shows.\n',
  async run(ctx) {
    printRequest(ctx, await ctx.client.answerMfa(ctx.args[0]!, ctx.args[1]!), 'answered');
    return EXIT.ok;
  },
};

const watch: Verb = {
  summary: 'print each step of a request as it happens, until it ends',
  positionals: ['<id>'],
  options: {},
  details: `Prints each step as it happens: created, waiting for MFA, whom jitgate notified, each
approval or denial, active until when, and how it ended (expired, revoked, consumed, denied,
cancelled, timed out). Exits 0 when the request ends. With --json, one JSON line per change.
`,
  async run(ctx) {
    await follow({ ...ctx, stepsOnStderr: false }, await ctx.client.getRequest(ctx.args[0]!), (r) => TERMINAL.includes(r.status));
    return EXIT.ok;
  },
};

export const requestCommands: Record<string, Command> = {
  request: command('request', request),
  status: command('status', status),
  list: command('list', list),
  approve: command('approve', approve),
  deny: command('deny', deny),
  cancel: command('cancel', cancel),
  revoke: command('revoke', revoke),
  extend: command('extend', extend),
  mfa: command('mfa', mfa),
  watch: command('watch', watch),
};
