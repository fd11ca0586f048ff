/**
 * Local Secrets Manager: `GetSecretValue` for the secrets of the synthesized template,
 * spoken as @aws-sdk/client-secrets-manager speaks it (awsJson 1.1: POST with
 * `X-Amz-Target: secretsmanager.GetSecretValue`, https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html),
 * so the functions read the link key exactly as on AWS. Served on local mode's port
 * under /dev/aws/secretsmanager, like the Step Functions and SNS endpoints.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface LocalSecret {
  /** The secret's ARN, as `Ref` resolves it locally (local/cfn.ts). */
  arn: string;
  /** The secret's name (its logical id locally). */
  name: string;
  /** Read when asked, so a value kept in a file is the file's current content. */
  value(): string;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

export function createSecretsManagerEndpoint(
  secrets: LocalSecret[],
): (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void> {
  const created = Date.now() / 1000;
  const send = (res: ServerResponse, status: number, payload: unknown) => {
    const text = JSON.stringify(payload);
    const type = status === 200 ? undefined : (payload as { __type: string }).__type;
    res.writeHead(status, {
      'content-type': CONTENT_TYPE,
      'content-length': String(Buffer.byteLength(text)),
      'x-amzn-requestid': randomUUID(),
      ...(type ? { 'x-amzn-errortype': type } : {}),
    });
    res.end(text);
  };
  const fail = (res: ServerResponse, status: number, type: string, message: string) =>
    send(res, status, { __type: type, message, Message: message });

  return async (req, res, body) => {
    if (req.method !== 'POST') return fail(res, 405, 'UnknownOperationException', 'Secrets Manager API requests are POSTs');
    const target = req.headers['x-amz-target'];
    if (target !== 'secretsmanager.GetSecretValue') {
      return fail(res, 400, 'UnknownOperationException', `Unknown operation ${String(target)}; local mode serves GetSecretValue only`);
    }
    let input: unknown;
    try {
      input = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      return fail(res, 400, 'SerializationException', 'The request body is not valid JSON');
    }
    const secretId = (input as { SecretId?: unknown } | null)?.SecretId;
    if (typeof secretId !== 'string' || secretId.length === 0) return fail(res, 400, 'InvalidParameterException', 'SecretId is required');
    const { VersionStage: stage, VersionId: versionId } = input as { VersionStage?: unknown; VersionId?: unknown };
    // One version per secret locally: AWSCURRENT.
    if ((stage !== undefined && stage !== 'AWSCURRENT') || versionId !== undefined) {
      return fail(
        res,
        400,
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for the given version (local mode keeps AWSCURRENT only).",
      );
    }
    const secret = secrets.find((s) => s.arn === secretId || s.name === secretId);
    if (!secret) return fail(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    send(res, 200, {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: '00000000-0000-0000-0000-000000000001',
      SecretString: secret.value(),
      VersionStages: ['AWSCURRENT'],
      CreatedDate: created,
    });
  };
}
