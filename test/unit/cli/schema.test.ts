/** The JSON Schema editors use for jitgate.config.json is generated from the zod schema; a stale copy fails here. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configJsonSchemaText, SCHEMA_FILE } from '../../../cli/schema';
import { DEMO_CONFIG_FILE } from '../../support/demo-config';

test('jitgate.schema.json is what `npm run schema` generates now (run it after changing the config schema)', () => {
  expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(configJsonSchemaText());
});

test('the demo config points editors at it', () => {
  const config = JSON.parse(readFileSync(DEMO_CONFIG_FILE, 'utf8')) as { $schema: string };
  expect(path.resolve(path.dirname(DEMO_CONFIG_FILE), config.$schema)).toBe(SCHEMA_FILE);
});

test('the schema describes the policy fields, conditions included', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
  const policy = schema.properties.policies.items;
  expect(Object.keys(policy.properties)).toEqual(
    expect.arrayContaining([
      'action',
      'resource',
      'requesters',
      'deny',
      'autoApprove',
      'approvals',
      'mfa',
      'grant',
      'justification',
      'ticket',
      'breakGlass',
    ]),
  );
  expect(policy.additionalProperties).toBe(false);
  expect(policy.properties.requesters.$ref).toBe('#/$defs/Condition');
  expect(schema.$defs.Condition.anyOf).toHaveLength(7);
});
