/**
 * The functions' DynamoDB endpoint in local mode (`/dev/aws/dynamodb`): calls that passed
 * the signature and IAM checks (local/aws-guard.ts) are forwarded, byte for byte, to
 * DynamoDB Local. DynamoDB Local runs with `-sharedDb`, so every role's key sees the same
 * table; it checks no signature, which is why nothing but this proxy and local mode's own
 * clients may reach it (it listens on loopback only: local/dynamodb-local/launch.ts).
 */
import { Agent, request } from 'node:http';
import type { AwsEndpoint } from './aws-guard';

const FORWARDED = [
  'content-type',
  'x-amz-target',
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'accept-encoding',
];

const UNAVAILABLE = 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable';

export function createDynamoDbProxy(dynamodbEndpoint: string): AwsEndpoint & { close(): void } {
  const target = new URL(dynamodbEndpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const proxy = (req: Parameters<AwsEndpoint>[0], res: Parameters<AwsEndpoint>[1], body: string) =>
    new Promise<void>((resolve, reject) => {
      const payload = Buffer.from(body, 'utf8');
      const headers: Record<string, string> = { host: target.host, 'content-length': String(payload.length) };
      for (const name of FORWARDED) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = request({ hostname: target.hostname, port: target.port, path: '/', method: 'POST', headers, agent }, (answer) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers))
          if (value !== undefined && name !== 'connection' && name !== 'keep-alive') out[name] = value;
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
        answer.once('end', resolve);
        answer.once('error', reject);
      });
      upstream.once('error', (error: NodeJS.ErrnoException) => {
        if (res.headersSent) return reject(error);
        // DynamoDB Local is down (its supervisor is starting it again): answered as DynamoDB answers in
        // an outage, a 5xx the functions' SDK retries and the store turns into the API's 503.
        const text = JSON.stringify({ __type: UNAVAILABLE, message: `DynamoDB Local is unavailable (${error.code ?? error.message})` });
        res.writeHead(503, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'ServiceUnavailable' });
        res.end(text);
        resolve();
      });
      upstream.end(payload);
    });
  return Object.assign(proxy, { close: () => agent.destroy() });
}
