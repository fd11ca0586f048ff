/**
 * 5. 1,000 concurrent lifecycles in local mode, in this process: 1,000 distinct
 * principals (alice's claims, sub alice-<n>) each ask for prod:debug for 3 seconds;
 * all 1,000 requests are created first (all alive, waiting for approval), then bob
 * approves each through the API, then every grant runs out (expiring notice, expiry).
 * At most IN_FLIGHT HTTP calls at a time. Memory is sampled every 100 ms: this
 * process's RSS (local mode and the bench client together), and DynamoDB Local's JVM,
 * a separate process, from /proc/<pid>/status.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fmtMb, fmtMs, pool, sleep, target, type Row, type SectionResult } from './stats';
import type { BenchLocal } from './support';

const LIFECYCLES = 1000;
const IN_FLIGHT = 100;
const DURATION_SECONDS = 3;
const ACTION = 'prod:debug';
const MEMORY_LIMIT = 300 * 1024 * 1024;

/** VmRSS and VmHWM (peak) of a process, bytes; undefined when /proc is not there. */
function procMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** A full GC on demand, without starting node with --expose-gc; undefined if that does not work. */
function gcFunction(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

class MemorySampler {
  peakRss = 0;
  peakHeapUsed = 0;
  peakJvmRss = 0;
  samples = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly jvmPid: number) {}

  start(): void {
    const sample = () => {
      const m = process.memoryUsage();
      this.peakRss = Math.max(this.peakRss, m.rss);
      this.peakHeapUsed = Math.max(this.peakHeapUsed, m.heapUsed);
      const jvm = procMemory(this.jvmPid);
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

export async function benchConcurrency({ local, api }: BenchLocal, log: (line: string) => void): Promise<SectionResult> {
  // Tokens first (RSA signing is not what is measured).
  const tokens: string[] = [];
  for (let n = 0; n < LIFECYCLES; n++) tokens.push(await local.idp.signToken('alice', { extraClaims: { sub: `alice-${n}` } }));
  const bob = await local.idp.signToken('bob');

  const gc = gcFunction();
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const jvmBefore = procMemory(local.dynamodb.pid);
  const sampler = new MemorySampler(local.dynamodb.pid);
  sampler.start();
  const failures: string[] = [];
  const t0 = Date.now();
  let createdAt = 0;
  let approvedAt = 0;
  let ids: string[] = [];
  try {
    // 1. Create all 1,000: each waits for approval.
    ids = await pool(tokens, IN_FLIGHT, async (token) => {
      const res = await api.expect(201, 'POST', '/v1/requests', token, { action: ACTION, justification: 'bench: concurrency', durationSeconds: DURATION_SECONDS });
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

    // 3. Every execution runs to its end (Expire), watched in-process (no extra reads).
    let open = ids.map((id) => local.sfn.executionArnFor(id));
    const deadline = Date.now() + 120_000;
    while (open.length > 0) {
      if (Date.now() > deadline) throw new Error(`${open.length} executions still running after 120 s`);
      await sleep(100);
      const still: string[] = [];
      for (const arn of open) if ((await local.sfn.describeExecution({ executionArn: arn })).status === 'RUNNING') still.push(arn);
      open = still;
    }
  } finally {
    sampler.stop();
  }
  const wallMs = Date.now() - t0;
  const jvmAfter = procMemory(local.dynamodb.pid);

  // Check (outside the timed window): every request ended expired.
  const statuses = new Map<string, number>();
  await pool(ids, 50, async (id, i) => {
    const res = await api.expect(200, 'GET', `/v1/requests/${id}`, tokens[i]);
    statuses.set(res.json.status, (statuses.get(res.json.status) ?? 0) + 1);
  });
  const expired = statuses.get('expired') ?? 0;
  gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const retained = heapAfter - heapBefore;

  const rows: Row[] = [
    { name: 'lifecycles ended expired', value: `${expired} / ${LIFECYCLES}`, detail: [...statuses.entries()].map(([s, n]) => `${s} ${n}`).join(', ') + (failures.length ? `; unexpected: ${failures.slice(0, 3).join(', ')}` : '') },
    { name: 'wall time (create all → all expired)', value: fmtMs(wallMs * 1e6, 0), detail: `create ${createdAt - t0} ms, approve ${approvedAt - createdAt} ms, run out ${wallMs - (approvedAt - t0)} ms (grants ${DURATION_SECONDS} s)` },
    { name: 'throughput', value: `${(LIFECYCLES / (wallMs / 1000)).toFixed(1)} lifecycles/s`, detail: `creates ${(LIFECYCLES / ((createdAt - t0) / 1000)).toFixed(0)}/s, approvals ${(LIFECYCLES / ((approvedAt - createdAt) / 1000)).toFixed(0)}/s, ${IN_FLIGHT} HTTP calls in flight` },
    {
      name: 'peak RSS, this node process',
      value: fmtMb(sampler.peakRss),
      detail: `before ${fmtMb(rssBefore)} (+${fmtMb(sampler.peakRss - rssBefore)}); peak V8 heap used ${fmtMb(sampler.peakHeapUsed)}; ${sampler.samples} samples`,
      target: target('< 300 MB', sampler.peakRss < MEMORY_LIMIT),
    },
    {
      name: 'live V8 heap after a full GC',
      value: gc ? fmtMb(heapAfter) : 'n/a',
      detail: gc ? `before ${fmtMb(heapBefore)}; +${fmtMb(retained)} still held after all 1,000 ended (≈ ${(retained / LIFECYCLES / 1024).toFixed(0)} KB per ended lifecycle)` : 'could not force a GC',
    },
    {
      name: 'DynamoDB Local JVM RSS (separate process)',
      value: jvmAfter ? fmtMb(sampler.peakJvmRss) : 'n/a',
      detail: jvmAfter ? `peak of samples; before ${fmtMb(jvmBefore?.rss ?? Number.NaN)}, VmHWM ${fmtMb(jvmAfter.hwm)} (pid ${local.dynamodb.pid})` : 'no /proc',
    },
  ];
  const notes = [
    `${ACTION} by 1,000 distinct principals (sub alice-<n>), durationSeconds ${DURATION_SECONDS}, approved by bob over HTTP; all 1,000 created (alive) before the first approval`,
    'the node process holds local mode (the API, Step Functions interpreter, SNS outbox, the handlers, plus aws-cdk-lib loaded for the synth) and the bench client itself',
  ];
  if (sampler.peakRss >= MEMORY_LIMIT) {
    notes.push(
      `peak RSS over the target: ${fmtMb(rssBefore)} before the run (aws-cdk-lib from the synth and the earlier sections stay loaded); the V8 heap in use reached ${fmtMb(sampler.peakHeapUsed)} ` +
        `before being collected, while the live heap after a full GC is ${gc ? fmtMb(heapAfter) : 'unknown'}: the peak is mostly garbage that V8, with a large default heap limit, collects late, and memory it does not hand back to the OS`,
    );
  }
  if (gc && retained > 0) {
    notes.push(`what stays after the lifecycles end grows with each one: local Step Functions keeps every execution and its history, and the outbox every message, in memory for the life of the process`);
  }
  return { title: '5. 1,000 concurrent lifecycles in local mode', rows, notes };
}
