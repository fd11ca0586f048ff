/**
 * Policy tests as data: every `test/policies/*.cases.json` table, row by row, through
 * the same evaluation `npx jitgate explain`, POST /v1/requests and POST /v1/authorize
 * use; and `validation.cases.json`, config fragments → the messages they produce.
 * The row format is in test/policies/README.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, type Config } from '../../../shared/config/config';
import { ConfigError } from '../../../shared/domain/errors';
import { toPrincipal } from '../../../shared/domain/identity';
import { evaluate, PolicyIndex, type Requirements } from '../../../shared/domain/policy';
import { prepareRequest, type RequestInput } from '../../../shared/domain/request-checks';
import { resolveCaller } from '../../../cli/explain';
import { explainFor } from '../../../shared/domain/explain';

const DIR = path.resolve(__dirname, '../../policies');

interface Expect {
  decision?: 'denied' | 'requestable' | 'auto';
  rule?: string;
  clause?: string;
  reason?: string;
  approvals?: Record<string, number>;
  mfa?: 'none' | 'totp' | 'stepUp';
  grant?: 'once' | 'window' | Record<string, unknown>;
  justification?: { required?: boolean; minLength?: number };
  ticket?: string | false;
  breakGlass?: false | { maxDurationSeconds: number; notify: string };
  missing?: string[];
  error?: string;
  prepared?: { durationSeconds?: number; approvals?: Record<string, number>; autoApproved?: boolean; breakGlass?: boolean };
}

interface Case {
  name: string;
  user?: string;
  claims?: Record<string, unknown>;
  action: string;
  resource?: string;
  request?: RequestInput;
  expect: Expect;
}

interface Table {
  file: string;
  config: Config;
  cases: Case[];
}

const EXPECT_KEYS = [
  'decision',
  'rule',
  'clause',
  'reason',
  'approvals',
  'mfa',
  'grant',
  'justification',
  'ticket',
  'breakGlass',
  'missing',
  'error',
  'prepared',
];
const CASE_KEYS = ['name', 'user', 'claims', 'action', 'resource', 'request', 'expect'];

const tables: Table[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.cases.json') && f !== 'validation.cases.json')
  .sort()
  .map((file) => {
    const doc = JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as { config: string; cases: Case[] };
    const configPath = path.resolve(DIR, doc.config);
    return { file, config: parseConfig(JSON.parse(readFileSync(configPath, 'utf8')), doc.config), cases: doc.cases };
  });

const stripIndex = (rule: string) => rule.replace(/^policies\[\d+\] /, '');
const approvalsOf = (r: Requirements) => Object.fromEntries(r.approvals.map((a) => [a.group, a.required]));

function callerFor(config: Config, c: Case) {
  if (c.user !== undefined) return resolveCaller(config, c.user);
  const [name, issuer] = Object.entries(config.issuers).find(([, i]) => i.development) ?? Object.entries(config.issuers)[0]!;
  return {
    principal: toPrincipal(name, issuer, { sub: 'someone', iss: issuer.issuer, ...c.claims }),
    source: 'claims' as const,
    verified: false as const,
  };
}

test('the tables are there', () => {
  expect(tables.map((t) => t.file)).toEqual(expect.arrayContaining(['demo.cases.json', 'features.cases.json']));
});

describe.each(tables)('$file', ({ config, cases, file }) => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // A misspelt key would silently check nothing.
    expect(Object.keys(c).filter((k) => !CASE_KEYS.includes(k))).toEqual([]);
    expect(Object.keys(c.expect).filter((k) => !EXPECT_KEYS.includes(k))).toEqual([]);
    expect((c.user === undefined) !== (c.claims === undefined)).toBe(true);

    const caller = callerFor(config, c);
    const resource = c.resource ?? '*';
    const r = explainFor(config, caller, c.action, resource);
    const x = c.expect;
    if (x.decision !== undefined) expect({ decision: r.decision, reason: r.reason }).toMatchObject({ decision: x.decision });
    if (x.rule !== undefined) expect(x.rule === r.rule ? r.rule : stripIndex(r.rule)).toBe(x.rule);
    if (x.clause !== undefined) expect(r.clause).toBe(x.clause);
    if (x.reason !== undefined) expect(r.reason).toContain(x.reason);
    const q = r.requirements;
    if (x.approvals !== undefined) expect(q && approvalsOf(q)).toEqual(x.approvals);
    if (x.mfa !== undefined) expect(q && (typeof q.mfa === 'string' ? q.mfa : 'stepUp')).toBe(x.mfa);
    if (x.grant !== undefined) {
      if (typeof x.grant === 'string') expect(q?.grant.mode).toBe(x.grant);
      else expect(q?.grant).toEqual(x.grant);
    }
    if (x.justification !== undefined) expect(q?.justification).toMatchObject(x.justification);
    if (x.ticket !== undefined) expect(q?.ticket?.pattern ?? (q?.ticket ? '(any)' : false)).toBe(x.ticket);
    if (x.breakGlass !== undefined) expect(q?.breakGlass ?? false).toEqual(x.breakGlass);
    if (x.missing !== undefined) expect(r.missing).toEqual(x.missing);

    if (c.request !== undefined || x.error !== undefined || x.prepared !== undefined) {
      expect(c.request).toBeDefined();
      const e = evaluate(new PolicyIndex(config), caller.principal, c.action, resource);
      if (e.outcome === 'denied') {
        expect(x.error).toBeUndefined();
        return;
      }
      if (x.error !== undefined) {
        expect(() => prepareRequest(e, c.action, c.request!, caller.principal)).toThrow(x.error);
      } else {
        const prepared = prepareRequest(e, c.action, c.request!, caller.principal);
        const p = x.prepared ?? {};
        if (p.durationSeconds !== undefined) expect(prepared.durationSeconds).toBe(p.durationSeconds);
        if (p.approvals !== undefined) expect(approvalsOf(prepared.requirements)).toEqual(p.approvals);
        if (p.autoApproved !== undefined) expect(prepared.autoApproved).toBe(p.autoApproved);
        if (p.breakGlass !== undefined) expect(prepared.breakGlass).toBe(p.breakGlass);
      }
    }
    void file;
  });

  test('every policy is exercised by at least one row', () => {
    const hit = new Set<string>();
    for (const c of cases) {
      const r = explainFor(config, callerFor(config, c), c.action, c.resource ?? '*');
      hit.add(r.rule);
    }
    const missing = config.policies
      .map((p, i) => `policies[${i}] ${p.action}${p.resource ? ` on ${p.resource}` : ''}`)
      .filter((rule) => !hit.has(rule));
    expect(missing.map((rule) => `${rule} has no row in test/policies/${file}; add one`)).toEqual([]);
  });
});

describe('validation.cases.json: config fragments and the messages they produce', () => {
  const doc = JSON.parse(readFileSync(path.join(DIR, 'validation.cases.json'), 'utf8')) as {
    base: Record<string, unknown>;
    cases: { name: string; config: Record<string, unknown>; expect: string[] }[];
  };
  test.each(doc.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    let message = '';
    try {
      parseConfig({ ...doc.base, ...c.config });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    if (c.expect.length === 0) expect(message).toBe('');
    for (const fragment of c.expect) expect(message).toContain(fragment);
  });
});
