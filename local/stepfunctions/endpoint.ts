/** The Step Functions API over HTTP (awsJson1.0, as @aws-sdk/client-sfn speaks it), served by a LocalStepFunctions. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StepFunctionsError } from './errors';
import type { LocalStepFunctions } from './interpreter';
import { isObject } from './json';
import type { ExecutionStatus, HistoryEvent } from './types';

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

/** Dates as epoch seconds (awsJson timestamps). */
function toWire(value: unknown): string {
  return JSON.stringify(value, function replacer(this: Record<string, unknown>, key: string, item: unknown) {
    const original = this[key];
    // (tag check, not instanceof: Dates may come from another realm, e.g. under jest)
    return Object.prototype.toString.call(original) === '[object Date]' ? (original as Date).getTime() / 1000 : item;
  });
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * An HTTP handler for the Step Functions API: POST with `x-amz-target: AWSStepFunctions.<Operation>` and a
 * JSON body (camelCase members: `taskToken`, `output`, `executionArn`...), answering JSON with
 * `application/x-amz-json-1.0`, errors as 400 `{ "__type": "<Exception>", "message": "..." }`. It ignores the
 * request path, so it can be mounted under a prefix: `@aws-sdk/client-sfn` with
 * `endpoint: http://127.0.0.1:<port>/dev/aws/sfn` posts to `/dev/aws/sfn/`.
 *
 * Operations: StartExecution, SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, StopExecution,
 * DescribeExecution, GetExecutionHistory, ListExecutions, DescribeStateMachine.
 */
export function createStepFunctionsEndpoint(
  sfn: LocalStepFunctions,
): (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void> {
  const send = (res: ServerResponse, status: number, payload: unknown, extraHeaders: Record<string, string> = {}) => {
    const text = toWire(payload);
    res.writeHead(status, {
      'content-type': JSON_CONTENT_TYPE,
      'content-length': String(Buffer.byteLength(text)),
      'x-amzn-requestid': randomUUID(),
      ...extraHeaders,
    });
    res.end(text);
  };
  const fail = (res: ServerResponse, status: number, type: string, message: string) =>
    send(res, status, { __type: type, message }, { 'x-amzn-errortype': type });

  /** The named fields of a request body that are strings; absent or mistyped ones are left out. */
  const strings = <K extends string>(input: Record<string, unknown>, names: K[]): Partial<Record<K, string>> =>
    Object.fromEntries(names.flatMap((n) => (str(input[n]) !== undefined ? [[n, str(input[n])!]] : []))) as Partial<Record<K, string>>;

  const operations: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    StartExecution: (input) => sfn.startExecution(strings(input, ['stateMachineArn', 'name', 'input'])),
    SendTaskSuccess: (input) => sfn.sendTaskSuccess({ taskToken: input['taskToken'] as string, output: input['output'] as string }),
    SendTaskFailure: (input) => sfn.sendTaskFailure({ taskToken: input['taskToken'] as string, ...strings(input, ['error', 'cause']) }),
    SendTaskHeartbeat: (input) => sfn.sendTaskHeartbeat({ taskToken: input['taskToken'] as string }),
    StopExecution: (input) => sfn.stopExecution({ executionArn: input['executionArn'] as string, ...strings(input, ['error', 'cause']) }),
    DescribeExecution: (input) => sfn.describeExecution({ executionArn: input['executionArn'] as string }),
    GetExecutionHistory: async (input) => {
      const history = await sfn.getExecutionHistory({
        executionArn: input['executionArn'] as string,
        ...(typeof input['reverseOrder'] === 'boolean' ? { reverseOrder: input['reverseOrder'] } : {}),
        ...(typeof input['maxResults'] === 'number' ? { maxResults: input['maxResults'] } : {}),
        ...strings(input, ['nextToken']),
      });
      if (input['includeExecutionData'] === false) {
        // Copies: the details objects are shared with the stored history.
        history.events = history.events.map((event) => {
          const copy: HistoryEvent = { ...event };
          for (const [key, value] of Object.entries(event)) {
            if (!isObject(value) || key === 'timestamp') continue;
            const details = { ...value };
            for (const field of ['input', 'output', 'parameters']) delete details[field];
            copy[key] = details;
          }
          return copy;
        });
      }
      return history;
    },
    ListExecutions: async (input) => {
      const arn = str(input['stateMachineArn']);
      if (arn !== undefined && arn !== sfn.stateMachineArn)
        throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
      return sfn.listExecutions({
        ...(str(input['statusFilter']) !== undefined ? { statusFilter: str(input['statusFilter']) as ExecutionStatus } : {}),
        ...(typeof input['maxResults'] === 'number' ? { maxResults: input['maxResults'] } : {}),
      });
    },
    DescribeStateMachine: async (input) => {
      if (input['stateMachineArn'] !== sfn.stateMachineArn) {
        throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(input['stateMachineArn'])}'`);
      }
      return {
        stateMachineArn: sfn.stateMachineArn,
        name: sfn.stateMachineName,
        status: 'ACTIVE',
        definition: JSON.stringify(sfn.definition),
        roleArn: 'local',
        type: 'STANDARD',
        creationDate: new Date(0),
      };
    },
  };

  return async (req, res, body) => {
    if (req.method !== 'POST') {
      fail(res, 405, 'UnknownOperationException', 'Step Functions API requests are POSTs');
      return;
    }
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : undefined;
    const handler = operation !== undefined && Object.hasOwn(operations, operation) ? operations[operation] : undefined;
    if (!handler) {
      fail(res, 400, 'UnknownOperationException', `Unknown operation ${String(target)}`);
      return;
    }
    let input: unknown;
    try {
      input = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      fail(res, 400, 'SerializationException', 'The request body is not valid JSON');
      return;
    }
    if (!isObject(input)) {
      fail(res, 400, 'SerializationException', 'The request body must be a JSON object');
      return;
    }
    try {
      send(res, 200, await handler(input));
    } catch (error) {
      if (error instanceof StepFunctionsError) {
        fail(res, 400, error.name, error.message);
      } else {
        fail(res, 500, 'InternalFailure', error instanceof Error ? error.message : String(error));
      }
    }
  };
}
