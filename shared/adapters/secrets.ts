/**
 * The link-signing key: from Secrets Manager on AWS (read once per container),
 * or given directly (`LINK_KEY`, hex) in local mode.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export function linkKeyLoader(env: { secretArn?: string; hexKey?: string }): () => Promise<Buffer> {
  let cached: Promise<Buffer> | undefined;
  return () => {
    cached ??= (async () => {
      if (env.hexKey) return Buffer.from(env.hexKey, 'hex');
      if (!env.secretArn) throw new Error('set LINK_KEY_SECRET_ARN (AWS) or LINK_KEY (local mode)');
      const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: env.secretArn }));
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
