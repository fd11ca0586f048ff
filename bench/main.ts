/**
 * `npm run bench`: jitgate's performance and cost targets, measured and printed as tables with PASS / MISS next to each target.
 * Benchmarks print figures, they do not assert: a missed target still exits 0; only a
 * section that could not run (an error) makes the exit code 1.
 *
 * Order: the sections that need no local mode first (bundles, policy evaluation), then
 * local mode started once in this process (JWT, authorize, one lifecycle), closed before
 * the 1,000 lifecycles, which run against local mode as its own process (started as
 * `npm start` starts it, so its memory is local mode's alone), then the cost model from
 * the counts.
 *
 * `npm run bench -- 6 8` runs only the sections named (local mode is started only when one
 * needs it; the cost model needs section 4 and runs it too).
 */
import os from 'node:os';
import { benchAuthorize, type AuthorizeFigures } from './authorize';
import { benchBundles } from './bundles';
import { benchColdStart } from './coldstart';
import { benchConcurrency } from './concurrency';
import { benchCost } from './cost';
import { templateFacts, type TemplateFacts } from './template-facts';
import { benchJwt, benchVerifier } from './jwt';
import { benchLifecycle, type LifecycleFigures } from './lifecycle';
import { benchPolicy } from './policy';
import { renderSection, table, type SectionResult } from './stats';
import { startBenchLocal, type BenchLocal } from './support';
import { benchSustained } from './sustained';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The sections named on the command line, or all of them. */
const picked = new Set(process.argv.slice(2).filter((a) => /^\d+$/.test(a)));
/** Thrown to skip local mode when no picked section needs it. */
const SKIPPED = new Error('no section needs local mode');
const wanted = (section: number) => picked.size === 0 || picked.has(String(section)) || (section === 4 && picked.has('6'));

async function main(): Promise<number> {
  const t0 = Date.now();
  const done: SectionResult[] = [];
  const errors: string[] = [];

  console.log(
    `jitgate bench: node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ` +
      `${os.platform()} ${os.arch()}, ${new Date().toISOString()}\n`,
  );

  const run = async <T>(title: string, fn: () => Promise<T>, toSection: (value: T) => SectionResult): Promise<T | undefined> => {
    if (!wanted(Number.parseInt(title, 10))) return undefined;
    const started = Date.now();
    log(`▶ ${title}`);
    try {
      const value = await fn();
      const section = toSection(value);
      done.push(section);
      console.log(`${renderSection(section)}\n`);
      log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      return value;
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      errors.push(`${title}: ${message}`);
      const section: SectionResult = { title, rows: [{ name: 'ERROR', value: (err as Error)?.message ?? String(err) }], notes: [] };
      done.push(section);
      console.log(`${renderSection(section)}\n`);
      log(message);
      return undefined;
    }
  };

  await run(
    '1. Lambda bundles',
    () => benchBundles(log),
    (s) => s,
  );
  await run(
    '7. Policy evaluation',
    () => benchPolicy(),
    (s) => s,
  );

  let bench: BenchLocal | undefined;
  let lifecycle: LifecycleFigures | undefined;
  let authorize: AuthorizeFigures | undefined;
  let facts: TemplateFacts | undefined;
  try {
    if (![2, 3, 4, 8].some(wanted)) throw SKIPPED;
    log('▶ starting local mode (synth, DynamoDB Local, in memory)');
    const started = Date.now();
    bench = await startBenchLocal();
    log(`  local mode on ${bench.local.url} in ${((Date.now() - started) / 1000).toFixed(1)} s (${JSON.stringify(bench.local.startupMs)})`);
    const b = bench;
    facts = templateFacts(b.local.template);

    const verifier = wanted(2) || wanted(3) ? await benchVerifier(b.local) : undefined;
    await run(
      '3. JWT verify',
      () => benchJwt(b.local, verifier!),
      (s) => s,
    );
    authorize = await run(
      '2. authorize hot path',
      () => benchAuthorize(b, verifier!),
      (f) => f.section,
    );
    lifecycle = await run(
      '4. Lifecycle counts',
      () => benchLifecycle(b),
      (f) => f.section,
    );
    await run(
      '8. Cold start',
      () => benchColdStart(b, log),
      (f) => f.section,
    );
  } catch (err) {
    if (err !== SKIPPED) {
      errors.push(`local mode: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      log(errors.at(-1)!);
    }
  } finally {
    if (bench) {
      log('▶ closing local mode');
      await bench.close().catch((err: Error) => log(`closing local mode failed: ${err.message}`));
    }
  }

  // Its own local-mode process (and DynamoDB Local), after the in-process one is gone.
  await run(
    '5. 1,000 concurrent lifecycles',
    () => benchConcurrency(log),
    (s) => s,
  );
  await run(
    '9. Sustained authorize load',
    () => benchSustained(log),
    (s) => s,
  );
  if (lifecycle && facts) {
    const figures = lifecycle;
    const template = facts;
    await run(
      '6. Cost model',
      async () => benchCost(figures, authorize?.handlerMedianNs ?? 100e6, template),
      (s) => s,
    );
  } else if (wanted(6)) {
    errors.push('6. Cost model: skipped, the lifecycle section failed');
  }

  // Summary: every target, PASS or MISS.
  const targets = done.flatMap((s) =>
    s.rows
      .filter((r) => r.target)
      .map((r) => [s.title.split(' ')[0] ?? '', r.name.trim(), r.value, r.target!.text, r.target!.pass ? 'PASS' : 'MISS']),
  );
  console.log('== Targets ==');
  console.log(table(['§', 'measure', 'value', 'target', ''], targets));
  const missed = targets.filter((t) => t[4] === 'MISS').length;
  console.log(
    `\n${targets.length - missed} of ${targets.length} targets met, ${missed} missed; ${errors.length} section error(s); ` +
      `total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  for (const e of errors) console.log(`ERROR ${e.split('\n')[0]}`);
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
