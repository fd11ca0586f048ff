/**
 * The CDK app (`npx cdk synth|deploy`): reads the config file (JITGATE_CONFIG, default
 * jitgate.config.json at the repository root), validates it, and builds the stack
 * with cdk-nag's AWS Solutions checks.
 */
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import type { Config } from '../shared/config/config';
import { REPO_ROOT } from './functions';
import { loadJitgateConfig } from './jitgate';
import { JitgateStack, STACK_NAME, addNagChecks } from './stack';

async function loadConfig(): Promise<Config> {
  const file = process.env.JITGATE_CONFIG ? path.resolve(process.env.JITGATE_CONFIG) : path.join(REPO_ROOT, 'jitgate.config.json');
  const source = path.relative(process.cwd(), file) || file;
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
