/**
 * Where the armed faults (registry.ts) take effect: on the functions' calls, after the
 * signature and IAM checks of `/dev/aws/<service>` (so a fault never hides a denial), and on
 * the state machine's own Task calls to DynamoDB and SNS, which bypass those endpoints.
 * Errors are shaped as each service's protocol shapes them, so the SDK raises, classifies and
 * retries them exactly as it would on AWS (awsJson `__type` for DynamoDB and Step Functions,
 * an awsQuery `<ErrorResponse>` for SNS).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AwsEndpoint } from '../aws-guard';
import { accessKeyOf } from '../credentials';
import type { DynamoDBSender, SnsPublishParams } from '../stepfunctions/types';
import type { ArmedFault, FaultCaller, FaultService, LocalFaults } from './registry';

interface ServiceError {
  status: number;
  name: string;
  message: string;
  /** DynamoDB's TransactionCanceledException: one reason per item of the transaction. */
  cancellationReasons?: { Code: string; Message?: string }[];
}

const DYNAMODB_TYPE_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

/** What the service answers for `fault` on `operation` (`input`: the call's parameters). */
export function serviceError(service: FaultService, operation: string, fault: ArmedFault, input: unknown): ServiceError {
  const message = `injected by local mode: ${fault.kind} on ${service} ${operation}`;
  if (fault.kind === 'conflict') {
    if (operation !== 'TransactWriteItems' && operation !== 'TransactGetItems')
      return { status: 400, name: 'TransactionConflictException', message: `${message}: the item is being changed by a transaction` };
    const items = (input as { TransactItems?: unknown[] } | undefined)?.TransactItems ?? [];
    const reasons = items.map((_, i) =>
      i === 0 ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' } : { Code: 'None' },
    );
    return {
      status: 400,
      name: 'TransactionCanceledException',
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
      cancellationReasons: reasons,
    };
  }
  const throttle = fault.kind === 'throttle';
  const defaults: Record<Exclude<FaultService, 'lambda'>, [string, number, string, number]> = {
    dynamodb: ['ProvisionedThroughputExceededException', 400, 'InternalServerError', 500],
    sfn: ['ThrottlingException', 400, 'ServiceUnavailable', 503],
    sns: ['Throttled', 400, 'InternalError', 500],
  };
  const [throttleName, throttleStatus, downName, downStatus] = defaults[service as Exclude<FaultService, 'lambda'>];
  return {
    status: throttle ? throttleStatus : downStatus,
    name: fault.error ?? (throttle ? throttleName : downName),
    message,
  };
}

function writeError(res: ServerResponse, service: FaultService, error: ServiceError): void {
  const requestId = randomUUID();
  let body: string;
  let contentType: string;
  if (service === 'sns') {
    contentType = 'text/xml';
    const type = error.status >= 500 ? 'Receiver' : 'Sender';
    body =
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${error.name}</Code>` +
      `<Message>${error.message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  } else {
    contentType = 'application/x-amz-json-1.0';
    const type = service === 'dynamodb' ? `${DYNAMODB_TYPE_PREFIX}${error.name}` : error.name;
    body = JSON.stringify({
      __type: type,
      message: error.message,
      ...(error.cancellationReasons ? { Message: error.message, CancellationReasons: error.cancellationReasons } : {}),
    });
  }
  res.writeHead(error.status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    'x-amzn-requestid': requestId,
    ...(service === 'sns' ? {} : { 'x-amzn-errortype': error.name }),
  });
  res.end(body);
}

/** The operation a call to `/dev/aws/<service>` names, and its parameters. */
function callOf(service: FaultService, req: IncomingMessage, body: string): { operation: string; input: unknown } {
  if (service === 'sns') return { operation: new URLSearchParams(body).get('Action') ?? '', input: undefined };
  const target = req.headers['x-amz-target'];
  const operation = typeof target === 'string' ? (target.split('.').pop() ?? '') : '';
  try {
    return { operation, input: JSON.parse(body) as unknown };
  } catch {
    return { operation, input: undefined };
  }
}

/** Nothing answers: the caller's SDK times out, or its container goes away. Held at most a minute. */
function neverAnswer(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => res.destroy(), 60_000);
    timer.unref();
    res.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * `inner` (an endpoint behind its guard) with the armed faults of `service` in front. `crashCaller`
 * ends the containers of the functions signing with the given access key that are running now.
 */
export function faultyAwsEndpoint(
  service: Exclude<FaultService, 'lambda'>,
  inner: AwsEndpoint,
  faults: LocalFaults,
  crashCaller: (accessKeyId: string) => void,
): AwsEndpoint {
  return async (req, res, body) => {
    const { operation, input } = callOf(service, req, body);
    const fault = faults.take(service, operation, 'function');
    if (!fault) return inner(req, res, body);
    if (fault.kind === 'timeout') return neverAnswer(res);
    if (fault.kind === 'crash') {
      const key = accessKeyOf(typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined);
      const gone = neverAnswer(res);
      if (key) crashCaller(key);
      return gone;
    }
    writeError(res, service, serviceError(service, operation, fault, input));
  };
}

/** An AWS SDK service exception, as the state machine's task integrations recognize one (`$metadata`). */
function sdkError(error: ServiceError): Error {
  return Object.assign(new Error(error.message), {
    name: error.name,
    $fault: error.status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: error.status },
    ...(error.cancellationReasons ? { CancellationReasons: error.cancellationReasons } : {}),
  });
}

const STATE_MACHINE: FaultCaller = 'stateMachine';

/** A connection to DynamoDB Local that failed: it is down (its supervisor starts it again). */
function unreachable(error: unknown): boolean {
  if (!(error instanceof Error) || '$metadata' in error) return false;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code) || /socket hang up|ECONNREFUSED/.test(error.message);
}

/**
 * The state machine's DynamoDB client with the armed faults in front. DynamoDB Local being
 * down reaches the Task as DynamoDB's outage does on AWS, `DynamoDb.InternalServerError`
 * (which a Retry can name), not as a network error.
 */
export function faultyDynamoDb(client: DynamoDBSender, faults: LocalFaults): DynamoDBSender {
  return {
    send: async (command) => {
      const operation = (command as object).constructor.name.replace(/Command$/, '');
      const fault = faults.take('dynamodb', operation, STATE_MACHINE);
      if (fault) throw sdkError(serviceError('dynamodb', operation, fault, (command as { input?: unknown }).input));
      try {
        return await client.send(command);
      } catch (error) {
        if (!unreachable(error)) throw error;
        throw sdkError({
          status: 500,
          name: 'InternalServerError',
          message: `DynamoDB Local is unavailable (${(error as Error).message})`,
        });
      }
    },
  };
}

/** The state machine's SNS publish with the armed faults in front. */
export function faultySnsPublish(
  publish: (params: SnsPublishParams) => Promise<{ MessageId: string }>,
  faults: LocalFaults,
): (params: SnsPublishParams) => Promise<{ MessageId: string }> {
  return async (params) => {
    const fault = faults.take('sns', 'Publish', STATE_MACHINE);
    if (fault) throw sdkError(serviceError('sns', 'Publish', fault, params));
    return publish(params);
  };
}
