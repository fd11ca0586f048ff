/**
 * The `type` of every problem document jitgate answers (RFC 9457): one URI per code, the
 * same from the handlers, from API Gateway's own answers and from the app middleware, and
 * read back by the client to pick its error class.
 */
const PROBLEM_BASE = 'https://jitgate.dev/problems/';

export function problemType(code: string): string {
  return `${PROBLEM_BASE}${code}`;
}

/** The code of a jitgate problem `type` (`policy-denied`), or undefined for any other URI. */
export function problemCode(type: string): string | undefined {
  return type.startsWith(PROBLEM_BASE) ? type.slice(PROBLEM_BASE.length) : undefined;
}
