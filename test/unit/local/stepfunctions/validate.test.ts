import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateDefinition, validatedMarker } from '../../../../local/stepfunctions/validate';

const valid = { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } };
const invalid = { StartAt: 'Done', States: { Done: { Type: 'Sleep' } } };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jitgate-asl-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a definition that passes is remembered; one that fails is refused and not remembered', () => {
  expect(() => validateDefinition(invalid, dir)).toThrow(/State machine definition is invalid|Type/);
  expect(readdirSync(dir)).toEqual([]);
  validateDefinition(valid, dir);
  expect(readdirSync(dir)).toHaveLength(1);
  validateDefinition(valid, dir);
  expect(readdirSync(dir)).toHaveLength(1);
});

test('a remembered definition is not checked again; without a cache directory every call checks', () => {
  // The marker a pass would have left, for a definition that does not pass: trusted, not checked.
  writeFileSync(validatedMarker(invalid, dir), '');
  expect(() => validateDefinition(invalid, dir)).not.toThrow();
  expect(() => validateDefinition(invalid)).toThrow();
  expect(() => validateDefinition(valid)).not.toThrow();
});

test('the definition handed in is left as written', () => {
  const definition = structuredClone(valid);
  validateDefinition(definition, dir);
  expect(definition).toEqual(valid);
});
