/** JSON values as the interpreter passes them between states, and the few walks over them that tasks need. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export function stringify(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

export function deepReplace(value: unknown, search: string, replacement: string): unknown {
  if (typeof value === 'string') return value.includes(search) ? value.split(search).join(replacement) : value;
  if (Array.isArray(value)) return value.map((item) => deepReplace(item, search, replacement));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = deepReplace(item, search, replacement);
    return out;
  }
  return value;
}

export function containsString(value: unknown, search: string): boolean {
  if (typeof value === 'string') return value.includes(search);
  if (Array.isArray(value)) return value.some((item) => containsString(item, search));
  if (isObject(value)) return Object.values(value).some((item) => containsString(item, search));
  return false;
}
