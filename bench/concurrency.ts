/**
 * 5. 1,000 concurrent lifecycles against local mode as its own process, started the way
 * `npm start` starts it (`node local/start.cjs`, through `startLocalMode` of
 * test/support/local-mode.ts) with a temporary data directory and a config file holding
 * what the section needs (the demo issuer and approver groups, and the prod:debug policy).
 *
 * 1,000 distinct principals (alice's claims, sub alice-<n>) each ask for prod:debug for
 * 3 seconds; all 1,000 requests are created first (all alive, waiting for approval), then
 * bob approves each through the API, then every grant runs out (expiring notice, expiry).
 * At most IN_FLIGHT HTTP calls at a time. The end of each execution is watched through
 * local mode's Step Functions endpoint (ListExecutions, RUNNING only).
 *
 * Memory: VmRSS of the local-mode process, sampled every 100 ms from /proc/<pid>/status,
 * and its VmHWM (the kernel's peak for the life of the process) at the end; DynamoDB
 * Local's JVM (a child of local mode) is sampled and reported on its own. The bench
 * client (this process) is not in the figure.
 *
 * Template cache: local mode caches the synthesized template keyed by, among others, the
 * config with the development issuer's URL, which carries the port. A start that finds no
 * cached template synthesizes it and loads aws-cdk-lib (~100 MB) for its whole life; when
 * that happens here, local mode is restarted on the same port (a cache hit, the steady
 * state of `npm start`) before measuring, and the table says so.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../infra/functions';
import { freePort } from '../local/dynamodb-local';
import { createDevTokenSigner } from '../local/idp';
import { DEFAULT_RETAIN_FINISHED_EXECUTIONS } from '../local/stepfunctions';
import { startLocalMode, type Running } from '../test/support/local-mode';
import { accessKeyFor } from '../local/credentials';
import { LOCAL_OPERATOR_ROLE } from '../local/iam/roles';
import { fmtMb, fmtMs, pool, sleep, target, type Row, type SectionResult } from './stats';
import { Api } from './support';
import { DEMO_CONFIG_FILE } from '../shared/config/config-file';

const LIFECYCLES = 1000;
const IN_FLIGHT = 100;
const DURATION_SECONDS = 3;
export const ACTION = 'prod:debug';
const MEMORY_LIMIT = 300 * 1024 * 1024;
const CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'jitgate');

/** VmRSS and VmHWM (peak) of a process, bytes; undefined when /proc is not there or the process is gone. */
export function procMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Direct children of a process: /proc/<pid>/task/<tid>/children, else a scan of /proc/<n>/stat for the parent pid. */
function childPids(pid: number): number[] {
  try {
    const out: number[] = [];
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
    return out;
  } catch {
    /* no children files: scan */
  }
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // `pid (comm) state ppid ...`; comm may hold spaces and parentheses: parse from the last ')'.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** The first `java` process under `pid` (DynamoDB Local runs as local mode → sh watchdog → java). */
export function findJvm(pid: number): number | undefined {
  const queue = childPids(pid);
  while (queue.length > 0) {
    const p = queue.shift()!;
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'java') return p;
    } catch {
      continue;
    }
    queue.push(...childPids(p));
  }
  return undefined;
}

export class MemorySampler {
  peakRss = 0;
  peakJvmRss = 0;
  samples = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    private readonly jvmPid: number | undefined,
  ) {}

  start(): void {
    const sample = () => {
      const m = procMemory(this.pid);
      if (m) this.peakRss = Math.max(this.peakRss, m.rss);
      const jvm = this.jvmPid === undefined ? undefined : procMemory(this.jvmPid);
      if (jvm) this.peakJvmRss = Math.max(this.peakJvmRss, jvm.rss);
      this.samples++;
    };
    sample();
    this.timer = setInterval(sample, 100);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** The demo config's issuers and groups, and only the policy this section requests. */
export function sectionConfig(dir: string): string {
  const demo = JSON.parse(readFileSync(DEMO_CONFIG_FILE, 'utf8')) as Record<string, unknown> & {
    policies?: { action: string }[];
  };
  const policy = demo.policies?.find((p) => p.action === ACTION);
  if (!policy) throw new Error(`jitgate.config.json has no ${ACTION} policy`);
  const { $schema: _schema, policies: _policies, ...rest } = demo;
  const file = path.join(dir, 'jitgate.bench.config.json');
  writeFileSync(file, JSON.stringify({ ...rest, policies: [policy] }, null, 2));
  return file;
}

/**
 * Local mode's own Step Functions endpoint (awsJson 1.0), read as the developer's read-only
 * operator role: the endpoint answers only SigV4 calls from a key it knows, and checks
 * the key id, not the signature.
 */
export async function sfnCall(url: string, operation: string, input: object): Promise<any> {
  const credential = `${accessKeyFor(LOCAL_OPERATOR_ROLE)}/20260101/us-east-1/states/aws4_request`;
  const res = await fetch(`${url}/dev/aws/sfn/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AWSStepFunctions.${operation}`,
      authorization: `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host, Signature=local`,
    },
    body: JSON.stringify(input),
  });
  const json = (await res.json()) as any;
  if (res.status !== 200) throw new Error(`${operation}: ${res.status} ${json?.__type}: ${json?.message}`);
  return json;
}

