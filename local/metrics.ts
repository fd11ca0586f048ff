/**
 * `GET /dev/metrics`: the metrics local mode's functions emitted, read back from the
 * CloudWatch embedded metric format (EMF) lines they print (shared/adapters/metrics.ts), as
 * CloudWatch would aggregate them: per namespace and metric name, the samples' count, sum,
 * minimum and maximum. `DELETE /dev/metrics` forgets them. Nothing is sent anywhere.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send, sendJson, sendProblem } from './http-util';

export interface MetricStats {
  unit: string;
  /** Samples (an EMF line may carry several values of one metric). */
  samples: number;
  sum: number;
  min: number;
  max: number;
}

interface EmfDirective {
  Namespace?: unknown;
  Metrics?: { Name?: unknown; Unit?: unknown }[];
}

export class LocalMetrics {
  private readonly byNamespace = new Map<string, Map<string, MetricStats>>();

  /** Takes one line a function printed; anything but an EMF document is ignored. */
  record(line: string): void {
    if (!line.includes('"_aws"')) return;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const directives = (doc._aws as { CloudWatchMetrics?: EmfDirective[] } | undefined)?.CloudWatchMetrics;
    if (!Array.isArray(directives)) return;
    for (const directive of directives) {
      if (typeof directive.Namespace !== 'string' || !Array.isArray(directive.Metrics)) continue;
      let metrics = this.byNamespace.get(directive.Namespace);
      if (!metrics) this.byNamespace.set(directive.Namespace, (metrics = new Map()));
      for (const { Name, Unit } of directive.Metrics) {
        if (typeof Name !== 'string') continue;
        const raw = doc[Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        for (const value of values) {
          const stats = metrics.get(Name);
          if (!stats) metrics.set(Name, { unit: typeof Unit === 'string' ? Unit : 'None', samples: 1, sum: value, min: value, max: value });
          else {
            stats.samples += 1;
            stats.sum += value;
            stats.min = Math.min(stats.min, value);
            stats.max = Math.max(stats.max, value);
          }
        }
      }
    }
  }

  /** `{ <namespace>: { <metric>: stats } }`, names sorted. */
  snapshot(): Record<string, Record<string, MetricStats>> {
    const sorted = <T>(m: Map<string, T>) => Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)));
    return sorted(new Map([...this.byNamespace.entries()].map(([ns, metrics]) => [ns, sorted(metrics)])));
  }

  clear(): void {
    this.byNamespace.clear();
  }
}

/** The route: true when it answered. */
export function metricsHttpHandler(metrics: LocalMetrics): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (path !== '/dev/metrics') return false;
    const method = req.method ?? 'GET';
    if (method === 'DELETE') {
      metrics.clear();
      send(res, 204, '');
    } else if (method === 'GET' || method === 'HEAD')
      sendJson(res, 200, { namespaces: metrics.snapshot() }, { 'Cache-Control': 'no-store' });
    else sendProblem(res, 405, 'Method Not Allowed', `${method} ${path}`, { Allow: 'GET, HEAD, DELETE' });
    return true;
  };
}
