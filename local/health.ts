/**
 * Local mode's `GET /health`: on AWS it is API Gateway's mock answering `{"status":"ok"}`;
 * locally, where this one process stands in for every service, it says which of them is up,
 * and answers 503 (with Retry-After) while one is not, e.g. while DynamoDB Local restarts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type ComponentStatus = 'up' | 'restarting' | 'down';

export interface ComponentHealth {
  status: ComponentStatus;
  [detail: string]: unknown;
}

export type HealthChecks = Record<string, () => Promise<ComponentHealth>>;

/** Each check, at most `timeoutMs`: one that does not answer in time is down. */
export async function healthReport(checks: HealthChecks, timeoutMs = 2_000) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<ComponentHealth>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'down', error: `no answer within ${timeoutMs} ms` }), timeoutMs);
      });
      const health = await Promise.race([check().catch((err: Error) => ({ status: 'down' as const, error: err.message })), late]);
      clearTimeout(timer);
      return [name, health] as const;
    }),
  );
  const components = Object.fromEntries(entries);
  const up = entries.every(([, health]) => health.status === 'up');
  return { status: up ? ('ok' as const) : ('unavailable' as const), components };
}

/** Answers `GET /health`; false for any other request. */
export async function healthHttpHandler(checks: HealthChecks, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if ((req.url ?? '/').split('?')[0] !== '/health' || req.method !== 'GET') return false;
  const report = await healthReport(checks);
  const body = JSON.stringify(report);
  res.writeHead(report.status === 'ok' ? 200 : 503, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...(report.status === 'ok' ? {} : { 'retry-after': '2' }),
  });
  res.end(body);
  return true;
}
