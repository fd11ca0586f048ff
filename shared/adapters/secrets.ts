/**
 * The link-signing key, from Secrets Manager (read once per container). Local mode
 * serves the same API on its own endpoint (local/secretsmanager.ts).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export function linkKeyLoader(secretArn: string | undefined): () => Promise<Buffer> {
  let cached: Promise<Buffer> | undefined;
  return () => {
    cached ??= (async () => {
      if (!secretArn)
        throw new Error('LINK_KEY_SECRET_ARN is not set: this function was not given the link key (infra/permissions.ts connect)');
      const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretArn }));
      // The stack generates 64 hex characters: the same 32-byte key local mode keeps in .jitgate/link-key.
      if (!out.SecretString || !/^[0-9a-f]{64}$/i.test(out.SecretString)) throw new Error('the link key secret must be 64 hex characters');
      return Buffer.from(out.SecretString, 'hex');
    })().catch((err) => {
      cached = undefined;
      throw err;
    });
    return cached;
  };
}
