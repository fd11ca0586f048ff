/**
 * The definition is checked with the interpreter's own validator (asl-validator), as AWS
 * checks it when the state machine is created. Compiling that validator's JSON schemas costs
 * about 2.5 s of CPU, most of local mode's start, and a definition changes only with the
 * template: with a cache directory, a definition that passed once (the same bytes) is
 * remembered there and not checked again.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';

/** The file that says `definition` passed. */
export function validatedMarker(definition: object, cacheDir: string): string {
  return path.join(cacheDir, `asl-valid-${createHash('sha256').update(JSON.stringify(definition)).digest('hex')}`);
}

export function validateDefinition(definition: object, cacheDir?: string): void {
  const marker = cacheDir && validatedMarker(definition, cacheDir);
  if (marker && existsSync(marker)) return;
  // Paths and ARNs are not checked: local ARNs and CDK's JSONPath forms are not always to the validator's taste.
  // A copy: the validator writes a default QueryLanguage into each state, which AWS does not.
  new StateMachine(structuredClone(definition) as never, { validationOptions: { checkPaths: false, checkArn: false } });
  if (!marker) return;
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(marker, '');
}
