/**
 * A function reads the config inlined into its bundle without the schema (shared/config/bundled-config.ts):
 * that is safe only because the schema's output, written as JSON and read back, is what the schema
 * would make of it again. Checked on the demo config and on the bench's, which has every step.
 */
import { benchConfig } from '../../../bench/support';
import { deployedConfig } from '../../../infra/deployed-config';
import { bundledConfig } from '../../../shared/config/bundled-config';
import { parseConfig } from '../../../shared/config/config';
import { readDemoConfig } from '../../support/demo-config';

const demo = parseConfig(readDemoConfig(), 'demo', { mode: 'local' });

test.each([
  ['the demo config, as local mode inlines it', JSON.stringify(demo), 'local'],
  ['the demo config, as the stack inlines it', JSON.stringify(deployedConfig(demo).config), 'deploy'],
  ['the bench config', JSON.stringify(benchConfig()), 'local'],
] as const)('%s reads back as the schema would parse it', (_name, json, mode) => {
  expect(bundledConfig(json, mode)).toEqual(parseConfig(JSON.parse(json), 'again', { mode, allowNoIssuer: true }));
});

test('the rules of where it runs are still checked: an http issuer is refused on AWS', () => {
  const json = JSON.stringify({ ...demo, issuers: { other: { issuer: 'http://127.0.0.1:9/other', audience: ['jitgate'] } } });
  expect(() => bundledConfig(json, 'deploy')).toThrow(/issuers\.other\.issuer: issuer "other" is http:\/\//);
  expect(bundledConfig(json, 'local').issuers.other?.issuer).toBe('http://127.0.0.1:9/other');
});

test('a bundle built without its config says so', () => {
  expect(() => bundledConfig(undefined, 'deploy')).toThrow(/built without its config/);
});
