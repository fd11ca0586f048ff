/**
 * The template's functions as local mode runs them: each one's bundle, handler,
 * timeout and memory size, and its environment, which is exactly
 * - the `Environment.Variables` of its `AWS::Lambda::Function`, intrinsics resolved to
 *   local stand-ins (local/cfn.ts `localResolver`);
 * - what the Lambda runtime itself sets (region, function name, memory size, version,
 *   log group and stream, credentials:
 *   https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime);
 *   the credentials are the function's role's local access key (local/credentials.ts),
 *   so a local endpoint knows which role signs each call;
 * - the local endpoints (`AWS_ENDPOINT_URL_<SERVICE>`, which the SDK reads:
 *   https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
 * Nothing of local mode's own process environment leaks in.
 */
import { findResources, resolveIntrinsics, type CfnTemplate, type IntrinsicResolver } from '../cfn';
import { accessKeyFor, LOCAL_SECRET_ACCESS_KEY } from '../credentials';
import type { LocalFunction } from './container';

/** CloudFormation's defaults when a function leaves them out (AWS::Lambda::Function). */
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_MB = 128;

export interface LocalEndpoints {
  dynamodb: string;
  sfn: string;
  sns: string;
  secretsManager: string;
}

export interface LocalFunctionsOptions {
  resolver: IntrinsicResolver;
  /** Entry (`functions/api/index.ts`) → its bundle. */
  bundles: Record<string, string>;
  endpoints: LocalEndpoints;
  region: string;
}

/** The role's logical id of `Role: { "Fn::GetAtt": [<Role>, "Arn"] }`. */
function roleLogicalId(logicalId: string, role: unknown): string {
  const getAtt = (role as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string' && getAtt[1] === 'Arn') return getAtt[0];
  throw new Error(
    `function ${logicalId}: Role is ${JSON.stringify(role)}; local mode expects { "Fn::GetAtt": [<role logical id>, ` +
      `"Arn"] } to give it that role's credentials`,
  );
}

function positive(logicalId: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`function ${logicalId}: ${name} is ${JSON.stringify(value)}, not a positive number`);
  return n;
}

export function localFunctions(template: CfnTemplate, options: LocalFunctionsOptions): LocalFunction[] {
  const out: LocalFunction[] = [];
  for (const { logicalId, resource } of findResources(template, 'AWS::Lambda::Function')) {
    const entry = resource.Metadata?.['jitgate:entry'];
    if (typeof entry !== 'string') continue;
    const bundle = options.bundles[entry];
    if (!bundle) throw new Error(`function ${logicalId}: no bundle was built for ${entry}`);
    const props = resource.Properties ?? {};
    const variables = resolveIntrinsics(
      (props['Environment'] as { Variables?: unknown } | undefined)?.Variables ?? {},
      options.resolver,
    ) as Record<string, unknown>;
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables)) {
      if (typeof value !== 'string')
        throw new Error(`function ${logicalId}: environment variable ${name} resolves to ${JSON.stringify(value)}, not a string`);
      environment[name] = value;
    }
    const timeoutSeconds = positive(logicalId, 'Timeout', props['Timeout'], DEFAULT_TIMEOUT_SECONDS);
    const memorySize = positive(logicalId, 'MemorySize', props['MemorySize'], DEFAULT_MEMORY_MB);
    const functionArn = options.resolver.getAtt(logicalId, 'Arn') as string;
    out.push({
      logicalId,
      functionArn,
      bundle,
      handler: typeof props['Handler'] === 'string' ? props['Handler'] : 'index.handler',
      timeoutSeconds,
      memorySize,
      environment: {
        ...environment,
        AWS_REGION: options.region,
        AWS_DEFAULT_REGION: options.region,
        AWS_LAMBDA_FUNCTION_NAME: logicalId,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${logicalId}`,
        AWS_ACCESS_KEY_ID: accessKeyFor(roleLogicalId(logicalId, props['Role'])),
        AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY,
        AWS_ENDPOINT_URL_DYNAMODB: options.endpoints.dynamodb,
        AWS_ENDPOINT_URL_SFN: options.endpoints.sfn,
        AWS_ENDPOINT_URL_SNS: options.endpoints.sns,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: options.endpoints.secretsManager,
      },
    });
  }
  return out;
}

/** Logical ids of the secrets the functions read through `variable` (`{ "Ref": <Secret> }`). */
export function secretsReadAs(template: CfnTemplate, variable: string): string[] {
  const ids = new Set<string>();
  for (const { resource } of findResources(template, 'AWS::Lambda::Function')) {
    const value = (resource.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[variable];
    const ref = (value as { Ref?: unknown } | undefined)?.Ref;
    if (typeof ref === 'string' && template.Resources?.[ref]?.Type === 'AWS::SecretsManager::Secret') ids.add(ref);
  }
  return [...ids];
}
