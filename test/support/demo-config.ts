/**
 * The demo config, as the tests that describe the demo read it: always the one that ships in
 * examples/demo/, never a jitgate.config.json a user wrote at the repository root.
 */
import { readFileSync } from 'node:fs';

export { DEMO_CONFIG_FILE } from '../../shared/config/config-file';
import { DEMO_CONFIG_FILE } from '../../shared/config/config-file';

export type DemoConfig = typeof import('../../examples/demo/jitgate.config.json');

/** A fresh copy of the demo config's JSON, for a test to read or change. */
export function readDemoConfig(): DemoConfig {
  return JSON.parse(readFileSync(DEMO_CONFIG_FILE, 'utf8')) as DemoConfig;
}
