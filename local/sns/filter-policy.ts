/**
 * SNS subscription filter policies: validating one, and matching it against a message's
 * attributes (MessageAttributes scope) or its JSON body (MessageBody scope).
 */
import type { FilterPolicy, SnsMessageAttributeValue } from './types';

const BINARY = Symbol('binary');
const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'cidr']);

/** Throws a descriptive Error for a malformed policy (unknown operator, a value that is not a list...). */
export function validateFilterPolicy(policy: unknown, path = 'filterPolicy'): asserts policy is FilterPolicy {
  if (!policy || typeof policy !== 'object' || Array.isArray(policy)) throw new Error(`${path}: must be a JSON object`);
  for (const [key, value] of Object.entries(policy)) {
    const here = `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) throw new Error(`${here}: must be a list of at least two policies`);
      for (const [i, p] of value.entries()) validateFilterPolicy(p, `${here}[${i}]`);
    } else if (Array.isArray(value)) {
      for (const c of value) {
        if (c !== null && typeof c === 'object') {
          const ops = Object.keys(c);
          if (ops.length !== 1 || !OPERATORS.has(ops[0]!)) {
            throw new Error(
              `${here}: unknown condition ${JSON.stringify(c)} ` +
                '(use prefix, suffix, anything-but, numeric, exists, equals-ignore-case or cidr)',
            );
          }
        }
      }
    } else if (value && typeof value === 'object') {
      validateFilterPolicy(value, here); // MessageBody scope: nested keys
    } else {
      throw new Error(`${here}: conditions must be a list, e.g. ["value"]`);
    }
  }
}

/** The attributes as a filter policy sees them: String → string, Number → number, String.Array → its elements, Binary → unmatchable. */
export function attributesForFiltering(attrs: Record<string, SnsMessageAttributeValue> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(attrs)) {
    const type = v.DataType.split('.')[0];
    if (v.DataType === 'String.Array') {
      try {
        out[name] = JSON.parse(v.StringValue ?? '[]');
      } catch {
        out[name] = [];
      }
    } else if (type === 'Number') out[name] = Number(v.StringValue);
    else if (type === 'Binary') out[name] = BINARY;
    else out[name] = v.StringValue ?? '';
  }
  return out;
}

/** SNS filter policy matching (attribute-based, or nested for MessageBody scope). */
export function matchesFilterPolicy(policy: FilterPolicy, subject: Record<string, unknown> | undefined): boolean {
  for (const [key, cond] of Object.entries(policy)) {
    if (key === '$or') {
      if (!(cond as FilterPolicy[]).some((p) => matchesFilterPolicy(p, subject))) return false;
      continue;
    }
    if (cond && typeof cond === 'object' && !Array.isArray(cond)) {
      const child = subject?.[key];
      const nested = child && typeof child === 'object' && !Array.isArray(child) ? (child as Record<string, unknown>) : undefined;
      if (!matchesFilterPolicy(cond as FilterPolicy, nested)) return false;
      continue;
    }
    const conditions = Array.isArray(cond) ? cond : [cond];
    const present = subject !== undefined && Object.hasOwn(subject, key);
    const raw = present ? subject![key] : undefined;
    const values = !present ? undefined : Array.isArray(raw) ? raw : [raw];
    if (!conditions.some((c) => matchCondition(c, values))) return false;
  }
  return true;
}

function matchCondition(c: unknown, values: unknown[] | undefined): boolean {
  if (c && typeof c === 'object' && 'exists' in c) return (c as { exists: unknown }).exists ? values !== undefined : values === undefined;
  if (values === undefined) return false;
  return values.some((v) => matchValue(c, v));
}

function matchValue(c: unknown, v: unknown): boolean {
  if (v === BINARY) return false;
  if (c === null || typeof c !== 'object') return c === v;
  const [op, arg] = Object.entries(c as Record<string, unknown>)[0] ?? [];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      if (typeof v !== 'string') return false;
      const ci = arg && typeof arg === 'object' ? (arg as Record<string, unknown>)['equals-ignore-case'] : undefined;
      const needle = String(ci ?? arg);
      const hay = ci !== undefined ? v.toLowerCase() : v;
      const n = ci !== undefined ? needle.toLowerCase() : needle;
      return op === 'prefix' ? hay.startsWith(n) : hay.endsWith(n);
    }
    case 'equals-ignore-case':
      return typeof v === 'string' && v.toLowerCase() === String(arg).toLowerCase();
    case 'anything-but': {
      if (arg && typeof arg === 'object' && !Array.isArray(arg)) return !matchValue(arg, v);
      const list = Array.isArray(arg) ? arg : [arg];
      return !list.some((x) => x === v);
    }
    case 'numeric': {
      if (typeof v !== 'number' || Number.isNaN(v)) return false;
      const spec = arg as unknown[];
      for (let i = 0; i + 1 < spec.length; i += 2) {
        const n = Number(spec[i + 1]);
        const ok = { '=': v === n, '<': v < n, '<=': v <= n, '>': v > n, '>=': v >= n }[String(spec[i])];
        if (!ok) return false;
      }
      return true;
    }
    case 'cidr':
      return typeof v === 'string' && inCidr(v, String(arg));
    default:
      return false;
  }
}

function inCidr(ip: string, cidr: string): boolean {
  const toInt = (s: string) => {
    const p = s.split('.').map(Number);
    return p.length === 4 && p.every((x) => Number.isInteger(x) && x >= 0 && x < 256)
      ? ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0
      : undefined;
  };
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? 32);
  const a = toInt(ip);
  const b = toInt(base ?? '');
  if (a === undefined || b === undefined || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}
