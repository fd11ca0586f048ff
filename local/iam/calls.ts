/**
 * Which IAM action on which resource an AWS API call needs, as the service authorizes
 * it (https://docs.aws.amazon.com/service-authorization/latest/reference/): pure
 * functions from an operation and its input to the requests local/iam/policy.ts
 * evaluates.
 */
import type { AccessRequest } from './policy';

export interface LocalArns {
  region: string;
  account: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Step Functions. Task responses are authorized on the state machine whose execution
 * issued the token (the grant CDK's `grantTaskResponse` writes); execution operations on
 * the execution ARN; the rest on the state machine.
 */
export function stepFunctionsCalls(operation: string, input: Record<string, unknown>, stateMachineArn: string): AccessRequest[] {
  const action = `states:${operation}`;
  const executionPrefix = stateMachineArn.replace(':stateMachine:', ':execution:');
  switch (operation) {
    case 'SendTaskSuccess':
    case 'SendTaskFailure':
    case 'SendTaskHeartbeat':
      return [{ action, resource: stateMachineArn }];
    case 'DescribeExecution':
    case 'GetExecutionHistory':
    case 'StopExecution':
      return [{ action, resource: str(input['executionArn']) ?? `${executionPrefix}:*` }];
    default:
      return [{ action, resource: str(input['stateMachineArn']) ?? stateMachineArn }];
  }
}

const TRANSACT_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

export class MalformedCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedCallError';
  }
}

/**
 * DynamoDB. Query and Scan with an IndexName are authorized on `table/<t>/index/<i>`;
 * TransactWriteItems / TransactGetItems as the operations they contain, on each item's
 * table (there is no IAM action for the transaction itself); batch operations on each table.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
 */
export function dynamoDbCalls(operation: string, input: Record<string, unknown>, arns: LocalArns): AccessRequest[] {
  const table = (name: unknown): string => {
    const t = str(name);
    if (!t) throw new MalformedCallError(`${operation}: TableName is missing`);
    // A table may be named by its ARN, as AWS allows.
    return t.startsWith('arn:') ? t : `arn:aws:dynamodb:${arns.region}:${arns.account}:table/${t}`;
  };
  switch (operation) {
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const items = input['TransactItems'];
      if (!Array.isArray(items) || items.length === 0) throw new MalformedCallError(`${operation}: TransactItems is missing`);
      return items.map((item, i) => {
        const kind = isObject(item) ? Object.keys(item).find((k) => TRANSACT_ACTIONS[k]) : undefined;
        if (!kind) throw new MalformedCallError(`${operation}: TransactItems[${i}] has no Put, Update, Delete, ConditionCheck or Get`);
        return { action: TRANSACT_ACTIONS[kind]!, resource: table((item as Record<string, Record<string, unknown>>)[kind]!['TableName']) };
      });
    }
    case 'BatchGetItem':
    case 'BatchWriteItem': {
      const tables = input['RequestItems'];
      if (!isObject(tables) || Object.keys(tables).length === 0) throw new MalformedCallError(`${operation}: RequestItems is missing`);
      return Object.keys(tables).map((t) => ({ action: `dynamodb:${operation}`, resource: table(t) }));
    }
    case 'ListTables':
      return [{ action: 'dynamodb:ListTables', resource: '*' }];
    case 'Query':
    case 'Scan': {
      const index = str(input['IndexName']);
      return [{ action: `dynamodb:${operation}`, resource: table(input['TableName']) + (index ? `/index/${index}` : '') }];
    }
    default:
      return [{ action: `dynamodb:${operation}`, resource: table(input['TableName'] ?? input['TableArn'] ?? input['ResourceArn']) }];
  }
}

/** SNS (awsQuery form fields). PublishBatch is authorized as sns:Publish. */
export function snsCalls(form: URLSearchParams): AccessRequest[] {
  const action = form.get('Action') ?? '';
  const resource = form.get('TopicArn') ?? form.get('TargetArn') ?? '*';
  return [{ action: action === 'PublishBatch' ? 'sns:Publish' : `sns:${action}`, resource }];
}

/**
 * Secrets Manager, for the local endpoint: `secretsmanager:<Operation>` on the secret.
 * `secretArnOf` turns a SecretId (name, partial or full ARN) into the secret's ARN.
 */
export function secretsManagerCalls(
  operation: string,
  input: Record<string, unknown>,
  secretArnOf: (secretId: string) => string | undefined,
): AccessRequest[] {
  const id = str(input['SecretId']);
  return [{ action: `secretsmanager:${operation}`, resource: (id && secretArnOf(id)) ?? id ?? '*' }];
}

/** A Task state's call, for the state machine's role, with the error Step Functions names its denial. */
export interface TaskCall {
  requests: AccessRequest[];
  /** The Task error when the role may not make the call. */
  deniedError: string;
  /** `Service: ..., Status Code: ...` as the SDK that Step Functions uses prints it. */
  service: string;
  statusCode: number;
}

/**
 * What a Task state's integration calls, by its Resource:
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-integration-iam-templates.html
 * Undefined for resources local mode does not run (the interpreter fails those anyway).
 */
export function taskCall(resource: string, parameters: unknown, arns: LocalArns): TaskCall | undefined {
  const params = isObject(parameters) ? parameters : {};
  if (resource.startsWith('arn:aws:lambda:')) {
    return {
      requests: [{ action: 'lambda:InvokeFunction', resource }],
      deniedError: 'Lambda.AWSLambdaException',
      service: 'AWSLambda',
      statusCode: 403,
    };
  }
  const m = /^arn:aws:states:::([^.]+)(\.waitForTaskToken)?$/.exec(resource);
  if (!m) return undefined;
  const integration = m[1]!;
  if (integration === 'lambda:invoke') {
    const fn = str(params['FunctionName']) ?? '';
    const arn = fn.startsWith('arn:') ? fn : `arn:aws:lambda:${arns.region}:${arns.account}:function:${fn}`;
    return {
      requests: [{ action: 'lambda:InvokeFunction', resource: arn }],
      deniedError: 'Lambda.AWSLambdaException',
      service: 'AWSLambda',
      statusCode: 403,
    };
  }
  if (integration === 'sns:publish') {
    const topic = str(params['TopicArn']) ?? str(params['TargetArn']) ?? '*';
    return {
      requests: [{ action: 'sns:Publish', resource: topic }],
      deniedError: 'SNS.AuthorizationErrorException',
      service: 'AmazonSNS',
      statusCode: 403,
    };
  }
  const sdk = /^aws-sdk:dynamodb:([a-zA-Z]+)$/.exec(integration);
  const optimized = /^dynamodb:(getItem|putItem|updateItem|deleteItem)$/.exec(integration);
  const action = sdk?.[1] ?? optimized?.[1];
  if (action) {
    const operation = action.charAt(0).toUpperCase() + action.slice(1);
    // The SDK integration reports service errors as `DynamoDb.<Exception>` (AWS SDK for Java 2), the
    // optimized one as `DynamoDB.<Exception>`.
    const deniedError = sdk ? 'DynamoDb.DynamoDbException' : 'DynamoDB.AmazonDynamoDBException';
    return {
      requests: dynamoDbCalls(operation, params, arns),
      deniedError,
      service: sdk ? 'DynamoDb' : 'AmazonDynamoDBv2',
      statusCode: 400,
    };
  }
  return undefined;
}
