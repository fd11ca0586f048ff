/**
 * aws-local-stepfunctions 3 calls Promise.withResolvers (ES2024), which Node 20 lacks.
 * Lambda runs Node 22, where it exists; only local mode and tests on Node 20 need this.
 */
const P = Promise as unknown as { withResolvers?: unknown };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
export {};
