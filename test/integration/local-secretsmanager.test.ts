/**
 * The Secrets Manager stand-in: the real client (awsJson 1.1, path-prefixed endpoint from
 * AWS_ENDPOINT_URL_SECRETS_MANAGER as the functions have it) reads the link key by ARN,
 * and the shared link-key loader accepts what it answers; unknown secrets and
 * operations get Secrets Manager's errors.
 */
import { createServer, type Server } from 'node:http';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { readBody } from '../../local/http-util';
import { createSecretsManagerEndpoint } from '../../local/secretsmanager';
import { linkKeyLoader } from '../../shared/adapters/secrets';

const ARN = 'arn:aws:secretsmanager:local:000000000000:secret:LinkKey27470AF7';
let key = 'ab'.repeat(32);
let server: Server;
let endpoint: string;
let client: SecretsManagerClient;
const saved = { ...process.env };

beforeAll(async () => {
  const handle = createSecretsManagerEndpoint([{ arn: ARN, name: 'LinkKey27470AF7', value: () => key }]);
  server = createServer((req, res) => void readBody(req).then((b) => handle(req, res, b.toString('utf8'))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}/dev/aws/secretsmanager`;
  client = new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'LOCALTEST', secretAccessKey: 'x' } });
});

afterAll(async () => {
  process.env = saved;
  client.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('GetSecretValue by ARN or name answers the current value', async () => {
  const out = await client.send(new GetSecretValueCommand({ SecretId: ARN }));
  expect(out).toMatchObject({ ARN, Name: 'LinkKey27470AF7', SecretString: key, VersionStages: ['AWSCURRENT'] });
  key = 'cd'.repeat(32);
  expect((await client.send(new GetSecretValueCommand({ SecretId: 'LinkKey27470AF7' }))).SecretString).toBe(key);
});

test('unknown secrets, versions and operations get Secrets Manager errors, not a 500', async () => {
  await expect(client.send(new GetSecretValueCommand({ SecretId: `${ARN}-other` }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  await expect(client.send(new GetSecretValueCommand({ SecretId: ARN, VersionStage: 'AWSPREVIOUS' }))).rejects.toBeInstanceOf(
    ResourceNotFoundException,
  );
  await expect(client.send(new ListSecretsCommand({}))).rejects.toMatchObject({
    name: 'UnknownOperationException',
    $metadata: { httpStatusCode: 400 },
  });
});

test('the link key loader reads the key through the endpoint the SDK finds in the environment', async () => {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'LOCALTEST',
    AWS_SECRET_ACCESS_KEY: 'x',
  });
  key = 'ef'.repeat(32);
  expect((await linkKeyLoader(ARN)()).toString('hex')).toBe(key);
  await expect(linkKeyLoader(undefined)()).rejects.toThrow(/LINK_KEY_SECRET_ARN is not set/);
});
