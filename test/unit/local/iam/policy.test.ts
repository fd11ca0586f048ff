/**
 * Local mode's IAM evaluator against AWS's documented policy evaluation logic:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
import {
  actionMatches,
  evaluate,
  resourceMatches,
  validatePolicy,
  wildcardMatch,
  type NamedPolicy,
  type Statement,
} from '../../../../local/iam/policy';

const TABLE = 'arn:aws:dynamodb:local:000000000000:table/jitgate';
const policy = (...statements: Statement[]): NamedPolicy[] => [{ name: 'p', document: { Version: '2012-10-17', Statement: statements } }];
const kind = (policies: NamedPolicy[], action: string, resource: string, context?: Record<string, string>) =>
  evaluate(policies, { action, resource, ...(context ? { context } : {}) }).kind;

describe('wildcards', () => {
  test.each([
    ['*', '', true],
    ['*', 'anything:at/all', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a*c', 'ac', true],
    ['a*c', 'abxbc', true],
    ['a*c', 'abxbd', false],
    ['*b*b*', 'abab', true],
    ['abc', 'abcd', false],
  ])('%s against %s: %s', (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected);
  });

  test('actions match case-insensitively, with wildcards', () => {
    expect(actionMatches('dynamodb:PutItem', 'DynamoDB:putitem')).toBe(true);
    expect(actionMatches('dynamodb:*Item', 'dynamodb:UpdateItem')).toBe(true);
    expect(actionMatches('dynamodb:Get*', 'dynamodb:Query')).toBe(false);
    expect(actionMatches('states:SendTask????ess', 'states:SendTaskSuccess')).toBe(true);
  });

  test('ARNs match case-sensitively, segment by segment, the resource part as one string', () => {
    expect(resourceMatches(TABLE, TABLE)).toBe(true);
    expect(resourceMatches(TABLE, TABLE.replace('jitgate', 'Jitgate'))).toBe(false);
    expect(resourceMatches('arn:aws:dynamodb:*:*:table/jitgate', TABLE)).toBe(true);
    expect(resourceMatches(`${TABLE}/index/*`, `${TABLE}/index/gsi1`)).toBe(true);
    expect(resourceMatches(`${TABLE}/index/*`, TABLE)).toBe(false);
    expect(
      resourceMatches('arn:aws:states:local:000000000000:execution:jitgate:*', 'arn:aws:states:local:000000000000:execution:jitgate:req-1'),
    ).toBe(true);
    // A wildcard in the region does not reach into the account.
    expect(resourceMatches('arn:aws:sns:*:topic', 'arn:aws:sns:local:000000000000:topic')).toBe(false);
    expect(resourceMatches('arn:aws:lambda:local:000000000000:function:Fn:*', 'arn:aws:lambda:local:000000000000:function:Fn')).toBe(false);
  });
});

describe('evaluation', () => {
  const allowPut: Statement = { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: TABLE };

  test('no statement applies: implicit deny', () => {
    expect(kind([], 'dynamodb:PutItem', TABLE)).toBe('implicitly-denied');
    expect(kind(policy(allowPut), 'dynamodb:DeleteItem', TABLE)).toBe('implicitly-denied');
    expect(kind(policy(allowPut), 'dynamodb:PutItem', `${TABLE}-other`)).toBe('implicitly-denied');
  });

  test('an allow that applies allows', () => {
    expect(kind(policy(allowPut), 'dynamodb:PutItem', TABLE)).toBe('allowed');
    expect(kind(policy({ Effect: 'Allow', Action: ['sns:Publish', 'dynamodb:*'], Resource: ['x', TABLE] }), 'dynamodb:Query', TABLE)).toBe(
      'allowed',
    );
  });

  test('an explicit deny wins over any allow, in any policy, in any order', () => {
    const deny: Statement = { Effect: 'Deny', Action: 'dynamodb:*', Resource: '*' };
    expect(kind(policy(allowPut, deny), 'dynamodb:PutItem', TABLE)).toBe('explicitly-denied');
    expect(kind([...policy(deny), ...policy(allowPut)], 'dynamodb:PutItem', TABLE)).toBe('explicitly-denied');
  });

  test('NotAction and NotResource apply to everything they do not name', () => {
    const allButDelete: Statement = { Effect: 'Allow', NotAction: 'dynamodb:DeleteItem', Resource: TABLE };
    expect(kind(policy(allButDelete), 'dynamodb:PutItem', TABLE)).toBe('allowed');
    expect(kind(policy(allButDelete), 'dynamodb:deleteitem', TABLE)).toBe('implicitly-denied');
    const denyOutside: Statement = { Effect: 'Deny', Action: '*', NotResource: [TABLE, `${TABLE}/index/*`] };
    expect(kind(policy(allowPut, { Effect: 'Allow', Action: '*', Resource: '*' }, denyOutside), 'dynamodb:PutItem', `${TABLE}2`)).toBe(
      'explicitly-denied',
    );
    expect(kind(policy(allowPut, denyOutside), 'dynamodb:PutItem', TABLE)).toBe('allowed');
  });

  test('conditions: a missing key fails a positive operator, passes a negated one and IfExists', () => {
    const arnLike: Statement = { ...allowPut, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:states:*:*:stateMachine:*' } } };
    expect(kind(policy(arnLike), 'dynamodb:PutItem', TABLE)).toBe('implicitly-denied');
    expect(kind(policy(arnLike), 'dynamodb:PutItem', TABLE, { 'aws:sourcearn': 'arn:aws:states:local:1:stateMachine:m' })).toBe('allowed');
    const notEquals: Statement = { ...allowPut, Condition: { StringNotEquals: { 'aws:SourceAccount': '111111111111' } } };
    expect(kind(policy(notEquals), 'dynamodb:PutItem', TABLE)).toBe('allowed');
    expect(kind(policy(notEquals), 'dynamodb:PutItem', TABLE, { 'aws:SourceAccount': '111111111111' })).toBe('implicitly-denied');
    const ifExists: Statement = { ...allowPut, Condition: { StringEqualsIfExists: { 'aws:SourceAccount': '000000000000' } } };
    expect(kind(policy(ifExists), 'dynamodb:PutItem', TABLE)).toBe('allowed');
    expect(kind(policy(ifExists), 'dynamodb:PutItem', TABLE, { 'aws:SourceAccount': '1' })).toBe('implicitly-denied');
  });

  test('an operator local mode does not evaluate never widens access: the Allow does not apply, the Deny does', () => {
    const odd = { NumericLessThan: { 's3:max-keys': '10' } };
    expect(kind(policy({ ...allowPut, Condition: odd }), 'dynamodb:PutItem', TABLE)).toBe('implicitly-denied');
    expect(kind(policy(allowPut, { Effect: 'Deny', Action: '*', Resource: '*', Condition: odd }), 'dynamodb:PutItem', TABLE)).toBe(
      'explicitly-denied',
    );
  });

  test('malformed policies are refused at load, naming the policy', () => {
    expect(() => validatePolicy('Fn/Policy', { Statement: [{ Effect: 'Allow', Action: 'x' }] })).toThrow(/Fn\/Policy.*Resource/);
    expect(() => validatePolicy('Fn/Policy', { Statement: [{ Effect: 'Maybe', Action: 'x', Resource: '*' }] })).toThrow(/Effect/);
    expect(() => validatePolicy('Fn/Policy', { Statement: [{ Effect: 'Allow', Action: { Ref: 'X' }, Resource: '*' }] })).toThrow(
      /intrinsics/,
    );
    expect(validatePolicy('ok', { Statement: { Effect: 'Allow', Action: 'x', Resource: '*' } })).toBeDefined();
  });
});
