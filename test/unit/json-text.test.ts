/** A JSON mistake in the config file is reported at its line and column, by `npm start` and by `npx jitgate explain`. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../cli/cli';
import { jsonErrorOffset, lineAndColumn, parseJsonText } from '../../shared/config/json-text';
import { ConfigError } from '../../shared/domain/errors';
import { readConfigFile } from '../../shared/config/config-file';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

const ROOT = path.resolve(__dirname, '../..');
let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'jitgate-json-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each([
  ['{"a": 1}', -1],
  ['[1, -2.5e3, "x\\u00e9", true, false, null, {}, []]', -1],
  ['{"a": 1,}', 8],
  ['{"a": 1', 7],
  ['{"a" 1}', 5],
  ['{a: 1}', 1],
  ['{"a": x}', 6],
  ['{"a": tru}', 6],
  ['{"a": 01}', 7],
  ['{"a": "x\ny"}', 8],
  ['{"a": "\\q"}', 8],
  ['{} x', 3],
  ['', 0],
])('jsonErrorOffset(%j) is %d, and agrees with JSON.parse about what is JSON', (text, offset) => {
  expect(jsonErrorOffset(text)).toBe(offset);
  if (offset < 0) expect(() => JSON.parse(text)).not.toThrow();
  else expect(() => JSON.parse(text)).toThrow();
});

test('lineAndColumn counts from 1', () => {
  expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
  expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
});

const trailingComma = '{\n  "issuers": {},\n  "policies": [\n    { "action": "a", },\n  ]\n}\n';

test('parseJsonText names the file, line and column and points at the spot', () => {
  let err: unknown;
  try {
    parseJsonText(trailingComma, 'jitgate.config.json');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toBe(
    [
      'jitgate.config.json is not valid JSON at line 4, column 22: Expected double-quoted property name',
      '      { "action": "a", },',
      `  ${' '.repeat(21)}^`,
    ].join('\n'),
  );
});

test('npm start (readConfigFile) reports the line and column', () => {
  const file = path.join(dir, 'start.json');
  writeFileSync(file, trailingComma);
  expect(() => readConfigFile({ file, from: 'flag' }, 'local')).toThrow(/start\.json is not valid JSON at line 4, column 22/);
});

test('npx jitgate explain reports the line and column', async () => {
  const file = path.join(dir, 'explain.json');
  const demo = readFileSync(DEMO_CONFIG_FILE, 'utf8');
  // A comma forgotten after the first policy's "action".
  writeFileSync(file, demo.replace('"action": "projects:delete",', '"action": "projects:delete"'));
  const line = demo.slice(0, demo.indexOf('"action": "projects:delete",')).split('\n').length + 1;
  let stderr = '';
  const code = await main(['explain', '--user', 'alice', '--action', 'projects:delete', '--config', file], {
    cwd: ROOT,
    env: {},
    stdout: { write: () => true },
    stderr: { write: (t: string) => (stderr += t) },
  });
  expect(code).toBe(1);
  const expected = `explain\\.json is not valid JSON at line ${line}, column \\d+: Expected ',' or '}' after property value\\n`;
  expect(stderr).toMatch(new RegExp(expected));
});
