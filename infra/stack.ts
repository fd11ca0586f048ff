/**
 * The jitgate stack: a thin shell around the `Jitgate` construct (infra/jitgate.ts),
 * which holds data, notifications, the link-signing key, the workflow, the API and the
 * alarms.
 *
 * `synthesizeTemplate` builds it in-process and returns the CloudFormation template;
 * local mode reads the table, the state machine definition, the functions (by their
 * `jitgate:entry` metadata) and the routes from it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { Config } from '../shared/config/config';
import type { DeployedConfig } from './deployed-config';
import { Jitgate, type JitgateProps } from './jitgate';

export const STACK_NAME = 'Jitgate';

export interface JitgateStackProps extends StackProps, JitgateProps {}

export class JitgateStack extends Stack {
  readonly jitgate: Jitgate;

  constructor(scope: Construct, id: string, props: JitgateStackProps) {
    const { config, domain, alarms, ...stackProps } = props;
    super(scope, id, { description: 'jitgate: Just-In-Time action approval', ...stackProps });
    // CDK leaves a child named 'Default' out of logical ids: every resource and output keeps the
    // id it had before the construct existed, so an update replaces nothing (the table and the
    // key are retained and deletion-protected: a new id would fail the deploy).
    this.jitgate = new Jitgate(this, 'Default', { config, domain, alarms });
  }

  get deployed(): DeployedConfig {
    return this.jitgate.deployed;
  }
}

/** Adds cdk-nag's AWS Solutions checks; cdk-nag 3 is a validation plugin, errors fail the synth. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

export interface SynthesizeOptions {
  /** Run esbuild for every function (slow); off by default. */
  bundle?: boolean;
  /** Run cdk-nag's AWS Solutions checks (an unacknowledged error throws). Off by default. */
  nag?: boolean;
  /** Where the cloud assembly goes; a temporary directory (removed afterwards) by default. */
  outdir?: string;
}

/**
 * Synthesizes the stack in-process and returns its CloudFormation template.
 * Without bundling (the default) it takes a few seconds: functions point at their
 * source, and local mode finds the handler through the `jitgate:entry` metadata.
 */
// biome-ignore lint/suspicious/noExplicitAny: a synthesized CloudFormation template is untyped JSON that its readers walk freely.
export function synthesizeTemplate(config: Config, opts: SynthesizeOptions = {}): Record<string, any> {
  const outdir = opts.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'jitgate-synth-'));
  try {
    const app = new App({
      outdir,
      // Without bundling, NodejsFunction skips esbuild and hashes nothing.
      context: opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
      // CDK's own template checks only warn and cost ~2 s on a cold start; `cdk synth` runs them.
      builtinCloudFormationValidation: Boolean(opts.nag),
    });
    new JitgateStack(app, STACK_NAME, { config });
    if (opts.nag) addNagChecks(app);
    return app.synth().getStackByName(STACK_NAME).template;
  } finally {
    if (!opts.outdir) fs.rmSync(outdir, { recursive: true, force: true });
  }
}
