/** local/setup.ts: the synthesized template's cache key covers everything the stack is built from. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { templateKey } from '../../../local/setup';
import { parseConfig } from '../../../shared/config/config';
import { readDemoConfig } from '../../support/demo-config';

let root: string;
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
};

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'jitgate-template-key-'));
  write('package-lock.json', '{}');
  write('infra/stack.ts', 'export {};');
  write('shared/domain/closed.ts', "export const CLOSED = ['expired'];");
  write('local/server.ts', 'export {};');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test('a change in any infra or shared source, however deep, or in the lockfile changes the key; local mode sources do not', () => {
  const config = parseConfig(readDemoConfig());
  const key = () => templateKey(root, config);
  const first = key();
  expect(key()).toBe(first);
  write('local/server.ts', 'export const changed = 1;');
  expect(key()).toBe(first);

  const keys = new Set([first]);
  for (const [file, text] of [
    ['shared/domain/closed.ts', "export const CLOSED = ['expired', 'failed'];"],
    ['shared/web/console/layout.ts', 'export {};'],
    ['infra/stack.ts', 'export const changed = 1;'],
    ['package-lock.json', '{"lockfileVersion":3}'],
  ] as const) {
    write(file, text);
    keys.add(key());
  }
  expect(keys.size).toBe(5);
});

test('the port of the development issuer is not part of the key: one template serves every port', () => {
  const config = parseConfig(readDemoConfig());
  const dev = Object.entries(config.issuers).find(([, i]) => i.development)!;
  const at = (port: number) => ({
    ...config,
    issuers: { ...config.issuers, [dev[0]]: { ...dev[1], issuer: `http://127.0.0.1:${port}/dev/idp` } },
  });
  expect(templateKey(root, at(4000))).toBe(templateKey(root, at(4321)));
});
