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
      if (!out.SecretString) throw new Error('the link key secret is empty');
      return Buffer.from(out.SecretString, 'utf8');
    })().catch((err) => {
      cached = undefined;
      throw err;
    });
    return cached;
  };
}
