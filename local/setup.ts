/**
 * What local mode composes before it serves (local/server.ts): the banner's config line, the
 * development issuer at local mode's port, the cached synthesized template, the link key, the
 * keys-only IdP and the approvers' local subscriptions.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Config } from '../shared/config/config';
import { CONFIG_FILE_NAME, type ConfigLocation } from '../shared/config/config-file';
import { approvers, deployedConfig } from '../infra/deployed-config';
import type { CfnTemplate } from './cfn';
import { createDevTokenSigner, type DevTokenSigner } from './idp';
import type { SnsSubscription } from './sns';

/** The development IdP: the full one, or discovery and JWKS only (`keysOnlyIdp`). */
export type LocalIdp = DevTokenSigner & { handle(req: IncomingMessage, res: ServerResponse): void; close(): Promise<void> };

/** The start banner's config line: which file runs, and for the demo, how to get a config of your own. */
export function describeConfigChoice(config: ConfigLocation, cwd: string): string {
  const shown = path.relative(cwd, config.file) || config.file;
  if (config.from !== 'demo') return `${shown}${config.from === 'env' ? '  (JITGATE_CONFIG)' : ''}`;
  return `the demo, ${shown}  (no ./${CONFIG_FILE_NAME} here; \`npx jitgate init\` writes yours)`;
}

/** The development issuer follows local mode's port; its keys are served by the dev IdP. */
export function localConfig(config: Config, baseUrl: string): { config: Config; devIssuer?: string } {
  const issuers = { ...config.issuers };
  let devIssuer: string | undefined;
  for (const [name, issuer] of Object.entries(issuers)) {
    if (!issuer.development) continue;
    devIssuer = `${baseUrl}/dev/idp`;
    issuers[name] = { ...issuer, issuer: devIssuer, jwksUri: `${devIssuer}/.well-known/jwks.json` };
  }
  return { config: { ...config, issuers }, devIssuer };
}

/**
 * Synthesizing the stack takes seconds, so its template is cached under node_modules/.cache, keyed
 * by what it is a function of: every source under infra/ and shared/ (the stack imports config,
 * domain and web modules too), the lockfile, and the deployed config (development issuers dropped,
 * so the template does not change with local mode's port: one entry serves every port).
 */
export function templateKey(root: string, config: Config): string {
  const hash = createHash('sha256').update(JSON.stringify(deployedConfig(config)));
  for (const dir of ['infra', 'shared']) {
    for (const f of readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((n) => n.endsWith('.ts'))
      .sort())
      hash.update(f).update(readFileSync(path.join(root, dir, f)));
  }
  hash.update(readFileSync(path.join(root, 'package-lock.json')));
  return hash.digest('hex').slice(0, 32);
}

/** Where local mode keeps what it derives from the repository: synthesized templates, validated definitions. */
export const LOCAL_CACHE_DIR = path.resolve(__dirname, '..', 'node_modules', '.cache', 'jitgate');

export async function cachedTemplate(config: Config): Promise<CfnTemplate> {
  const file = path.join(LOCAL_CACHE_DIR, `template-${templateKey(path.resolve(__dirname, '..'), config)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate;
  // aws-cdk-lib is loaded only on a cache miss: it adds ~100 MB to the process.
  const { synthesizeTemplate } = await import('../infra/stack');
  const template = synthesizeTemplate(config, { bundle: false }) as CfnTemplate;
  mkdirSync(LOCAL_CACHE_DIR, { recursive: true });
  writeFileSync(`${file}.${process.pid}`, JSON.stringify(template));
  renameSync(`${file}.${process.pid}`, file);
  return template;
}

export function linkKeyHex(dataDir: string): string {
  const file = path.join(dataDir, 'link-key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

export async function keysOnlyIdp(issuer: string, dataDir: string): Promise<LocalIdp> {
  const signer = await createDevTokenSigner({ issuer, dataDir });
  const discovery = JSON.stringify({
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    id_token_signing_alg_values_supported: ['RS256', 'ES256'],
  });
  const jwks = JSON.stringify(signer.jwks());
  return {
    ...signer,
    handle(req, res) {
      const p = (req.url ?? '').split('?')[0];
      const body =
        p === '/dev/idp/.well-known/jwks.json' ? jwks : p === '/dev/idp/.well-known/openid-configuration' ? discovery : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(body ?? '{}');
    },
    close: async () => undefined,
  };
}

/** Locally, every approver group member gets a subscription like those the stack creates on AWS (infra/notifications.ts). */
export function approverSubscriptions(config: Config, topicArn: string): SnsSubscription[] {
  return approvers(config, { includeDevelopment: true }).map((a) => ({
    topicArn,
    endpoint: a.email,
    protocol: 'email',
    filterPolicy: { approver: [a.principalId] },
  }));
}

/** A promise with how long it took from now to settle. */
export async function timed<T>(promise: Promise<T>): Promise<{ value: T; ms: number }> {
  const t = Date.now();
  return { value: await promise, ms: Date.now() - t };
}
