/** The HTTP edge's one mapping from the error tree to statuses and problem documents. */
import { ConcurrentModification, DependencyUnavailable } from '../../../shared/domain/errors';
import { errorResponse } from '../../../shared/web/http';

describe('errors that say when to come back', () => {
  test('a race lost on every retry is a 503 with Retry-After, not a 500', () => {
    const res = errorResponse(new ConcurrentModification());
    expect(res.statusCode).toBe(503);
    expect(res.headers).toMatchObject({ 'retry-after': '1', 'content-type': 'application/problem+json' });
    expect(JSON.parse(res.body)).toMatchObject({
      type: 'https://jitgate.dev/problems/concurrent-modification',
      status: 503,
      retryAfter: 1,
    });
  });

  test('its name survives minification: the state machine retries its steps on it', () => {
    expect(new ConcurrentModification().name).toBe('ConcurrentModification');
  });

  test('an unavailable dependency says the same', () => {
    const res = errorResponse(new DependencyUnavailable('the database is unavailable', 2));
    expect(res.statusCode).toBe(503);
    expect(res.headers).toMatchObject({ 'retry-after': '2' });
  });
});
