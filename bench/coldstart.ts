/**
 * 8. Cold start: each function's bundle, built with exactly the deployed esbuild options
 * (read from infra/functions.ts as section 1 reads them), imported and invoked once in a
 * fresh `node` process against local mode's DynamoDB Local: module import plus first
 * invocation, which is what a Lambda cold start adds to node's own boot. Each function
 * also with the AWS SDK bundled in, and a minimal bundle doing one DynamoDB GetItem with
 * the same bundling as the baseline. Runs round-robin, so every variant sees the same noise.
 *
 * "SDK external": @aws-sdk/* resolves from node_modules, as the nodejs22.x runtime
 * provides it (unminified, many files). "SDK bundled": inside the one minified file.
 *
 * Two departures from AWS, both needed to run the real path locally: the config inlined
 * is local mode's (the deployed one drops the development issuer, and every token would
 * get 401 before any DynamoDB read), checked under local mode's rules (JITGATE_CONFIG_MODE
 * inlined as `local`, as `npm start` does) so it may keep its http issuer.
 * The first invocation fetches the issuer's JWKS from local mode's IdP over loopback,
 * where AWS would fetch it from the IdP over the internet.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { ENTRIES, REPO_ROOT, type Entry } from '../infra/functions';
import { buildRouter, toProxyEvent } from '../local/apigateway';
import { lambdaEntries } from '../local/cfn';
import { keys } from '../shared/adapters/keys';
import { principalId } from '../shared/domain/identity';
import { AUTHORIZE_ACTION } from './authorize';
import { captureBundlingOptions, toEsbuildOptions } from './bundles';
import { fmtRatio, median, target, type Row, type SectionResult } from './stats';
import type { BenchLocal } from './support';

const OUT_DIR = path.join(REPO_ROOT, 'bench', '.out-coldstart');
/**
 * Cold starts per bundle. With 5, the ratio moved between 1.34x and 1.72x from one run to the next on an
 * idle machine, one slow start being a fifth of a bundle's samples; with 11, one is less than a tenth
 * (1.46x and 1.67x in two runs: the machine's own noise remains).
 */
const RUNS = 11;
/**
 * More for the two bundles the target compares (authorize and the minimal, both bundlings), still
 * round-robin among them: on the shared two-core machine, 11 starts each gave ratios from 1.27x to
 * 1.39x within an hour, a spread wider than the differences worth measuring.
 */
const TARGET_RUNS = 31;
/** The target: authorize's cold start within this factor of the minimal GetItem bundle, same bundling. */
const AUTHORIZE_VS_MINIMAL = 1.3;
const MINIMAL = 'minimal GetItem';

type Bundling = 'external' | 'bundled';
interface Variant {
  label: string;
  subject: Entry | typeof MINIMAL;
  bundling: Bundling;
  file: string;
  bytes: number;
  event: unknown;
  /** The function's environment in local mode: its template variables, its role's key, the local endpoints. */
  env: NodeJS.ProcessEnv;
}
interface Sample {
  importMs: number;
  invokeMs: number;
  /** CPU time of the whole process (every thread) over the import and the first call: the work, without the waits. */
  cpuMs: number;
  outcome: string;
}

/** Prefixes the loader's figures: the handler's own log and EMF lines share its stdout. */
const MARK = 'jitgate-bench-cold-start:';
const LOADER = `
const MARK = ${JSON.stringify(MARK)};
const c0 = process.cpuUsage();
const t0 = performance.now();
const { handler } = await import(process.env.JITGATE_BENCH_MODULE);
const t1 = performance.now();
const context = {
  functionName: 'cold-start', functionVersion: '$LATEST', awsRequestId: 'cold-start', memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 10000, callbackWaitsForEmptyEventLoop: false,
};
let outcome;
try {
  const result = await handler(JSON.parse(process.env.JITGATE_BENCH_EVENT), context);
  outcome = result && typeof result === 'object' && 'statusCode' in result ? 'HTTP ' + result.statusCode : 'returned';
} catch (err) {
  // Class names are minified; the message says what happened.
  outcome = 'threw: ' + String(err && err.message ? err.message : err).slice(0, 60);
}
const t2 = performance.now();
const cpu = process.cpuUsage(c0);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write('\\n' + MARK + JSON.stringify({ importMs: t1 - t0, invokeMs: t2 - t1, cpuMs, outcome }));
process.exit(0);
`;