export interface Started {
  local: Running;
  cache: 'hit' | 'miss, then a restart with a hit' | 'miss';
  startMs: number;
  /** The first start, when it synthesized the template. */
  firstStartMs?: number;
}

/**
 * Starts local mode and tells whether it synthesized the template: local mode writes a cache
 * miss to `template-<key>.json.<its pid>` before renaming it, which a watch on the cache
 * directory sees (other processes' writes carry their own pids).
 */
async function startWatched(port: number, dataDir: string, configPath: string): Promise<{ local: Running; missed: boolean; ms: number }> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const names: string[] = [];
  const watcher = watch(CACHE_DIR, (_event, name) => {
    if (name) names.push(String(name));
  });
  try {
    const t0 = Date.now();
    const local = await startLocalMode({ port, dataDir, configPath, timeoutMs: 180_000 });
    const ms = Date.now() - t0;
    await sleep(50); // pending watch events
    return { local, missed: names.some((n) => n.endsWith(`.json.${local.pid}`)), ms };
  } finally {
    watcher.close();
  }
}

/** Starts local mode; after a template-cache miss, once more on the same port (then a hit: the steady state of `npm start`). */
export async function start(dataDir: string, configPath: string, log: (line: string) => void): Promise<Started> {
  const port = await freePort();
  const first = await startWatched(port, dataDir, configPath);
  if (!first.missed) return { local: first.local, cache: 'hit', startMs: first.ms };
  log(`  template cache miss (synthesized, started in ${first.ms} ms); restarting local mode on port ${port} for the steady state`);
  await first.local.stop();
  const second = await startWatched(port, dataDir, configPath).catch(async (err: Error) => {
    log(`  restart on port ${port} failed (${err.message.split('\n')[0]}); starting on another port`);
    return startWatched(await freePort(), dataDir, configPath);
  });
  return {
    local: second.local,
    cache: second.missed ? 'miss' : 'miss, then a restart with a hit',
    startMs: second.ms,
    firstStartMs: first.ms,
  };
}

