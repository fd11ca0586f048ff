/**
 * asl-validator (the Amazon States Language validator on npm: JSON schema, transition
 * targets, terminal states, JSONPath syntax, Resource ARNs, timeouts) over the state
 * machine definition as deployed: the template's DefinitionString with its intrinsics
 * resolved to well-formed us-east-1 ARNs.
 */
import { findStateMachine } from '../../local/cfn';
import { STATE } from '../../infra/workflow';
import { httpsIssuerTemplate } from './support';

// asl-validator is CommonJS with `module.exports = validator` and no type declarations of that shape.
const aslValidator = require('asl-validator') as (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => {
  isValid: boolean;
  errors: { message?: string; 'Error code'?: string }[];
  errorsText(separator?: string): string;
};

const ALL_CHECKS = { checkPaths: true, checkArn: true };

let definition: Record<string, any>;
beforeAll(async () => {
  const template = await httpsIssuerTemplate();
  definition = findStateMachine(template, { region: 'us-east-1', accountId: '123456789012' }).definition;
});

test('the deployed definition is valid ASL, with every check on', () => {
  const result = aslValidator(structuredClone(definition), ALL_CHECKS);
  expect(result.isValid ? '' : result.errorsText('\n')).toBe('');
  expect(Object.keys(definition.States)).toContain(STATE.activate);
});

test('the validator sees the mistakes it should (so a pass above means something)', () => {
  const broken = structuredClone(definition);
  broken.States[STATE.activate].Next = 'NoSuchState';
  broken.States[STATE.mfaChallenge].TimeoutSeconds = 60; // next to TimeoutSecondsPath
  const result = aslValidator(broken, ALL_CHECKS);
  expect(result.isValid).toBe(false);
  expect(result.errorsText('\n')).toMatch(/NoSuchState/);
  expect(result.errors.map((e) => e['Error code'])).toContain('TASK_TIMEOUT');
});
