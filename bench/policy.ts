/**
 * 7. Policy evaluation: `evaluate()` through a `PolicyIndex` built from 10 policies vs
 * 1,000 policies (one in ten a glob), over the same kinds of actions: exact names,
 * names only a glob matches, and unknown names (denied, fail closed). Pure CPU, so
 * each sample is a batch of decisions timed together (ns per decision), the two
 * configs taking turns sample by sample.
 */
import { readFileSync } from 'node:fs';
import { parseConfig, type ConfigInput } from '../shared/config/config';
import type { Principal } from '../shared/domain/identity';
import { findTies } from '../shared/config/policy-config';
import { evaluate, PolicyIndex } from '../shared/domain/policy';
import { fmtMs, fmtNs, fmtRatio, median, target, type Row, type SectionResult } from './stats';
import { DEMO_CONFIG_FILE } from '../shared/config/config-file';

const GLOB_EVERY = 10; // one policy in ten is a glob
const DECISIONS_PER_SAMPLE = 2000;
const SAMPLES = 150;
const WARMUP_SAMPLES = 20;
const TIE_SAMPLES = 5;

type Kind = 'exact' | 'glob' | 'unknown';

function configWith(policyCount: number) {
  const demo = JSON.parse(readFileSync(DEMO_CONFIG_FILE, 'utf8')) as ConfigInput;
  const policies: NonNullable<ConfigInput['policies']> = [];
  for (let i = 0; i < policyCount; i++) {
    const glob = i % GLOB_EVERY === GLOB_EVERY - 1;
    policies.push({
      action: glob ? `team${i}:*` : `svc${i}:operate`,
      deny: [{ when: { claim: 'roles', contains: 'guest' }, reason: 'guests may not' }],
      approvals: { groups: { 'security-admins': 1 }, window: '1h' },
      grant: { mode: 'window', maxDuration: '1h' },
    });
  }
  return parseConfig({ ...demo, policies }, `bench config with ${policyCount} policies`);
}

/** The actions asked about: 5 exact names spread over the config, 3 that only a glob matches, 2 unknown. */
function actionsFor(policyCount: number): { action: string; kind: Kind }[] {
  const exact = [0, 0.25, 0.5, 0.75, 0.99].map((f) => {
    let i = Math.floor(f * (policyCount - 1));
    if (i % GLOB_EVERY === GLOB_EVERY - 1) i--;
    return { action: `svc${i}:operate`, kind: 'exact' as const };
  });
  const globIdx = (f: number) => Math.floor((f * policyCount) / GLOB_EVERY) * GLOB_EVERY + GLOB_EVERY - 1;
  const globs = [0, 0.5, 0.99].map((f) => ({ action: `team${Math.min(globIdx(f), policyCount - 1)}:read-reports`, kind: 'glob' as const }));
  const unknown = [
    { action: 'nobody:configured-this', kind: 'unknown' as const },
    { action: 'svc:operate', kind: 'unknown' as const },
  ];
  return [...exact, ...globs, ...unknown];
}

export async function benchPolicy(): Promise<SectionResult> {
  const principal: Principal = {
    id: 'https://idp.example.com#alice',
    issuer: 'https://idp.example.com',
    issuerName: 'corp',
    sub: 'alice',
    groups: ['engineering'],
    roles: ['editor'],
    attributes: {},
  };
  const setups = [10, 1000].map((count) => {
    const index = new PolicyIndex(configWith(count));
    const actions = actionsFor(count);
    // Sanity: each action gets the outcome its kind implies.
    for (const a of actions) {
      const e = evaluate(index, principal, a.action, '*');
      if ((a.kind === 'unknown') !== (e.outcome === 'denied'))
        throw new Error(`${a.action} with ${count} policies: unexpected ${e.outcome}`);
    }
    return { count, index, actions };
  });

  let sink = 0;
  const sample = (setup: (typeof setups)[number], kinds: readonly Kind[]): number => {
    const list = setup.actions.filter((a) => kinds.includes(a.kind)).map((a) => a.action);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < DECISIONS_PER_SAMPLE; i++) {
      const e = evaluate(setup.index, principal, list[i % list.length]!, '*');
      sink += e.rule.length;
    }
    return Number(process.hrtime.bigint() - t0) / DECISIONS_PER_SAMPLE;
  };

  const groups: Record<'mix' | Kind, readonly Kind[]> = {
    mix: ['exact', 'glob', 'unknown'],
    exact: ['exact'],
    glob: ['glob'],
    unknown: ['unknown'],
  };
  const results: Record<string, Record<number, number[]>> = {};
  for (const [name, kinds] of Object.entries(groups)) {
    results[name] = { 10: [], 1000: [] };
    for (let s = 0; s < WARMUP_SAMPLES + SAMPLES; s++) {
      const order = s % 2 === 0 ? setups : [...setups].reverse();
      for (const setup of order) {
        const ns = sample(setup, kinds);
        if (s >= WARMUP_SAMPLES) results[name]![setup.count]!.push(ns);
      }
    }
  }
  if (sink === 42) console.log(''); // keep the work observable

  const rows: Row[] = [];
  for (const name of Object.keys(groups)) {
    const small = median(results[name]![10]!);
    const large = median(results[name]![1000]!);
    const ratio = large / small;
    const label = name === 'mix' ? 'mix (5 exact, 3 glob, 2 unknown)' : `${name} actions only`;
    rows.push({
      name: `evaluate(), ${label}`,
      value: `${fmtNs(large)} / ${fmtNs(small)}`,
      detail: `1,000 / 10 policies = ${fmtRatio(ratio)}`,
      ...(name === 'mix' ? { target: target('≤ 2x', ratio <= 2) } : {}),
    });
  }
  rows.push(tiesRow());
  return {
    title: '7. Policy evaluation, 1,000 policies vs 10 (median ns per decision)',
    rows,
    notes: [
      `configs: the demo issuers and groups with N generated policies (every ${GLOB_EVERY}th a glob "team<i>:*", ` +
        `the rest exact "svc<i>:operate"), each with one deny rule`,
      `${SAMPLES} samples of ${DECISIONS_PER_SAMPLE} decisions per config and action kind, ` +
        `after ${WARMUP_SAMPLES} warm-up samples; configs alternate sample by sample`,
      `findTies(): the check config parsing runs, on 1,000 such policies (no tie), median of ${TIE_SAMPLES} runs`,
    ],
  };
}

/** The tie check config parsing runs groups policies instead of comparing every pair, so 1,000 policies take well under 2 s. */
function tiesRow(): Row {
  const policies = Array.from({ length: 1000 }, (_, i) => ({
    action: i % GLOB_EVERY === GLOB_EVERY - 1 ? `team${i}:*` : `svc${i}:operate`,
  }));
  const samples: number[] = [];
  for (let s = 0; s < TIE_SAMPLES; s++) {
    const t0 = process.hrtime.bigint();
    const ties = findTies(policies);
    samples.push(Number(process.hrtime.bigint() - t0));
    if (ties.length) throw new Error(`findTies found ${ties.length} tie(s) among policies that cannot overlap`);
  }
  const ns = median(samples);
  return { name: 'findTies(), 1,000 policies', value: fmtMs(ns), detail: 'grouped, not every pair', target: target('< 2 s', ns < 2e9) };
}
