/**
 * The door of every local AWS endpoint (`/dev/aws/<service>`): a call is served only when
 * it carries a SigV4 Authorization header from an access key local mode handed out
 * (local/credentials.ts), and the policies of that key's role allow what the call needs
 * (local/iam/). Refusals are shaped as the service's protocol shapes them, so the SDK
 * raises what it raises on AWS: awsJson `{ "__type", "message" }` for DynamoDB, Step
 * Functions and Secrets Manager, an awsQuery `<ErrorResponse>` for SNS.
 * https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html#operation-error-serialization
 * https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#operation-error-serialization
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accessKeyOf } from './credentials';
import { escapeXml } from './http-util';
import type { LocalIam } from './iam/authorizer';
import { dynamoDbCalls, MalformedCallError, secretsManagerCalls, snsCalls, stepFunctionsCalls } from './iam/calls';
import type { AccessRequest } from './iam/policy';

export type AwsService = 'sfn' | 'sns' | 'dynamodb' | 'secretsmanager';
export type AwsEndpoint = (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void>;

interface Refusal {
  status: number;
  /** awsJson error type. */
  json: string;
  /** awsQuery error code (SNS). */
  query: string;
  message: string;
}

const JSON_SERVICES: Record<Exclude<AwsService, 'sns'>, { targetPrefix: string; contentType: string }> = {
  sfn: { targetPrefix: 'AWSStepFunctions.', contentType: 'application/x-amz-json-1.0' },
  dynamodb: { targetPrefix: 'DynamoDB_20120810.', contentType: 'application/x-amz-json-1.0' },
  secretsmanager: { targetPrefix: 'secretsmanager.', contentType: 'application/x-amz-json-1.1' },
};

function refuse(res: ServerResponse, service: AwsService, refusal: Refusal): void {
  const requestId = randomUUID();
  let body: string;
  let contentType: string;
  if (service === 'sns') {
    contentType = 'text/xml';
    body =
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${refusal.query}</Code>` +
      `<Message>${escapeXml(refusal.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  } else {
    contentType = JSON_SERVICES[service].contentType;
    body = JSON.stringify({ __type: `com.amazon.coral.service#${refusal.json}`, message: refusal.message });
  }
  res.writeHead(refusal.status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-requestid': requestId,
    ...(service === 'sns' ? {} : { 'x-amzn-errortype': refusal.json }),
  });
  res.end(body);
}

function snsForm(req: IncomingMessage, body: string): URLSearchParams {
  return new URLSearchParams(req.method === 'GET' ? ((req.url ?? '').split('?')[1] ?? '') : body);
}

function snsAction(req: IncomingMessage, body: string): string | null {
  return snsForm(req, body).get('Action');
}

/** What the call needs, from its operation and input; a MalformedCallError when that cannot be told. */
function requestsOf(service: AwsService, req: IncomingMessage, body: string, context: GuardContext): AccessRequest[] | 'pass' {
  if (service === 'sns') return snsCalls(snsForm(req, body));
  const target = req.headers['x-amz-target'];
  const { targetPrefix } = JSON_SERVICES[service];
  // No operation, or a body that is not a JSON object: the endpoint itself answers UnknownOperation / SerializationException.
  if (typeof target !== 'string' || !target.startsWith(targetPrefix)) return 'pass';
  const operation = target.slice(targetPrefix.length);
  let input: unknown;
  try {
    input = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    return 'pass';
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'pass';
  const fields = input as Record<string, unknown>;
  if (service === 'sfn') return stepFunctionsCalls(operation, fields, context.stateMachineArn);
  if (service === 'dynamodb') return dynamoDbCalls(operation, fields, context.iam.arns);
  return secretsManagerCalls(operation, fields, context.secretArnOf ?? (() => undefined));
}

export interface GuardContext {
  iam: LocalIam;
  stateMachineArn: string;
  /** Secrets Manager: a SecretId (name or ARN) → the secret's ARN. */
  secretArnOf?: (secretId: string) => string | undefined;
}

/**
 * `inner` behind the signature and IAM checks. A call without an operation or with a body
 * that is not a JSON object goes on to local mode's own endpoints, which refuse it
 * themselves; to DynamoDB Local, never: it is refused here.
 */
export function guardAwsEndpoint(service: AwsService, inner: AwsEndpoint, context: GuardContext): AwsEndpoint {
  return async (req, res, body) => {
    const authorization = req.headers.authorization;
    const accessKeyId = accessKeyOf(typeof authorization === 'string' ? authorization : undefined);
    if (accessKeyId === undefined) {
      // The one anonymous call AWS takes: confirming a subscription with the token of its email.
      if (service === 'sns' && snsAction(req, body) === 'ConfirmSubscription') return inner(req, res, body);
      return refuse(res, service, {
        status: service === 'sns' ? 403 : 400,
        json: 'MissingAuthenticationTokenException',
        query: 'MissingAuthenticationToken',
        message: 'Request is missing Authentication Token',
      });
    }
    const role = context.iam.roleFor(accessKeyId);
    if (!role) {
      return refuse(res, service, {
        status: service === 'sns' ? 403 : 400,
        json: 'UnrecognizedClientException',
        query: 'InvalidClientTokenId',
        message: 'The security token included in the request is invalid.',
      });
    }
    let requests: AccessRequest[] | 'pass';
    try {
      requests = requestsOf(service, req, body, context);
    } catch (error) {
      if (!(error instanceof MalformedCallError)) throw error;
      return refuse(res, service, { status: 400, json: 'ValidationException', query: 'InvalidParameter', message: error.message });
    }
    if (requests === 'pass' && service === 'dynamodb') {
      // DynamoDB Local must never see a call whose resources were not checked.
      return refuse(res, service, {
        status: 400,
        json: 'SerializationException',
        query: '',
        message: 'expected an X-Amz-Target DynamoDB_20120810.<Operation> and a JSON object body',
      });
    }
    if (requests !== 'pass') {
      const denial = context.iam.check(role, requests);
      if (denial) {
        // SNS answers AuthorizationError (the SDK's AuthorizationErrorException); the JSON services AccessDeniedException.
        return refuse(res, service, {
          status: service === 'sns' ? 403 : 400,
          json: 'AccessDeniedException',
          query: 'AuthorizationError',
          message: denial.message,
        });
      }
    }
    return inner(req, res, body);
  };
}
