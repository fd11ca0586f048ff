/** Nearest-name suggestions: a typo gets the name it meant, a stranger gets nothing. */
import { didYouMean, editDistance, nearest } from '../../shared/domain/suggest';

test.each([
  ['', '', 0],
  ['abc', '', 3],
  ['', 'abc', 3],
  ['delete', 'delete', 0],
  ['delte', 'delete', 1],
  ['dleete', 'delete', 1],
  ['kitten', 'sitting', 3],
  ['ca', 'abc', 3],
])('editDistance(%j, %j) is %d', (a, b, d) => {
  expect(editDistance(a, b)).toBe(d);
  expect(editDistance(b, a)).toBe(d);
});

const actions = ['projects:delete', 'payments:approve', 'prod:debug', 'reports:read'];

test.each([
  ['projects:delet', 'projects:delete'],
  ['project:delete', 'projects:delete'],
  ['prod:degub', 'prod:debug'],
  ['Reports:Read', 'reports:read'],
  ['payment:approve', 'payments:approve'],
])('%j is nearest to %j', (word, expected) => {
  expect(nearest(word, actions)).toBe(expected);
});

test('a name far from every candidate gets no suggestion', () => {
  expect(nearest('billing:refund', actions)).toBeUndefined();
  expect(nearest('projects:create', actions)).toBeUndefined();
  expect(
    nearest(
      'x',
      ['y', 'z'].map((c) => c.repeat(5)),
    ),
  ).toBeUndefined();
  expect(didYouMean('billing:refund', actions)).toBe('');
});

test('a prefix of a longer name is suggested: duration for durationSeconds', () => {
  expect(nearest('duration', ['action', 'resource', 'justification', 'durationSeconds', 'ticket'])).toBe('durationSeconds');
  expect(didYouMean('duration', ['durationSeconds'])).toBe(' (did you mean "durationSeconds"?)');
});

test('the word itself is never suggested, and ties go to the first candidate', () => {
  expect(nearest('a:b', ['a:b'])).toBeUndefined();
  expect(nearest('ab', ['ac', 'ad'])).toBe('ac');
});
