/**
 * 9. Sustained load: POST /v1/authorize at a fixed rate for 60 s (BENCH_SUSTAINED_SECONDS for a
 * quicker run) against local mode as its own process (started as section 5 starts it), while
 * lifecycles run beside it (create, bob approves, a 3-second grant runs out), as an app's
 * checks would meet approvals and expiries in production.
 *
 * The calls are scheduled open loop (call i at t0 + i / RATE, whether or not the previous ones
 * have answered), so a slow answer shows in the latency rather than lowering the rate. Each
 * caller holds an active prod:debug grant, made before the measured window; an answer other
 * than 200 `allowed: true` is an error. Memory: the local-mode process's RSS before and after
 * the window (after one quiet second) and its peak, sampled as in section 5; what may grow is
 * bounded by local mode's caches (200 finished executions, 5,000 outbox records: bench/README.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDevTokenSigner } from '../local/idp';
import type { Running } from '../test/support/local-mode';
import { ACTION, findJvm, MemorySampler, procMemory, sectionConfig, start } from './concurrency';
import { fmtMb, fmtRatio, median, percentile, pool, sleep, target, type Row, type SectionResult } from './stats';
import { Api } from './support';

/**
 * Calls per second: what local mode sustains beside the lifecycles on the bench's 2 shared cores (at
 * 20/s it answered about 10/s and the queue, not jitgate, set the latency).
 */
const RATE_PER_SECOND = 5;
const DEFAULT_SECONDS = 60;
/** Callers with a grant each: the calls go round-robin over them (each token is then in the verifier's cache). */
const CALLERS = 20;
/** One lifecycle started every this many ms during the window, at most LIFECYCLES_IN_FLIGHT at a time. */
const LIFECYCLE_EVERY_MS = 500;
const LIFECYCLES_IN_FLIGHT = 20;
const P99_OVER_P50 = 5;

function windowSeconds(): number {
  const raw = process.env.BENCH_SUSTAINED_SECONDS;
  const n = raw === undefined ? DEFAULT_SECONDS : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`BENCH_SUSTAINED_SECONDS must be a positive number of seconds, got ${raw}`);
  return n;
}

/** Requests prod:debug for each token and has bob approve it; resolves when every grant is active. */
async function grant(api: Api, tokens: string[], bob: string, durationSeconds: number): Promise<void> {
  await pool(tokens, 10, async (token) => {
    const created = await api.expect(201, 'POST', '/v1/requests', token, { action: ACTION, durationSeconds });
    const id = created.json.id as string;
    await api.expect(200, 'POST', `/v1/requests/${id}/decisions`, bob, { decision: 'approve' });
    const deadline = Date.now() + 30_000;
    while ((await api.expect(200, 'GET', `/v1/requests/${id}`, token)).json.status !== 'active') {
      if (Date.now() > deadline) throw new Error(`request ${id} not active within 30 s`);
      await sleep(50);
    }
  });
}

