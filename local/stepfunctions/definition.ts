/**
 * What the interpreter runs, derived from the definition as written: each Task state's binding (which
 * local integration its `Resource` names) and the rewrites that work around aws-local-stepfunctions 3.0.0
 * (`TimeoutSecondsPath`, the `States.Hash` SHA-256 shim; see `prepareDefinition`).
 */
import { createHash } from 'node:crypto';
import { cloneJson, isObject } from './json';

type AslState = Record<string, any>;
export type AslDefinition = { StartAt: string; States: Record<string, AslState>; [other: string]: unknown };

/** Hidden keys of the rewritten `Parameters` (see `prepareDefinition`). */
export const PARAMS_KEY = '__jitgateParameters';
export const TIMEOUT_KEY = '__jitgateTimeoutSeconds';

export type Integration =
  | { kind: 'lambda-invoke' }
  | { kind: 'lambda-direct'; functionName: string }
  | { kind: 'dynamodb'; action: string; errorPrefix: 'DynamoDb' | 'DynamoDB' }
  | { kind: 'sns-publish' }
  | { kind: 'unsupported'; reason: string };

export interface TaskBinding {
  stateName: string;
  resource: string;
  integration: Integration;
  callback: boolean;
  /** `resourceType` / `resource` of the TaskScheduled event details. */
  resourceType: string;
  resourceLabel: string;
  /** Parameters were wrapped to evaluate TimeoutSecondsPath (input is `{ [PARAMS_KEY], [TIMEOUT_KEY] }`). */
  wrapped: boolean;
  timeoutSeconds?: number;
}

/** `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`, a partial ARN or a plain name → `<name>`. */
export function functionNameFromArn(arnOrName: string): string {
  const match = /(?:^|:)function:([^:]+)/.exec(arnOrName);
  return match ? match[1]! : arnOrName;
}

function parseResource(resource: string): { integration: Integration; callback: boolean; resourceType: string; resourceLabel: string } {
  const lambdaArn = /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(resource);
  if (lambdaArn) {
    return {
      integration: { kind: 'lambda-direct', functionName: lambdaArn[1]! },
      callback: false,
      resourceType: 'lambda',
      resourceLabel: resource,
    };
  }
  const service = /^arn:aws[\w-]*:states:::(.+)$/.exec(resource);
  if (!service) {
    return {
      integration: { kind: 'unsupported', reason: `Resource ${resource} is not supported by local mode` },
      callback: false,
      resourceType: 'unknown',
      resourceLabel: resource,
    };
  }
  let rest = service[1]!;
  let callback = false;
  if (rest.endsWith('.waitForTaskToken')) {
    callback = true;
    rest = rest.slice(0, -'.waitForTaskToken'.length);
  }
  const suffix = callback ? '.waitForTaskToken' : '';
  const unsupported = (why: string) => ({
    integration: { kind: 'unsupported' as const, reason: `Resource ${resource} is not supported by local mode${why}` },
    callback,
    resourceType: rest.split(':').slice(0, -1).join(':') || rest,
    resourceLabel: (rest.split(':').pop() ?? rest) + suffix,
  });
  if (rest.endsWith('.sync') || rest.includes('.sync:'))
    return unsupported(' (.sync integrations are not supported by local mode; the jitgate state machine uses none)');
  if (rest === 'lambda:invoke') {
    return { integration: { kind: 'lambda-invoke' }, callback, resourceType: 'lambda', resourceLabel: 'invoke' + suffix };
  }
  if (rest === 'sns:publish') {
    return { integration: { kind: 'sns-publish' }, callback, resourceType: 'sns', resourceLabel: 'publish' + suffix };
  }
  const sdk = /^aws-sdk:dynamodb:([A-Za-z]+)$/.exec(rest);
  if (sdk) {
    return {
      integration: { kind: 'dynamodb', action: sdk[1]!, errorPrefix: 'DynamoDb' },
      callback,
      resourceType: 'aws-sdk:dynamodb',
      resourceLabel: sdk[1]! + suffix,
    };
  }
  const optimized = /^dynamodb:(getItem|putItem|updateItem|deleteItem)$/.exec(rest);
  if (optimized) {
    return {
      integration: { kind: 'dynamodb', action: optimized[1]!, errorPrefix: 'DynamoDB' },
      callback,
      resourceType: 'dynamodb',
      resourceLabel: optimized[1]! + suffix,
    };
  }
  return unsupported('');
}

