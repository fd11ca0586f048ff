/** How the CLI words an API refusal: the problem's text, then one line saying what to do. */
import { UnauthorizedError } from '../../../client/errors';
import { describeApiError } from '../../../cli/output';

const invalidToken = (detail: string) =>
  new UnauthorizedError(401, {
    type: 'https://jitgate.dev/problems/invalid-token',
    title: 'The bearer token is missing or not valid',
    status: 401,
    detail,
  });

test("a token from another data directory's keys names JITGATE_DATA_DIR, when --as minted it", () => {
  const err = invalidToken('JWK for kid "p3sB" not found in the JWKS');
  expect(describeApiError(err, { asUser: 'alice' })).toContain('same JITGATE_DATA_DIR as npm start');
  // Without --as the CLI did not sign it: the general advice.
  expect(describeApiError(err, {})).toContain('pass a current token');
});

test('any other refused token gets the general advice', () => {
  const message = describeApiError(invalidToken('the token expired'), { asUser: 'alice' });
  expect(message).toContain('pass a current token');
  expect(message).not.toContain('JITGATE_DATA_DIR');
});
