/**
 * The resource grammar: what a resource name may be, in one place (create,
 * authorize and `jitgate explain` all ask here).
 *
 * Resources are opaque strings that policies match with globs **as written**: jitgate
 * never decodes or normalises them. So a name that some other layer would decode
 * (`%2F`), resolve (`a/../b`, `a\..\b`) or display differently (bidi controls,
 * zero-width characters) could be granted under one policy and used under another:
 * `datasets/public-x/../q3-payroll` matches `datasets/public-*`, and an app that
 * resolves the path then touches `datasets/q3-payroll`. Such names are refused,
 * never cleaned up, so what was approved is exactly what is used.
 *
 * A resource is 1 to 1024 characters, none of them:
 * - a C0 or C1 control (U+0000-U+001F, U+007F-U+009F), or `#`;
 * - `%` (percent-encoding) or `\` (a second path separator on some systems);
 * - a bidi control (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) or a
 *   zero-width character (U+200B-U+200D, U+2060, U+FEFF), which make two names
 *   look alike (Trojan Source, CVE-2021-42574);
 * - a lone surrogate (not a character at all; encoders disagree on it);
 * and no `/`-separated segment is `.` or `..` (RFC 3986 section 5.2.4 would remove it).
 */

export const MAX_RESOURCE_LENGTH = 1024;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const CHECKS: [RegExp, string][] = [
  [/[\u0000-\u001f\u007f-\u009f]/, 'control characters'],
  [/#/, '"#"'],
  [/%/, 'percent-encoding ("%"); send the name as written, not URL-encoded'],
  [/\\/, 'backslashes'],
  [/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/, 'bidirectional control characters'],
  [/[\u200b-\u200d\u2060\ufeff]/, 'zero-width characters'],
];

/** Why `resource` is not a valid resource name, or undefined when it is. */
export function resourceProblem(resource: string): string | undefined {
  if (resource.length === 0) return 'a resource is not empty; leave it out for any resource';
  if (resource.length > MAX_RESOURCE_LENGTH)
    return `a resource is at most ${MAX_RESOURCE_LENGTH} characters (this one has ${resource.length})`;
  if (LONE_SURROGATE.test(resource)) return 'a resource may not contain lone surrogates (invalid UTF-16)';
  for (const [re, what] of CHECKS) if (re.test(resource)) return `a resource may not contain ${what}`;
  if (resource.split('/').some((s) => s === '.' || s === '..'))
    return 'a resource may not contain "." or ".." segments; name the resource itself (e.g. "datasets/q3" rather than "datasets/x/../q3")';
  return undefined;
}

export function isValidResource(resource: string): boolean {
  return resourceProblem(resource) === undefined;
}
