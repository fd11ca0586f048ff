/** A misspelt action is denied, as every action no policy names is; the denial names the action that was meant. */
import { evaluate, PolicyIndex } from '../../shared/domain/policy';
import { config, demo } from '../support/principals';

const index = new PolicyIndex(config);

test('alice asks for "projects:delet": no policy covers it, and the reason suggests "projects:delete"', () => {
  const e = evaluate(index, demo('alice'), 'projects:delet', 'projects/42');
  expect(e).toMatchObject({ outcome: 'denied', rule: 'default' });
  expect(e.reason).toBe(
    'no policy covers "projects:delet" on resource "projects/42" (did you mean "projects:delete"?); what no policy covers is denied',
  );
});

test('dave asks for "prod:debgu": only the wildcard "prod:*" matches, it denies him, and the reason suggests "prod:debug"', () => {
  const e = evaluate(index, demo('dave'), 'prod:debgu', '*');
  expect(e).toMatchObject({ outcome: 'denied', clause: 'requesters' });
  expect(e.reason).toMatch(/may only be requested by callers where .*/);
  expect(e.reason).toMatch(/ \("prod:debgu" matched only "prod:\*"; did you mean "prod:debug"\?\)$/);
});

test('an action near no configured name is denied without a guess', () => {
  expect(evaluate(index, demo('alice'), 'billing:refund', '*').reason).not.toMatch(/did you mean/);
  expect(evaluate(index, demo('dave'), 'prod:restart-cluster', '*').reason).not.toMatch(/did you mean/);
});

test('a wildcard match that allows is left alone', () => {
  expect(evaluate(index, demo('alice'), 'prod:debgu', '*')).toMatchObject({ outcome: 'requestable', rule: 'policies[3] prod:*' });
});

test('nearestAction knows only the exact names', () => {
  expect(index.nearestAction('prod:x')).toBeUndefined();
  expect(index.nearestAction('data:exprot')).toBe('data:export');
});
