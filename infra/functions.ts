/**
 * One NodejsFunction per entry point in docs/ARCHITECTURE.md ("Lambda entry points"),
 * all built the same way: Node 22 on arm64, bundled and minified by the local esbuild
 * with the options of infra/bundling.ts (which local mode shares), the validated config
 * inlined with `define`, its own log group and its own role (no AWS managed policies),
 * X-Ray tracing on.
 *
 * Each function's CloudFormation resource carries the metadata
 * `"jitgate:entry": "functions/<entry>/index.ts"`, which local mode uses to find the
 * handler module for a logical id in the synthesized template.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { functionBundling, type FunctionBundling } from './bundling';
import { acknowledge } from './nag';

export const REPO_ROOT = path.resolve(__dirname, '..');
const LOCK_FILE = path.join(REPO_ROOT, 'package-lock.json');

export const ENTRIES = [
  'api',
  'authorize',
  'approve',
  'console',
  'mfa-challenge',
  'await-approval',
  'activate',
  'end-request',
  'execution-ended',
] as const;
export type Entry = (typeof ENTRIES)[number];

/** The metadata key on each function's CloudFormation resource. */
export const ENTRY_METADATA_KEY = 'jitgate:entry';

export const LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

export function entryPath(entry: Entry): string {
  return `functions/${entry}/index.ts`;
}

export interface JitgateFunctionProps {
  entry: Entry;
  description: string;
  /** JSON text of the deployed config, inlined into the bundle as `process.env.JITGATE_CONFIG_JSON`. */
  configJson: string;
  /** Extra variables; resources a function uses are wired by `connect` (infra/permissions.ts). */
  environment?: Record<string, string>;
  memorySize?: number;
  timeout?: Duration;
}

/** A jitgate Lambda function: `<id>` (the function), `<id>Role`, `<id>Logs`, all children of `scope`. */
export function jitgateFunction(scope: Construct, id: string, props: JitgateFunctionProps): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: LOG_RETENTION,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // An own role instead of the default one, which would attach the AWS managed
  // AWSLambdaBasicExecutionRole (logs:* on every log group of the account).
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `jitgate ${props.entry} function`,
  });
  logGroup.grantWrite(role);

  const fn = new NodejsFunction(scope, id, {
    entry: path.join(REPO_ROOT, entryPath(props.entry)),
    handler: 'handler',
    projectRoot: REPO_ROOT,
    // npm never publishes package-lock.json: installed as a dependency (`jitgate/cdk`), CDK finds the app's own.
    depsLockFilePath: fs.existsSync(LOCK_FILE) ? LOCK_FILE : undefined,
    description: props.description,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(10),
    role,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
    environment: props.environment,
    bundling: nodejsBundling(functionBundling(props.configJson)),
  });
  (fn.node.defaultChild as CfnResource).addMetadata(ENTRY_METADATA_KEY, entryPath(props.entry));

  acknowledge(
    role,
    'AwsSolutions-IAM5[Resource::*]',
    'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions ' +
      '(https://docs.aws.amazon.com/xray/latest/devguide/security_iam_id-based-policy-examples.html).',
  );
  acknowledge(
    fn,
    'AwsSolutions-L1',
    'nodejs22.x is the runtime jitgate is built for and tested on (esbuild target node22); ' +
      'moving to a newer runtime is a deliberate, tested upgrade, not a synth-time default.',
  );
  return fn;
}

/** `functionBundling` as NodejsFunction takes it. */
function nodejsBundling(b: FunctionBundling): BundlingOptions {
  return {
    minify: b.minify,
    sourceMap: b.sourceMap,
    target: b.target,
    format: OutputFormat.ESM,
    mainFields: b.mainFields,
    banner: b.banner,
    externalModules: b.externalModules,
    // With no external module, CDK would still mark the SDK external unless told to bundle it.
    bundleAwsSDK: b.externalModules.length === 0,
    define: b.define,
    // Passed as raw esbuild arguments: this aws-cdk-lib does not forward its own `charset` option.
    esbuildArgs: { '--legal-comments': b.legalComments, '--charset': b.charset },
    logLevel: LogLevel.WARNING,
  };
}