export async function benchSustained(log: (line: string) => void): Promise<SectionResult> {
  const seconds = windowSeconds();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'jitgate-bench-sustained-'));
  let local: Running | undefined;
  try {
    const started = await start(dataDir, sectionConfig(dataDir), log);
    local = started.local;
    const api = new Api(local.url);
    const signer = await createDevTokenSigner({ issuer: `${local.url}/dev/idp`, dataDir });
    const bob = await signer.signToken('bob');
    const callers: string[] = [];
    for (let n = 0; n < CALLERS; n++) callers.push(await signer.signToken('alice', { extraClaims: { sub: `steady-${n}` } }));
    await grant(api, callers, bob, 1800);
    // Warm: each caller's token verified once, each grant slot checked against its request once.
    await pool(callers, 5, (token) => api.expect(200, 'POST', '/v1/authorize', token, { action: ACTION }));
    log(`  ${CALLERS} callers hold a grant; ${seconds} s at ${RATE_PER_SECOND} authorize/s with lifecycles alongside`);

    await sleep(1000);
    const before = procMemory(local.pid);
    const sampler = new MemorySampler(local.pid, findJvm(local.pid));
    sampler.start();
    const latencies: number[] = [];
    const errors = new Map<string, number>();
    const lifecycles = { started: 0, approved: 0, failed: 0 };
    const t0 = Date.now();
    const end = t0 + seconds * 1000;

    // Lifecycles beside the load: each a new principal, a 3-second grant approved by bob.
    let inFlight = 0;
    const running: Promise<void>[] = [];
    const lifecycleTimer = setInterval(() => {
      if (inFlight >= LIFECYCLES_IN_FLIGHT || Date.now() >= end) return;
      const n = lifecycles.started++;
      inFlight++;
      running.push(
        (async () => {
          const token = await signer.signToken('alice', { extraClaims: { sub: `passing-${n}` } });
          const created = await api.expect(201, 'POST', '/v1/requests', token, { action: ACTION, durationSeconds: 3 });
          await api.expect(200, 'POST', `/v1/requests/${created.json.id}/decisions`, bob, { decision: 'approve' });
          lifecycles.approved++;
        })()
          .catch(() => {
            lifecycles.failed++;
          })
          .finally(() => {
            inFlight--;
          }),
      );
    }, LIFECYCLE_EVERY_MS);

    const calls: Promise<void>[] = [];
    for (let i = 0; ; i++) {
      const due = t0 + (i * 1000) / RATE_PER_SECOND;
      if (due >= end) break;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const token = callers[i % CALLERS]!;
      calls.push(
        api.call('POST', '/v1/authorize', token, { action: ACTION }).then(
          (res) => {
            latencies.push(res.ns / 1e6);
            const ok = res.status === 200 && res.json?.allowed === true;
            if (!ok) {
              const why = `${res.status} ${res.json?.reason ?? res.json?.title ?? res.text.slice(0, 60)}`;
              errors.set(why, (errors.get(why) ?? 0) + 1);
            }
          },
          (err: Error) => {
            errors.set(err.message, (errors.get(err.message) ?? 0) + 1);
          },
        ),
      );
    }
    await Promise.all(calls);
    const elapsed = (Date.now() - t0) / 1000;
    clearInterval(lifecycleTimer);
    await Promise.all(running);
    await sleep(1000);
    sampler.stop();
    const after = procMemory(local.pid);

    const p50 = median(latencies);
    const p99 = percentile(latencies, 99);
    const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
    const rows: Row[] = [
      {
        name: 'authorize calls',
        value: `${calls.length} in ${elapsed.toFixed(1)} s`,
        detail: `${(latencies.length / elapsed).toFixed(1)} answered/s, scheduled at ${RATE_PER_SECOND}/s over ${CALLERS} callers`,
      },
      {
        name: 'errors',
        value: String(errorCount),
        detail: errorCount ? [...errors].map(([why, n]) => `${n} × ${why}`).join('; ') : 'every answer 200, allowed',
        target: target('0', errorCount === 0),
      },
      { name: 'latency p50', value: `${p50.toFixed(1)} ms`, detail: `over HTTP, local mode; max ${Math.max(...latencies).toFixed(1)} ms` },
      {
        name: 'latency p99 / p50',
        value: fmtRatio(p99 / p50),
        detail: `p99 ${p99.toFixed(1)} ms`,
        target: target(`≤ ${P99_OVER_P50}x`, p99 / p50 <= P99_OVER_P50),
      },
      {
        name: 'lifecycles alongside',
        value: `${lifecycles.approved} approved`,
        detail:
          `${lifecycles.started} started (one every ${LIFECYCLE_EVERY_MS} ms, at most ${LIFECYCLES_IN_FLIGHT} at a time), ` +
          `${lifecycles.failed} failed`,
      },
      {
        name: 'RSS of local mode, before → after',
        value: before && after ? `${fmtMb(before.rss)} → ${fmtMb(after.rss)}` : 'n/a',
        detail: `peak ${fmtMb(sampler.peakRss)} during the window; growth bounded by local mode's caches, see the notes`,
      },
    ];
    return {
      title: `9. Sustained authorize load (${seconds} s at ${RATE_PER_SECOND}/s) with lifecycles alongside, local mode`,
      rows,
      notes: [
        'local mode as its own process, as section 5 starts it; the bench client (this process) signs tokens and sends the calls',
        'open-loop schedule: call i sent at t0 + i / rate whatever the previous answers; latency = send to full answer',
        'RSS after includes what V8 has not given back yet; the reachable part is bounded (local Step Functions keeps the ' +
          '200 most recently finished executions, the outbox the 5,000 most recent records; verified tokens and grant checks ' +
          'are capped per container)',
      ],
    };
  } finally {
    await local?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
