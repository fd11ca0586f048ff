/** An unknown key in a body or the config names the key it was probably meant to be. */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../shared/config/config';
import { knownKeysAt } from '../../shared/config/unknown-keys';
import { ValidationFailed } from '../../shared/domain/errors';
import { createRequestBody } from '../../shared/web/api-schemas';
import { errorResponse, validate } from '../../shared/web/http';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

type Demo = { policies: Record<string, unknown>[] };
const demo = JSON.parse(readFileSync(DEMO_CONFIG_FILE, 'utf8')) as Demo;

test('alice sends "duration": the 400 problem suggests "durationSeconds"', () => {
  let error: unknown;
  try {
    validate(createRequestBody, { action: 'prod:debug', duration: 600 }, 'body');
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ValidationFailed);
  const answer = errorResponse(error);
  expect(answer.statusCode).toBe(400);
  const doc = JSON.parse(answer.body) as { detail: string; errors: { path: string; message: string }[] };
  expect(doc.errors).toEqual([{ path: 'body', message: 'Unrecognized key: "duration" (did you mean "durationSeconds"?)' }]);
  expect(doc.detail).toContain('did you mean "durationSeconds"?');
});

test('a key far from every known one lists the keys instead', () => {
  expect(() => validate(createRequestBody, { action: 'prod:debug', colour: 'red' }, 'body')).toThrow(
    /the keys here are action, resource, justification, durationSeconds/,
  );
});

test('a misspelt key in the config names the right one', () => {
  expect(() => parseConfig({ ...demo, approverGroup: {} }, 'jitgate.config.json', { mode: 'local' })).toThrow(
    /\(root\): Unrecognized key: "approverGroup" \(did you mean "approverGroups"\?\)/,
  );
  const raw = { ...demo, policies: [{ ...demo.policies[0], justfication: demo.policies[0]!.justification }, ...demo.policies.slice(1)] };
  delete (raw.policies[0] as Record<string, unknown>).justification;
  expect(() => parseConfig(raw, 'jitgate.config.json', { mode: 'local' })).toThrow(
    /policies\[0\]: unknown key "justfication" \(did you mean "justification"\?\)/,
  );
});

test('knownKeysAt walks objects, arrays and wrappers, and knows nothing past a union', () => {
  expect(knownKeysAt(createRequestBody, [])).toContain('durationSeconds');
  expect(knownKeysAt(createRequestBody, ['action'])).toEqual([]);
});
