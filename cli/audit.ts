/**
 * `npx jitgate audit verify|export`: the tamper-evident trail from the command line.
 * Against local mode by default (or `--url`), as an auditor (`--token`, $JITGATE_TOKEN, or
 * `--as <demo user>` signed with the development IdP's keys as `jitgate token` does);
 * `verify --file` checks an export offline with the same verifier the API uses.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chainsFromExport, verifyChains, type ExportLine, type VerifyReport } from '../shared/domain/audit-chain';
import { EXIT, parseOptions, UsageError, type CliIo, type Command } from './command';
import { JitgateError, type JitgateClient } from '../client';
import { CannotReach, connect, type ConnectionOptions } from './connection';
import { describeApiError } from './output';

const HELP = `Usage: jitgate audit verify [--since <time>] [--file <export.jsonl>] [connection]
       jitgate audit export [--since <time>] [--format jsonl] [--out <file>] [connection]

verify   walks every audit chain and reports the first broken link (an edited,
         deleted, inserted or reordered event) with its id. Exit 0: intact; 1: broken.
         --file checks an export offline (no server, no token).
export   writes the chains as JSON lines (each head, then its events with their
         hashes), so a copy kept elsewhere can be verified later with --file.

Options:
  --since <time>    requests created (and journal events recorded) at or after this ISO time
  --file <path>     verify this export instead of the live trail
  --format jsonl    the export format (the only one)
  --out <path>      write the export to this file instead of stdout

Connection (as for the request verbs; default: local mode at http://127.0.0.1:$PORT or :4000):
  --url <url>       the jitgate API (or $JITGATE_URL)
  --token <jwt>     an auditor's token (or $JITGATE_TOKEN)
  --as <user>       a demo user, signed by local mode's development IdP (e.g. --as audrey)
`;

export const auditCommand: Command = {
  summary: 'verify the tamper-evident audit trail, or export it for offline verification',
  help: HELP,
  run: auditCommandRun,
};

async function auditCommandRun(args: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== 'verify' && verb !== 'export')
    throw new UsageError(verb ? `unknown audit command "${verb}"; use verify or export` : 'say verify or export');
  const { values } = parseOptions({
    args: rest,
    strict: true,
    options: {
      since: { type: 'string' },
      file: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      as: { type: 'string' },
    },
  });
  if (values.since !== undefined && Number.isNaN(Date.parse(values.since)))
    throw new UsageError(`--since takes an ISO time such as 2026-01-31T00:00:00Z (got "${values.since}")`);
  const since = values.since === undefined ? undefined : new Date(values.since).toISOString();
  const query = since ? { since } : {};
  if (verb === 'export') {
    if (values.file) throw new UsageError('--file is for verify; export reads the live trail');
    if (values.format !== undefined && values.format !== 'jsonl')
      throw new UsageError(`--format: only jsonl is supported (got "${values.format}")`);
    const body = await fromApi(io, values, '/v1/audit/export', (client) => client.exportAudit(query));
    if (values.out) {
      writeFileSync(path.resolve(io.cwd, values.out), body);
      io.stderr.write(`wrote ${body ? body.trimEnd().split('\n').length : 0} line(s) to ${values.out}\n`);
    } else io.stdout.write(body);
    return EXIT.ok;
  }
  if (values.format !== undefined || values.out !== undefined) throw new UsageError('--format and --out are for export');
  let report: VerifyReport;
  if (values.file) {
    if (values.url || values.token || values.as) throw new UsageError('--file verifies offline; leave out --url, --token and --as');
    report = verifyFile(path.resolve(io.cwd, values.file), since);
  } else {
    report = await fromApi(io, values, '/v1/audit/verify', (client) => client.verifyAudit(query));
  }
  io.stdout.write(`${JSON.stringify(report)}\n`);
  if (report.ok) io.stderr.write(`intact: ${report.checked} event(s) on ${report.chains} chain(s)\n`);
  else {
    const broken = report.firstBroken!;
    io.stderr.write(`BROKEN at ${broken.id} (request ${broken.requestId}): ${broken.reason}; ${broken.detail}\n`);
  }
  return report.ok ? EXIT.ok : EXIT.failed;
}

/** An export read back: each line must be a head or an event, or the file is refused with its line number. */
export function verifyFile(file: string, since?: string): VerifyReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const lines: ExportLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (!raw.trim()) return;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      throw new UsageError(`${path.basename(file)} line ${i + 1} is not JSON; pass a file written by "jitgate audit export"`);
    }
    const kind = (line as { kind?: unknown })?.kind;
    if (kind !== 'head' && kind !== 'event')
      throw new UsageError(
        `${path.basename(file)} line ${i + 1} is neither a head nor an event; pass a file written by "jitgate audit export"`,
      );
    lines.push(line as ExportLine);
  });
  const chains = chainsFromExport(lines);
  return verifyChains(since ? chains.filter((c) => (c.events[0]?.at ?? '') >= since) : chains);
}

/**
 * The live trail through the typed client. A refusal or no answer is one line naming the route and
 * the fix; cli.ts prints it and exits 1, as for a broken chain.
 */
async function fromApi<T>(io: CliIo, values: ConnectionOptions, route: string, call: (client: JitgateClient) => Promise<T>): Promise<T> {
  try {
    return await call(connect(io, values));
  } catch (err) {
    if (err instanceof JitgateError) {
      const auditor =
        err.status === 401 || err.status === 403 ? " (an auditor's token is needed: --token, $JITGATE_TOKEN or --as audrey)" : '';
      throw new Error(`${route} answered ${err.status}: ${describeApiError(err, { asUser: values.as })}${auditor}`);
    }
    if (err instanceof CannotReach) throw new Error(err.message);
    throw err;
  }
}
