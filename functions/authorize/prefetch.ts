/**
 * Imported first by index.ts, so it runs before the AWS SDK's modules are evaluated: the
 * issuers' signing keys are asked for at init (on Lambda at full CPU) and arrive while the rest
 * of the bundle loads, instead of being fetched by the first invocation, which waits for them
 * (bench section 8: about 45 ms of the authorize function's cold start against local mode's IdP).
 *
 * The one turn of the event loop below sends the request: until then it is only queued, and the
 * rest of init is synchronous. Over plain http (local mode) that turn puts it on the wire; over
 * https it starts the DNS lookup, and the connection goes on at the next turns (the runtime's
 * own wait for the first event, then the first invocation's). A bundle evaluates its modules in
 * one sequence, so the await holds back the rest of init; jest and tsx load modules as CommonJS,
 * which has no top-level await, so the tests and the bench import handler.ts instead.
 */
import { prefetchSigningKeys } from '../../shared/runtime-verifier';

prefetchSigningKeys();
await new Promise<void>((resolve) => setImmediate(resolve));