export async function benchConcurrency(log: (line: string) => void): Promise<SectionResult> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'jitgate-bench-concurrency-'));
  let local: Running | undefined;
  try {
    const configPath = sectionConfig(dataDir);
    const started = await start(dataDir, configPath, log);
    local = started.local;
    const api = new Api(local.url);
    const jvmPid = findJvm(local.pid);
    log(
      `  local mode pid ${local.pid} on ${local.url} (started in ${started.startMs} ms, template cache ${started.cache}); ` +
        `DynamoDB Local JVM pid ${jvmPid ?? 'not found'}`,
    );

    // Tokens first (RSA signing is not what is measured), with the keys local mode persisted in its data directory.
    const signer = await createDevTokenSigner({ issuer: `${local.url}/dev/idp`, dataDir });
    const tokens: string[] = [];
    for (let n = 0; n < LIFECYCLES; n++) tokens.push(await signer.signToken('alice', { extraClaims: { sub: `alice-${n}` } }));
    const bob = await signer.signToken('bob');

    await sleep(500); // let the start settle
    const before = procMemory(local.pid);
    const jvmBefore = jvmPid === undefined ? undefined : procMemory(jvmPid);
    const sampler = new MemorySampler(local.pid, jvmPid);
    sampler.start();
    const failures: string[] = [];
    const t0 = Date.now();
    let createdAt = 0;
    let approvedAt = 0;
    let ids: string[] = [];
    try {
      // 1. Create all 1,000: each waits for approval.
      ids = await pool(tokens, IN_FLIGHT, async (token) => {
        const res = await api.expect(201, 'POST', '/v1/requests', token, {
          action: ACTION,
          justification: 'bench: concurrency',
          durationSeconds: DURATION_SECONDS,
        });
        if (res.json.status !== 'pending_approval') failures.push(`created as ${res.json.status}`);
        return res.json.id as string;
      });
      createdAt = Date.now();
      log(`  1,000 requests created in ${createdAt - t0} ms; approving`);

      // 2. Bob approves each (the response waits, bounded, for activation).
      await pool(ids, IN_FLIGHT, async (id) => {
        const res = await api.expect(200, 'POST', `/v1/requests/${id}/decisions`, bob, { decision: 'approve' });
        if (res.json.status !== 'active' && res.json.status !== 'pending_approval') failures.push(`approved as ${res.json.status}`);
      });
      approvedAt = Date.now();
      log(`  1,000 approved in ${approvedAt - createdAt} ms; waiting for expiry`);

      // 3. Every execution runs to its end (Expire): poll for any RUNNING execution (this local mode runs only ours).
      const deadline = Date.now() + 120_000;
      for (;;) {
        const { executions } = await sfnCall(local.url, 'ListExecutions', { statusFilter: 'RUNNING', maxResults: 1 });
        if (executions.length === 0) break;
        if (Date.now() > deadline) throw new Error('executions still running after 120 s');
        await sleep(100);
      }
    } finally {
      sampler.stop();
    }
    const wallMs = Date.now() - t0;
    const after = procMemory(local.pid);
    const jvmAfter = jvmPid === undefined ? undefined : procMemory(jvmPid);

    // Check (outside the timed window): every request ended expired; what local Step Functions still holds.
    const statuses = new Map<string, number>();
    await pool(ids, 50, async (id, i) => {
      const res = await api.expect(200, 'GET', `/v1/requests/${id}`, tokens[i]);
      statuses.set(res.json.status, (statuses.get(res.json.status) ?? 0) + 1);
    });
    const expired = statuses.get('expired') ?? 0;
    const held = ((await sfnCall(local.url, 'ListExecutions', {})).executions as unknown[]).length;

    const peak = Math.max(sampler.peakRss, after?.hwm ?? 0);
    const rows: Row[] = [
      {
        name: 'lifecycles ended expired',
        value: `${expired} / ${LIFECYCLES}`,
        detail:
          [...statuses.entries()].map(([s, n]) => `${s} ${n}`).join(', ') +
          (failures.length ? `; unexpected: ${failures.slice(0, 3).join(', ')}` : ''),
      },
      {
        name: 'wall time (create all → all expired)',
        value: fmtMs(wallMs * 1e6, 0),
        detail:
          `create ${createdAt - t0} ms, approve ${approvedAt - createdAt} ms, run out ${wallMs - (approvedAt - t0)} ms (grants ` +
          `${DURATION_SECONDS} s)`,
      },
      {
        name: 'throughput',
        value: `${(LIFECYCLES / (wallMs / 1000)).toFixed(1)} lifecycles/s`,
        detail:
          `creates ${(LIFECYCLES / ((createdAt - t0) / 1000)).toFixed(0)}/s, approvals ` +
          `${(LIFECYCLES / ((approvedAt - createdAt) / 1000)).toFixed(0)}/s, ${IN_FLIGHT} HTTP calls in flight`,
      },
      {
        name: 'peak RSS, local mode process',
        value: fmtMb(peak),
        detail:
          `VmHWM (whole life: start and run) ${after ? fmtMb(after.hwm) : 'n/a'}; during the run: ` +
          `peak of ${sampler.samples} samples ${fmtMb(sampler.peakRss)}, ` +
          `before ${before ? fmtMb(before.rss) : 'n/a'}, after ${after ? fmtMb(after.rss) : 'n/a'} (pid ${local.pid}, ` +
          `template cache ${started.cache})`,
        target: target('< 300 MB', peak < MEMORY_LIMIT),
      },
      {
        name: 'DynamoDB Local JVM RSS (separate process)',
        value: jvmAfter ? fmtMb(sampler.peakJvmRss) : 'n/a',
        detail: jvmAfter
          ? `peak of samples; before ${fmtMb(jvmBefore?.rss ?? Number.NaN)}, after ${fmtMb(jvmAfter.rss)}, ` +
            `VmHWM ${fmtMb(jvmAfter.hwm)} (pid ${jvmPid})`
          : 'JVM not found under local mode, or no /proc',
      },
      {
        name: 'executions local Step Functions holds',
        value: String(held),
        detail:
          `after ${LIFECYCLES} finished; it keeps the ${DEFAULT_RETAIN_FINISHED_EXECUTIONS} most recently finished ` +
          '(retainFinishedExecutions)',
      },
    ];
    const notes = [
      `${ACTION} by 1,000 distinct principals (sub alice-<n>), durationSeconds ${DURATION_SECONDS}, approved by bob over HTTP; ` +
        'all 1,000 created (alive) before the first approval',
      `local mode as \`npm start\` runs it (its own process; DynamoDB on disk in a temporary data directory; ` +
        `the full development IdP), started in ${started.startMs} ms, ` +
        (started.cache === 'hit'
          ? 'its template from the cache (aws-cdk-lib not loaded)'
          : started.cache === 'miss'
            ? 'synthesizing its template (aws-cdk-lib loaded, in the figure) even on a restart after a first start of ' +
              `${started.firstStartMs} ms: infra/, shared/ or the lock file changed meanwhile`
            : `restarted on the same port after a first start of ${started.firstStartMs} ms that synthesized the template: ` +
              'measured with the cached template (aws-cdk-lib not loaded)'),
      'the figure is local mode alone: the bench client runs in the bench process, DynamoDB Local in its JVM (reported on its own)',
    ];
    if (peak >= MEMORY_LIMIT && before) {
      notes.push(
        `over the target: local mode holds ${fmtMb(before.rss)} before the run; the rest is what 1,000 lifecycles with ` +
          `${IN_FLIGHT} calls in flight make it allocate (mostly the AWS SDK clients of the handlers), ` +
          'which V8 collects late and whose pages it keeps; what stays reachable afterwards is bounded (see bench/README.md)',
      );
    }
    return { title: '5. 1,000 concurrent lifecycles in local mode', rows, notes };
  } finally {
    await local?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