/** Nested state collections: the top level, Parallel branches, Map iterators. */
function forEachStates(definition: { States: Record<string, AslState> }, visit: (states: Record<string, AslState>) => void): void {
  visit(definition.States);
  for (const state of Object.values(definition.States)) {
    if (state['Type'] === 'Parallel' && Array.isArray(state['Branches'])) {
      for (const branch of state['Branches'])
        if (isObject(branch) && isObject(branch['States'])) forEachStates(branch as AslDefinition, visit);
    }
    if (state['Type'] === 'Map') {
      const processor = state['ItemProcessor'] ?? state['Iterator'];
      if (isObject(processor) && isObject(processor['States'])) forEachStates(processor as AslDefinition, visit);
    }
  }
}

/**
 * Rewrites Task states for the interpreter (the original definition is not modified):
 * - `TimeoutSecondsPath`: aws-local-stepfunctions resolves it against the input *after* `Parameters`
 *   (AWS: against the state input), which fails as soon as `Parameters` reshapes the input. The rewrite
 *   evaluates the path inside `Parameters`: `{ __jitgateParameters: <original Parameters, or "$">,
 *   "__jitgateTimeoutSeconds.$": <path> }` and points `TimeoutSecondsPath` at `$.__jitgateTimeoutSeconds`;
 *   the task handler unwraps it.
 * - `States.Hash(x, 'SHA-256')` as a whole Parameters value: aws-local-stepfunctions 3.0.0 computes
 *   a wrong SHA-256 for inputs of 56 bytes or more (checked against node:crypto), where AWS's is
 *   right; the audit chain hashes longer strings (infra/activate.ts). The rewrite leaves `x` to the
 *   interpreter, marked (`States.Format('<mark>{}', x)`), and the task handler hashes marked values.
 */
const SHA256_MARK = 'jitgate-local-sha256:';
const WHOLE_SHA256 = /^States\.Hash\((.*),\s*'SHA-256'\)$/s;

function markSha256(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(markSha256);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const hash = key.endsWith('.$') && typeof v === 'string' ? WHOLE_SHA256.exec(v) : null;
    out[key] = hash ? `States.Format('${SHA256_MARK}{}', ${hash[1]})` : markSha256(v);
  }
  return out;
}

export function hashMarked(value: unknown): unknown {
  if (typeof value === 'string')
    return value.startsWith(SHA256_MARK) ? createHash('sha256').update(value.slice(SHA256_MARK.length), 'utf8').digest('hex') : value;
  if (Array.isArray(value)) return value.map(hashMarked);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hashMarked(v)]));
}

export function prepareDefinition(original: AslDefinition): { prepared: AslDefinition; bindings: Map<string, TaskBinding> } {
  const prepared = cloneJson(original);
  const bindings = new Map<string, TaskBinding>();
  forEachStates(prepared, (states) => {
    for (const [stateName, state] of Object.entries(states)) {
      if (state['Type'] !== 'Task') continue;
      const resource = String(state['Resource']);
      const parsed = parseResource(resource);
      let wrapped = false;
      if (typeof state['TimeoutSecondsPath'] === 'string') {
        const parameters = 'Parameters' in state ? state['Parameters'] : undefined;
        state['Parameters'] = {
          ...(parameters === undefined ? { [`${PARAMS_KEY}.$`]: '$' } : { [PARAMS_KEY]: parameters }),
          [`${TIMEOUT_KEY}.$`]: state['TimeoutSecondsPath'],
        };
        state['TimeoutSecondsPath'] = `$.${TIMEOUT_KEY}`;
        wrapped = true;
      }
      if ('Parameters' in state) state['Parameters'] = markSha256(state['Parameters']);
      bindings.set(stateName, {
        stateName,
        resource,
        ...parsed,
        wrapped,
        ...(typeof state['TimeoutSeconds'] === 'number' && state['TimeoutSeconds'] > 0 ? { timeoutSeconds: state['TimeoutSeconds'] } : {}),
      });
    }
  });
  return { prepared, bindings };
}
