/**
 * The calls Task states make, each checked against the state machine's role first (`authorizeTask`).
 *
 * Task bindings, chosen by each Task state's `Resource` (parsed in definition.ts):
 * - `arn:aws:states:::lambda:invoke` → `invokeLambda(<function logical id>, Payload)`, result
 *   `{ ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode }`;
 *   a plain Lambda ARN resource (`payloadResponseOnly`) → `invokeLambda(<id>, input)`, result as is;
 * - `...:<integration>.waitForTaskToken` → a fresh random task token replaces the per-execution
 *   `$$.Task.Token` placeholder in the parameters, the integration is called, and the task waits
 *   for `sendTaskSuccess` / `sendTaskFailure` with that token (or its timeout): tasks.ts;
 * - `arn:aws:states:::aws-sdk:dynamodb:<action>` → the matching `@aws-sdk/client-dynamodb` command,
 *   errors named `DynamoDb.<Exception>`; optimized `arn:aws:states:::dynamodb:<get|put|update|delete>Item`
 *   → the same, errors named `DynamoDB.<Exception>`;
 * - `arn:aws:states:::sns:publish` → `publishSns` (Message JSON-stringified unless a string);
 * - anything else fails the task with `States.TaskFailed`.
 */
import { randomUUID } from 'node:crypto';
import * as dynamodbCommands from '@aws-sdk/client-dynamodb';
import { functionNameFromArn, type Integration, type TaskBinding } from './definition';
import { taskError } from './errors';
import { cloneJson, isObject, type Json } from './json';
import type { DynamoDBSender, LocalStepFunctionsOptions, SnsPublishParams } from './types';

/** SDK output → JSON the way Step Functions serializes it (binary as base64, no `$metadata`). */
function sdkOutputToJson(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Set) return [...value].map(sdkOutputToJson);
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(sdkOutputToJson);
  if (isObject(value)) {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === '$metadata' || item === undefined) continue;
      out[key] = sdkOutputToJson(item);
    }
    return out;
  }
  return value as Json;
}

/** DynamoDB JSON from the definition → SDK input: `{ "B": "<base64>" }` / `{ "BS": [...] }` become bytes. */
function dynamodbInput(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dynamodbInput);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'B' && typeof value['B'] === 'string') return { B: Buffer.from(value['B'], 'base64') };
  if (keys.length === 1 && keys[0] === 'BS' && Array.isArray(value['BS']) && value['BS'].every((v: unknown) => typeof v === 'string')) {
    return { BS: value['BS'].map((v: string) => Buffer.from(v, 'base64')) };
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = dynamodbInput(item);
  return out;
}

export class TaskIntegrations {
  private readonly invokeLambda: LocalStepFunctionsOptions['invokeLambda'];
  private readonly dynamodb: DynamoDBSender;
  private readonly publishSns: LocalStepFunctionsOptions['publishSns'];
  private readonly authorizeTask: LocalStepFunctionsOptions['authorizeTask'];

  constructor(options: Pick<LocalStepFunctionsOptions, 'invokeLambda' | 'dynamodb' | 'publishSns' | 'authorizeTask'>) {
    this.invokeLambda = options.invokeLambda;
    this.dynamodb = options.dynamodb as DynamoDBSender;
    this.publishSns = options.publishSns;
    this.authorizeTask = options.authorizeTask;
  }

