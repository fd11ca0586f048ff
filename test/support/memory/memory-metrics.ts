/** The `Metrics` port in memory: every count and duration, in order, for tests to read. */
import type { CountMetric, DurationMetric, Metrics } from '../../../shared/usecases/ports';

export class MemoryMetrics implements Metrics {
  readonly recorded: { name: CountMetric | DurationMetric; value: number }[] = [];

  count(name: CountMetric, value = 1): void {
    this.recorded.push({ name, value });
  }

  duration(name: DurationMetric, ms: number): void {
    this.recorded.push({ name, value: ms });
  }

  /** The sum of a metric's values (a count's occurrences). */
  total(name: CountMetric | DurationMetric): number {
    return this.recorded.filter((m) => m.name === name).reduce((sum, m) => sum + m.value, 0);
  }
}
