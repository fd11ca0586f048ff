/** The resource grammar: names another layer would decode, resolve or show differently are refused. */
import { resourceProblem } from '../../../shared/domain/resource';

test.each([
  'datasets/q3-payroll',
  'projects/42',
  'cluster/eu-1',
  '*',
  'arn:aws:s3:::bucket/key with spaces',
  'données/été',
  'emoji/\u{1F600}',
  'a/.hidden/b...c/..d/d..',
])('accepts %j', (resource) => {
  expect(resourceProblem(resource)).toBeUndefined();
});

test.each([
  ['datasets/public-x/../q3-payroll', /"\.\." segments/],
  ['../../q3-payroll', /segments/],
  ['datasets/./q3', /segments/],
  ['datasets/..', /segments/],
  ['datasets/public-%2F..%2Fq3-payroll', /percent/],
  ['datasets\\..\\q3', /backslash/],
  ['datasets/q3\u0000', /control/],
  ['datasets/q3\u0085', /control/],
  ['datasets/q3#x', /"#"/],
  ['datasets/\u202eq3', /bidirectional/],
  ['datasets/q3\u2066', /bidirectional/],
  ['datasets/q\u200b3', /zero-width/],
  ['datasets/q3\ufeff', /zero-width/],
  ['datasets/q3\ud800', /surrogate/],
  ['\udc00datasets', /surrogate/],
  ['', /empty/],
  ['x'.repeat(1025), /at most 1024/],
])('refuses %j', (resource, why) => {
  expect(resourceProblem(resource)).toMatch(why);
});