/** The environment local mode gives a function's containers (local/lambda/functions.ts), for a child process: nothing of this one's. */
function handlerEnv(bench: BenchLocal, entry: Entry): NodeJS.ProcessEnv {
  const entries = lambdaEntries(bench.local.template);
  const logicalId = Object.keys(entries).find((id) => entries[id] === `functions/${entry}/index.ts`);
  if (!logicalId) throw new Error(`the template has no function for functions/${entry}/index.ts`);
  return { PATH: process.env.PATH, ...bench.local.lambda.environment(logicalId), POWERTOOLS_LOG_LEVEL: 'ERROR' };
}

/**
 * BENCH_COLD_START_PROFILE=<dir>: each cold start also writes a V8 CPU profile there, one folder
 * per variant (open it in Chrome's DevTools), to see where the milliseconds go.
 */
function profileArgs(variant: Variant): string[] {
  const dir = process.env.BENCH_COLD_START_PROFILE;
  if (!dir) return [];
  return ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', path.join(path.resolve(dir), variant.label.replace(/\W+/g, '-'))];
}

function coldStart(variant: Variant): Promise<Sample> {
  const env = variant.env;
  const childEnv = { ...env, JITGATE_BENCH_MODULE: pathToFileURL(variant.file).href, JITGATE_BENCH_EVENT: JSON.stringify(variant.event) };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...profileArgs(variant), '--no-warnings', '--input-type=module', '-e', LOADER],
      { cwd: REPO_ROOT, env: childEnv, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${variant.label}: ${stderr || err.message}`));
        try {
          resolve(JSON.parse(stdout.slice(stdout.lastIndexOf(MARK) + MARK.length)) as Sample);
        } catch {
          reject(new Error(`${variant.label}: unexpected output ${stdout.slice(0, 300)} ${stderr.slice(0, 300)}`));
        }
      },
    );
  });
}

/** One first invocation per function: the real path where one exists, else the cheapest path that still reaches DynamoDB. */
async function events(bench: BenchLocal): Promise<{ byEntry: Record<Entry, unknown>; minimal: { pk: string; sk: string } }> {
  const { local, api } = bench;
  const token = await local.idp.signToken('alice');
  // An active grant for alice (auto-approved), as section 2 makes; a second request for it is refused, which is fine.
  await api.expect([200, 201, 409], 'POST', '/v1/requests', token, { action: AUTHORIZE_ACTION, durationSeconds: 3600 });
  const router = buildRouter(local.template);
  const proxy = (method: string, url: string, body?: unknown) => {
    const pathname = url.split('?')[0]!;
    const match = router.match(method, pathname);
    if (match?.kind !== 'lambda') throw new Error(`no Lambda route for ${method} ${pathname} in the template`);
    const buffer = Buffer.from(body === undefined ? '' : JSON.stringify(body));
    const req = {
      url,
      method,
      rawHeaders: [
        'Host',
        `127.0.0.1:${local.port}`,
        'Authorization',
        `Bearer ${token}`,
        ...(body === undefined ? [] : ['Content-Type', 'application/json', 'Content-Length', String(buffer.length)]),
      ],
      socket: { remoteAddress: '127.0.0.1', localPort: local.port },
    } as unknown as IncomingMessage;
    return toProxyEvent(req, buffer, match, { stage: 'prod', domainName: `127.0.0.1:${local.port}` });
  };
  const issuer = Object.values(local.config.issuers).find((i) => i.development)!;
  const slot = keys.grantSlot(principalId(issuer.issuer, 'alice'), AUTHORIZE_ACTION, '*');
  const none = 'cold-start-no-such-request';
  return {
    byEntry: {
      authorize: proxy('POST', '/v1/authorize', { action: AUTHORIZE_ACTION }),
      api: proxy('GET', '/v1/requests?role=requester'),
      approve: proxy('GET', '/approve/cold-start-forged-link'),
      // No session cookie: the sign-in page, after the runtime and the link key are loaded.
      console: proxy('GET', '/'),
      'mfa-challenge': { requestId: none, taskToken: 'cold-start' },
      'await-approval': { requestId: none, taskToken: 'cold-start', linkBase: `${local.url}/approve/` },
      activate: { requestId: none },
      'end-request': { requestId: none, outcome: 'expired' },
      'execution-ended': {
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: {
          executionArn: `${local.sfn.executionArnFor(none)}`,
          stateMachineArn: 'cold-start',
          name: none,
          status: 'FAILED',
          error: 'States.Runtime',
          cause: 'cold start',
        },
      },
    },
    minimal: { pk: slot.pk, sk: slot.sk },
  };
}

const stats = (xs: number[]) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });
const fmt3 = (xs: number[]) => {
  const s = stats(xs);
  return `${s.min.toFixed(0)}/${s.median.toFixed(0)}/${s.max.toFixed(0)} ms`;
};

export interface ColdStartFigures {
  section: SectionResult;
  /** The bundling whose authorize cold start is faster. */
  faster: Bundling;
}

export async function benchColdStart(bench: BenchLocal, log: (line: string) => void): Promise<ColdStartFigures> {
  // BENCH_ENTRIES=authorize,api for a quicker run; authorize is always measured (the target).
  const picked = process.env.BENCH_ENTRIES?.split(',') ?? ENTRIES;
  const entries = ENTRIES.filter((e) => e === 'authorize' || picked.includes(e));
  const { byEntry, minimal } = await events(bench);
  const { options } = captureBundlingOptions(JSON.stringify(bench.local.config));
  const deployedExternal = (toEsbuildOptions(options.get('authorize')!, new Set()).external ?? []).some((e) => e.startsWith('@aws-sdk'));
  const deployed: Bundling = deployedExternal ? 'external' : 'bundled';

  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const variants: Variant[] = [];
  // Local mode's config (its development issuer at an http URL) is checked under local mode's rules, as `npm start` inlines it.
  const local = (o: BuildOptions): BuildOptions => ({
    ...o,
    define: { ...o.define, 'process.env.JITGATE_CONFIG_MODE': JSON.stringify('local') },
  });
  const add = async (subject: Variant['subject'], bundling: Bundling, base: BuildOptions, event: unknown) => {
    const others = (base.external ?? []).filter((e) => !e.startsWith('@aws-sdk'));
    const result = await build({ ...base, external: bundling === 'external' ? [...others, '@aws-sdk/*'] : others, metafile: false });
    const output = result.outputFiles![0]!;
    const file = path.join(OUT_DIR, `${subject.replace(/[^a-z0-9]+/gi, '-')}-${bundling}.mjs`);
    writeFileSync(file, output.contents);
    variants.push({
      label: `${subject} (SDK ${bundling})`,
      subject,
      bundling,
      file,
      bytes: output.contents.byteLength,
      event,
      env: handlerEnv(bench, subject === MINIMAL ? 'authorize' : subject),
    });
  };
  try {
    for (const entry of entries) {
      const base = local(toEsbuildOptions(options.get(entry)!, new Set()));
      for (const bundling of ['external', 'bundled'] as const) await add(entry, bundling, base, byEntry[entry]);
    }
    // The baseline: the authorize function's options with another entry point.
    const minimalBase = {
      ...local(toEsbuildOptions(options.get('authorize')!, new Set())),
      entryPoints: [path.join(REPO_ROOT, 'bench', 'minimal-getitem.ts')],
    };
    for (const bundling of ['external', 'bundled'] as const) await add(MINIMAL, bundling, minimalBase, minimal);

    log(`  ${variants.length} bundles built; ${RUNS} cold starts each (${TARGET_RUNS} for authorize and the minimal), round-robin`);
    for (const v of variants) await coldStart(v); // unrecorded: the file system cache
    const samples = new Map<Variant, Sample[]>(variants.map((v) => [v, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const v of variants) samples.get(v)!.push(await coldStart(v));
    }
    const compared = variants.filter((v) => v.subject === 'authorize' || v.subject === MINIMAL);
    for (let run = RUNS; run < TARGET_RUNS; run++) {
      for (const v of compared) samples.get(v)!.push(await coldStart(v));
    }

    const total = (v: Variant) => samples.get(v)!.map((s) => s.importMs + s.invokeMs);
    const find = (subject: Variant['subject'], bundling: Bundling) =>
      variants.find((v) => v.subject === subject && v.bundling === bundling)!;
    const rows: Row[] = [];
    for (const subject of [...entries, MINIMAL] as const) {
      for (const bundling of ['external', 'bundled'] as const) {
        const v = find(subject, bundling);
        const s = samples.get(v)!;
        const outcomes = [...new Set(s.map((x) => x.outcome))].join(', ');
        rows.push({
          name: (
            `${bundling === 'external' ? subject : ''}${bundling === 'external' ? '' : '  '} SDK ` +
            `${bundling}${bundling === deployed && subject !== MINIMAL ? ' (deployed)' : ''}`
          ).trim(),
          value: `${median(total(v)).toFixed(0)} ms`,
          detail:
            `import ${fmt3(s.map((x) => x.importMs))}, first call ${fmt3(s.map((x) => x.invokeMs))} (min/median/max); ` +
            `CPU ${fmt3(s.map((x) => x.cpuMs))}; ${(v.bytes / 1024).toFixed(0)} KB; ${outcomes}`,
        });
      }
    }
    const faster: Bundling =
      median(total(find('authorize', 'bundled'))) < median(total(find('authorize', 'external'))) ? 'bundled' : 'external';
    for (const bundling of ['external', 'bundled'] as const) {
      const ratio = median(total(find('authorize', bundling))) / median(total(find(MINIMAL, bundling)));
      const cpu = (v: Variant) => median(samples.get(v)!.map((x) => x.cpuMs));
      const cpuRatio = cpu(find('authorize', bundling)) / cpu(find(MINIMAL, bundling));
      rows.push({
        name: `authorize / minimal GetItem, SDK ${bundling}`,
        value: fmtRatio(ratio),
        detail:
          `medians of import + first call${bundling === deployed ? '; as deployed' : ''}; ` +
          `of their CPU time ${fmtRatio(cpuRatio)} (the waits on DynamoDB and the JWKS are in the first, not the second)`,
        ...(bundling === deployed ? { target: target(`≤ ${AUTHORIZE_VS_MINIMAL}x`, ratio <= AUTHORIZE_VS_MINIMAL) } : {}),
      });
    }
    const wins = entries.filter((e) => median(total(find(e, 'bundled'))) < median(total(find(e, 'external'))));
    rows.push({
      name: 'faster bundling for authorize',
      value: `SDK ${faster}`,
      detail:
        `SDK bundled starts faster for ${wins.length} of ${entries.length} functions${wins.length ? ` (${wins.join(', ')})` : ''}; ` +
        `infra/functions.ts deploys SDK ${deployed}`,
    });
    return {
      faster,
      section: {
        title: '8. Cold start: module import + first invocation, fresh node process, bundles as deployed',
        rows,
        notes: [
          `${RUNS} cold starts per bundle (${TARGET_RUNS} for authorize and the minimal) after one unrecorded (file system cache), ` +
            'round-robin; ' +
            `node ${process.version} (Lambda runs Node 22); against DynamoDB Local, in-process local mode for the IdP's JWKS`,
          'first calls: authorize POST /v1/authorize with an active grant (JWKS fetch, verify, GetItem); ' +
            'api GET /v1/requests?role=requester; approve a forged link (its 4xx page); the state machine functions, ' +
            'and execution-ended with a FAILED execution event, a request id that does not exist (their first read, ' +
            'then what they do about it)',
          "the inlined config is local mode's (with the development issuer, checked under local mode's rules), " +
            'and each function gets its local environment, so the real path runs; everything else is the deployed build',
        ],
      },
    };
  } finally {
    rmSync(OUT_DIR, { recursive: true, force: true });
  }
}
