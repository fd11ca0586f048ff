/**
 * What every Lambda entry point does around its work, for operators: structured log lines
 * (Powertools Logger, `shared/web/http.ts`) carrying the Lambda context and, when the call
 * concerns a request, its id as `correlation_id`; one line per invocation at the end; and the
 * metrics the use cases recorded, flushed as one EMF line (shared/adapters/metrics.ts).
 *
 * Nothing from the event is logged but ids checked against `SAFE_ID`: events carry bearer
 * tokens, approval links, TOTP codes and task tokens, which are credentials.
 */
import type { Context } from 'aws-lambda';
import { flushMetrics } from './adapters/metrics';
import { logger } from './web/http';

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Long opaque strings in an error message (a task token, a JWT an SDK echoed back) are cut out. */
const OPAQUE = /[A-Za-z0-9+/=_.-]{40,}/g;

function safeMessage(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .replace(OPAQUE, '[redacted]')
    .slice(0, 500);
}

/** Puts a request id on every log line of this invocation from now on (ignored unless it looks like an id). */
export function correlate(requestId: unknown): void {
  if (typeof requestId === 'string' && SAFE_ID.test(requestId)) logger.setCorrelationId(requestId);
}

/**
 * Wraps a handler: `requestIdOf` names the request the call concerns from the event (before)
 * or from the result (after, e.g. the request a create made), when it can.
 */
export function instrumented<E, R>(
  handler: (event: E) => Promise<R>,
  requestIdOf: (event: E, result?: R) => unknown,
): (event: E, context?: Context) => Promise<R> {
  return async (event, context) => {
    logger.resetKeys();
    if (context) logger.addContext(context);
    const started = Date.now();
    try {
      correlate(requestIdOf(event));
    } catch {
      // an event of an unexpected shape names no request
    }
    try {
      const result = await handler(event);
      try {
        correlate(requestIdOf(event, result));
      } catch {
        // as above
      }
      const status = (result as { statusCode?: unknown } | undefined)?.statusCode;
      logger.info('handled', { durationMs: Date.now() - started, ...(typeof status === 'number' ? { statusCode: status } : {}) });
      return result;
    } catch (err) {
      logger.error('failed', { durationMs: Date.now() - started, error: { name: (err as Error)?.name, message: safeMessage(err) } });
      throw err;
    } finally {
      flushMetrics();
    }
  };
}
