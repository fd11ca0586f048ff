/** local/metrics.ts: EMF lines as the functions print them, aggregated as CloudWatch would. */
import { LocalMetrics } from '../../../local/metrics';

const emf = (values: Record<string, number | number[]>, units: Record<string, string>) =>
  JSON.stringify({
    _aws: {
      Timestamp: 1,
      CloudWatchMetrics: [
        { Namespace: 'jitgate', Dimensions: [['service']], Metrics: Object.entries(units).map(([Name, Unit]) => ({ Name, Unit })) },
      ],
    },
    service: 'jitgate',
    ...values,
  });

test('counts and durations add up per metric; log lines and broken JSON are ignored', () => {
  const m = new LocalMetrics();
  m.record(emf({ RequestsCreated: 1 }, { RequestsCreated: 'Count' }));
  m.record(emf({ RequestsCreated: 1, TimeToDecision: [120, 30] }, { RequestsCreated: 'Count', TimeToDecision: 'Milliseconds' }));
  m.record('{"level":"INFO","message":"handled","correlation_id":"req-1"}');
  m.record('{"_aws": not json');
  m.record('plain text');
  expect(m.snapshot()).toEqual({
    jitgate: {
      RequestsCreated: { unit: 'Count', samples: 2, sum: 2, min: 1, max: 1 },
      TimeToDecision: { unit: 'Milliseconds', samples: 2, sum: 150, min: 30, max: 120 },
    },
  });
  m.clear();
  expect(m.snapshot()).toEqual({});
});
