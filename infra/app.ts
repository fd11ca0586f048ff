/**
 * The CDK app (`npx cdk synth|deploy`): reads the config file (JITGATE_CONFIG, default
 * jitgate.config.json in the working directory, the repository root where cdk.json is),
 * validates it, and builds the stack with cdk-nag's AWS Solutions checks. Never the demo
 * config unless named: it trusts only local mode's development issuer, so a stack built
 * from it by accident would refuse every token.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { Config } from '../shared/config/config';
import { ConfigFileMissing, DEMO_CONFIG_FILE, locateConfig } from '../shared/config/config-file';
import { REPO_ROOT } from './functions';
import { loadJitgateConfig } from './jitgate';
import { JitgateStack, STACK_NAME, addNagChecks } from './stack';

async function loadConfig(): Promise<Config> {
  const location = locateConfig({ cwd: process.cwd(), env: process.env, demo: false });
  const file = location.file;
  const source = path.relative(process.cwd(), file) || file;
  if (!existsSync(file)) {
    const demo = path.relative(REPO_ROOT, DEMO_CONFIG_FILE);
    console.error(
      [
        new ConfigFileMissing(location).message,
        'Write the config for your deployment first: npx jitgate init --help (docs/deploy.md).',
        `The demo config (${demo}) is for local mode; to synthesize it anyway, from ${REPO_ROOT}: JITGATE_CONFIG=${demo} npx cdk synth`,
      ].join('\n'),
    );
    process.exit(1);
  }
  try {
    // Deploy rules (https issuers only), then OIDC discovery of each jwksUri not configured: once, here, never per request.
    return await loadJitgateConfig(file);
  } catch (err) {
    const message = (err as Error).message;
    console.error(message.startsWith(source) ? message : `${source}: ${message}`);
    process.exit(1);
  }
}

// Discovery is asynchronous; the App synthesizes when the process is about to exit, after this has run.
void loadConfig().then((loaded) => {
  const app = new App();
  const stack = new JitgateStack(app, STACK_NAME, { config: loaded });
  addNagChecks(app);

  const { droppedIssuers, config } = stack.deployed;
  if (droppedIssuers.length > 0) console.error(`jitgate: development issuer(s) not deployed: ${droppedIssuers.join(', ')}`);
  if (Object.keys(config.issuers).length === 0) {
    console.error('\n*** jitgate WARNING: no issuer is deployed (all are development issuers). Every request will be refused. ***\n');
  }
});
