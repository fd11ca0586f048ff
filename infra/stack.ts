/**
 * The jitgate stack: data (key + table), notifications (topics), the link-signing key,
 * the workflow (state machine + its functions) and the API (REST API + its functions).
 *
 * `synthesizeTemplate` builds it in-process and returns the CloudFormation template;
 * local mode reads the table, the state machine definition, the functions (by their
 * `jitgate:entry` metadata) and the routes from it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Annotations, App, CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { Config } from '../shared/config/config';
import { JitgateAlarms } from './alarms';
import { JitgateApi } from './api';
import { JitgateData } from './data';
import { deployedConfig, type DeployedConfig } from './deployed-config';
import { acknowledge } from './nag';
import { JitgateNotifications } from './notifications';
import { JitgateWorkflow } from './workflow';

export const STACK_NAME = 'Jitgate';

export interface JitgateStackProps extends StackProps {
  /** The validated config; development issuers are dropped from what is deployed. */
  config: Config;
}

export class JitgateStack extends Stack {
  readonly deployed: DeployedConfig;
  readonly data: JitgateData;
  readonly notifications: JitgateNotifications;
  readonly linkKeySecret: secretsmanager.Secret;
  readonly workflow: JitgateWorkflow;
  readonly api: JitgateApi;
  readonly alarms: JitgateAlarms;

  constructor(scope: Construct, id: string, props: JitgateStackProps) {
    super(scope, id, { description: 'jitgate: Just-In-Time action approval', ...props });

    this.deployed = deployedConfig(props.config);
    const { config, droppedIssuers, droppedMembers, errors } = this.deployed;
    for (const error of errors) Annotations.of(this).addError(error);
    if (droppedIssuers.length > 0) {
      Annotations.of(this).addWarningV2(
        'jitgate:development-issuer',
        `Development issuer(s) ${droppedIssuers.join(', ')} are served by local mode only and are not deployed` +
          (droppedMembers.length ? `; approver group members they vouch for are left out too (${droppedMembers.join('; ')})` : '') + '.',
      );
    }
    if (Object.keys(config.issuers).length === 0) {
      Annotations.of(this).addWarningV2(
        'jitgate:no-issuer',
        'NO ISSUER WILL BE DEPLOYED: every configured issuer is a development issuer. The deployed functions will refuse every request (fail closed) until you add a real OpenID issuer to the config.',
      );
    }
    const configJson = JSON.stringify(config);

    this.data = new JitgateData(this, 'Data');
    this.notifications = new JitgateNotifications(this, 'Notifications', { config, key: this.data.key });

    this.linkKeySecret = new secretsmanager.Secret(this, 'LinkKey', {
      description: 'jitgate: the key that signs approval links (64 hex characters)',
      encryptionKey: this.data.key,
      generateSecretString: {
        passwordLength: 64,
        // Hex only: 256 bits, the same shape as local mode's .jitgate/link-key.
        excludeUppercase: true,
        excludePunctuation: true,
        includeSpace: false,
        excludeCharacters: 'ghijklmnopqrstuvwxyz',
      },
    });
    acknowledge(
      this.linkKeySecret,
      'AwsSolutions-SMG4',
      'Rotating the link-signing key would invalidate every approval link in flight; it is generated once (256 bits, KMS-encrypted, read only by the api, approve and await-approval functions) and rotated by hand if ever exposed.',
    );

    this.workflow = new JitgateWorkflow(this, 'Workflow', {
      table: this.data.table,
      key: this.data.key,
      approverTopic: this.notifications.approverTopic,
      eventsTopic: this.notifications.eventsTopic,
      linkKeySecret: this.linkKeySecret,
      configJson,
    });
    this.api = new JitgateApi(this, 'Api', {
      table: this.data.table,
      key: this.data.key,
      approverTopic: this.notifications.approverTopic,
      eventsTopic: this.notifications.eventsTopic,
      linkKeySecret: this.linkKeySecret,
      stateMachine: this.workflow.stateMachine,
      configJson,
      aws: config.aws,
    });

    const wf = this.workflow;
    this.alarms = new JitgateAlarms(this, 'Alarms', {
      stateMachine: wf.stateMachine,
      functions: [...Object.values(this.api.functions), wf.mfaChallengeFunction, wf.awaitApprovalFunction, wf.endRequestFunction, wf.executionEndedFunction],
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'The jitgate API base URL' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ApproverTopicArn', { value: this.notifications.approverTopic.topicArn, description: 'For npx jitgate subscriptions: who has confirmed their approver email subscription' });
    new CfnOutput(this, 'EventsTopicArn', { value: this.notifications.eventsTopic.topicArn, description: 'Subscribe here for lifecycle events' });
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