  /** One way in for every integration, so the IAM check cannot be skipped by any of them (DynamoDB included). */
  async call(binding: TaskBinding, parameters: unknown): Promise<unknown> {
    const denied = this.authorizeTask?.(binding.resource, parameters);
    if (denied) throw taskError(denied.error, denied.cause);
    const integration = binding.integration;
    switch (integration.kind) {
      case 'lambda-invoke': {
        const functionName = isObject(parameters) ? parameters['FunctionName'] : undefined;
        if (typeof functionName !== 'string')
          throw taskError('States.TaskFailed', `${binding.stateName}: Parameters.FunctionName is missing`);
        const payload = isObject(parameters) && 'Payload' in parameters ? parameters['Payload'] : {};
        const result = await this.callLambda(functionNameFromArn(functionName), payload);
        return {
          ExecutedVersion: '$LATEST',
          Payload: result,
          SdkHttpMetadata: { HttpHeaders: {}, HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: randomUUID() },
          StatusCode: 200,
        };
      }
      case 'lambda-direct':
        return this.callLambda(integration.functionName, parameters);
      case 'dynamodb':
        return this.callDynamoDb(integration, parameters);
      case 'sns-publish':
        return this.callSns(parameters);
      case 'unsupported':
        throw taskError('States.TaskFailed', integration.reason);
    }
  }

  /** Lambda function errors surface as AWS does: error = errorType (the thrown error's name), cause = the JSON error object. */
  private async callLambda(functionName: string, payload: unknown): Promise<Json> {
    let result: unknown;
    try {
      result = await this.invokeLambda(functionName, cloneJson(payload ?? {}));
    } catch (error) {
      const errorType = error instanceof Error ? error.name || 'Error' : 'Error';
      const errorMessage = error instanceof Error ? error.message : String(error);
      const trace = error instanceof Error && error.stack ? error.stack.split('\n').map((line) => line.trim()) : [];
      throw taskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
    }
    return result === undefined ? null : (cloneJson(result) as Json);
  }

  private async callDynamoDb(integration: Extract<Integration, { kind: 'dynamodb' }>, parameters: unknown): Promise<Json> {
    const commandName = integration.action.charAt(0).toUpperCase() + integration.action.slice(1) + 'Command';
    const Command = (dynamodbCommands as unknown as Record<string, new (input: unknown) => unknown>)[commandName];
    if (typeof Command !== 'function') {
      throw taskError(
        'States.TaskFailed',
        `DynamoDB action ${integration.action} is not supported (no ${commandName} in @aws-sdk/client-dynamodb)`,
      );
    }
    let output: unknown;
    try {
      output = await this.dynamodb.send(new Command(dynamodbInput(parameters ?? {})));
    } catch (error) {
      throw this.sdkError(integration.errorPrefix, error);
    }
    return sdkOutputToJson(output);
  }

  private async callSns(parameters: unknown): Promise<Json> {
    if (!isObject(parameters)) throw taskError('States.TaskFailed', 'sns:publish: Parameters are missing');
    const topicArn = parameters['TopicArn'] ?? parameters['TargetArn'];
    if (typeof topicArn !== 'string') throw taskError('States.TaskFailed', 'sns:publish: TopicArn is missing');
    const message = parameters['Message'];
    const params: SnsPublishParams = {
      TopicArn: topicArn,
      Message: typeof message === 'string' ? message : JSON.stringify(message ?? null),
      ...(typeof parameters['Subject'] === 'string' ? { Subject: parameters['Subject'] } : {}),
      ...(isObject(parameters['MessageAttributes']) ? { MessageAttributes: parameters['MessageAttributes'] } : {}),
    };
    let result: { MessageId: string };
    try {
      result = await this.publishSns(params);
    } catch (error) {
      throw this.sdkError('SNS', error);
    }
    return {
      MessageId: result.MessageId,
      SdkHttpMetadata: { HttpHeaders: {}, HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: randomUUID() },
    };
  }

  /** AWS service exceptions become `<Prefix>.<ExceptionName>`; anything else (network...) `States.TaskFailed`. */
  private sdkError(prefix: string, error: unknown): Error {
    if (error instanceof Error && ('$metadata' in error || '$fault' in error)) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 400;
      const service = prefix === 'SNS' ? 'Sns' : 'DynamoDb';
      return taskError(`${prefix}.${error.name}`, `${error.message} (Service: ${service}, Status Code: ${status}, Request ID: local)`);
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return taskError('States.TaskFailed', message);
  }
}
