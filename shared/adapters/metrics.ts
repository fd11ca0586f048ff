/**
 * The `Metrics` port as CloudWatch embedded metric format (EMF) lines in the function's
 * log, through Powertools Metrics, namespace `jitgate`, dimension `service`. Values are
 * buffered per invocation and flushed by `flushMetrics()` (shared/observability.ts, at the
 * end of every handler): one JSON line that CloudWatch turns into metrics, and that local
 * mode reads back for `GET /dev/metrics`.
 */
import { Metrics as Powertools, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CountMetric, DurationMetric, Metrics } from '../usecases/ports';

export const METRICS_NAMESPACE = 'jitgate';

const powertools = new Powertools({ namespace: METRICS_NAMESPACE, serviceName: 'jitgate' });
let pending = false;

export const emfMetrics: Metrics = {
  count(name: CountMetric, value = 1) {
    powertools.addMetric(name, MetricUnit.Count, value);
    pending = true;
  },
  duration(name: DurationMetric, ms: number) {
    powertools.addMetric(name, MetricUnit.Milliseconds, ms);
    pending = true;
  },
};

/** Writes what this invocation recorded as EMF; nothing when it recorded nothing. */
export function flushMetrics(): void {
  if (!pending) return;
  pending = false;
  powertools.publishStoredMetrics();
}
