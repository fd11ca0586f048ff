/**
 * jitgate as one construct (`jitgate/cdk`), for a platform team's own CDK app:
 *
 *     new Jitgate(this, 'Jitgate', { config: await loadJitgateConfig('jitgate.config.json') });
 *
 * Inside: data (key + table), notifications (topics), the link-signing key, the
 * workflow (state machine + its functions), the API (REST API + its functions) and
 * the operator alarms; outputs for the API URL, the table and the topics. This
 * repository's own stack (infra/stack.ts) is a thin shell around it. docs/construct.md
 * has the example and the options.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, CfnOutput } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { parseConfig, type Config } from '../shared/config/config';
import { resolveIssuers } from '../shared/config/issuers';
import { parseJsonText } from '../shared/config/json-text';
import { JitgateAlarms } from './alarms';
import { JitgateApi } from './api';
import { JitgateData } from './data';
import { deployedConfig, type DeployedConfig } from './deployed-config';
import { acknowledge } from './nag';
import { JitgateNotifications } from './notifications';
import { JitgateWorkflow } from './workflow';

export interface JitgateDomain {
  /** The host name the API answers on, e.g. `jitgate.example.com`; approval links use it too. */
  name: string;
  /** An ACM certificate for `name`, in the stack's region (a regional endpoint). */
  certificate: acm.ICertificate;
}

export interface JitgateProps {
  /**
   * The jitgate config: as `loadJitgateConfig` returns it (validated, issuers' JWKS
   * discovered), or the path of a config file, validated here with the deploy rules
   * (every real issuer then needs its `jwksUri` or a preset: no discovery at construct time).
   */
  config: Config | string;
  /** Serve the API on your own domain; you add the DNS record (output `DomainTarget`). */
  domain?: JitgateDomain;
  /**
   * The operator alarms (abnormal executions, function errors and throttles, API 5xx,
   * break-glass used, approvals timing out; infra/alarms.ts) and the dashboard: a topic
   * for the alarms to notify, or `false` for neither. Default: a new operator topic
   * (`operatorTopic`, output `OperatorTopicArn`): subscribe the on-call people to it.
   */
  alarms?: sns.ITopic | false;
}

export class Jitgate extends Construct {
  /** What of the config is deployed: development issuers, and the approvers they vouch for, are dropped. */
  readonly deployed: DeployedConfig;
  readonly data: JitgateData;
  readonly notifications: JitgateNotifications;
  readonly linkKeySecret: secretsmanager.Secret;
  readonly workflow: JitgateWorkflow;
  readonly api: JitgateApi;
  readonly alarms?: JitgateAlarms;
  /** The topic the alarms notify when the `alarms` option was left out. */
  readonly operatorTopic?: sns.Topic;
  readonly domainName?: apigw.DomainName;

  /** The base URL clients call: `https://<domain>/` with a custom domain, else the stage URL of the REST API. */
  readonly apiUrl: string;
  readonly table: dynamodb.Table;
  readonly tableName: string;
  readonly eventsTopic: sns.Topic;
  readonly approverTopic: sns.Topic;
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: JitgateProps) {
    super(scope, id);

    const config = typeof props.config === 'string' ? this.readConfig(props.config) : props.config;
    this.deployed = deployedConfig(config);
    const deployed = this.deployed.config;
    const { droppedIssuers, droppedMembers, errors } = this.deployed;
    for (const error of errors) Annotations.of(this).addError(error);
    if (droppedIssuers.length > 0) {
      Annotations.of(this).addWarningV2(
        'jitgate:development-issuer',
        `Development issuer(s) ${droppedIssuers.join(', ')} are served by local mode only and are not deployed` +
          (droppedMembers.length ? `; approver group members they vouch for are left out too (${droppedMembers.join('; ')})` : '') +
          '.',
      );
    }
    if (Object.keys(deployed.issuers).length === 0) {
      Annotations.of(this).addWarningV2(
        'jitgate:no-issuer',
        'NO ISSUER WILL BE DEPLOYED: every configured issuer is a development issuer. The deployed functions will refuse every request ' +
          '(fail closed) until you add a real OpenID issuer to the config.',
      );
    }
    const configJson = JSON.stringify(deployed);

    this.data = new JitgateData(this, 'Data');
    this.notifications = new JitgateNotifications(this, 'Notifications', { config: deployed, key: this.data.key });

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
      'Rotating the link-signing key would invalidate every approval link in flight; it is generated once (256 bits, KMS-encrypted, ' +
        'read only by the api, approve and await-approval functions) and rotated by hand if ever exposed.',
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
      aws: deployed.aws,
    });

    if (props.alarms === undefined) {
      this.operatorTopic = new sns.Topic(this, 'OperatorTopic', {
        displayName: 'jitgate operator alarms',
        masterKey: this.data.key,
        enforceSSL: true,
      });
      // CloudWatch publishes the alarms to the encrypted topic: it needs the key.
      this.data.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsToOperatorTopic',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
      new CfnOutput(this, 'OperatorTopicArn', {
        value: this.operatorTopic.topicArn,
        description: 'Subscribe the on-call people here: every jitgate alarm notifies it',
      });
    }
    if (props.alarms !== false) {
      const wf = this.workflow;
      const topic = props.alarms || this.operatorTopic;
      this.alarms = new JitgateAlarms(this, 'Alarms', {
        stateMachine: wf.stateMachine,
        functions: [
          ...Object.values(this.api.functions),
          wf.mfaChallengeFunction,
          wf.awaitApprovalFunction,
          wf.activateFunction,
          wf.endRequestFunction,
          wf.executionEndedFunction,
        ],
        restApi: this.api.restApi,
        ...(topic ? { topic } : {}),
      });
    }

    this.apiUrl = this.api.restApi.url;
    if (props.domain) {
      this.domainName = new apigw.DomainName(this, 'Domain', {
        domainName: props.domain.name,
        certificate: props.domain.certificate,
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
        mapping: this.api.restApi,
      });
      const publicUrl = `https://${props.domain.name}`;
      this.apiUrl = `${publicUrl}/`;
      // Links in notifications and on the approval page name the custom domain, not execute-api.
      for (const fn of this.node.findAll()) if (fn instanceof NodejsFunction) fn.addEnvironment('PUBLIC_URL', publicUrl);
      new CfnOutput(this, 'DomainTarget', {
        value: this.domainName.domainNameAliasDomainName,
        description: `Point ${props.domain.name} here: a CNAME, or a Route 53 alias in the hosted zone DomainTargetZone`,
      });
      new CfnOutput(this, 'DomainTargetZone', { value: this.domainName.domainNameAliasHostedZoneId });
    }

    this.table = this.data.table;
    this.tableName = this.data.table.tableName;
    this.eventsTopic = this.notifications.eventsTopic;
    this.approverTopic = this.notifications.approverTopic;
    this.stateMachine = this.workflow.stateMachine;

    new CfnOutput(this, 'ApiUrl', { value: this.apiUrl, description: 'The jitgate API base URL' });
    new CfnOutput(this, 'TableName', { value: this.tableName });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ApproverTopicArn', {
      value: this.approverTopic.topicArn,
      description: 'For npx jitgate subscriptions: who has confirmed their approver email subscription',
    });
    new CfnOutput(this, 'EventsTopicArn', { value: this.eventsTopic.topicArn, description: 'Subscribe here for lifecycle events' });
  }

  /** A config file, validated with the deploy rules; what cannot be deployed becomes a synth error on this construct. */
  private readConfig(file: string): Config {
    const config = parseConfig(readJson(file), sourceOf(file), { mode: 'deploy' });
    for (const [name, issuer] of Object.entries(config.issuers)) {
      if (!issuer.jwksUri && !issuer.development) {
        Annotations.of(this).addError(
          `issuers.${name}.jwksUri: not set, and a config given as a path is not resolved by OpenID discovery ` +
            '(a construct is synchronous); ' +
            `set "jwksUri", or pass \`config: await loadJitgateConfig('${file}')\`.`,
        );
      }
    }
    return config;
  }
}

/**
 * Reads a config file, validates it with the deploy rules (https issuers only) and fills
 * each issuer's missing `jwksUri` by OpenID Connect discovery: once, at synth, never per
 * request. Throws a ConfigError naming the path, the value and the fix.
 */
export async function loadJitgateConfig(file: string): Promise<Config> {
  const source = sourceOf(file);
  return resolveIssuers(parseConfig(readJson(file), source, { mode: 'deploy' }), undefined, { source });
}

/** How messages name the file: relative to the working directory when it is below it. */
function sourceOf(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

function readJson(file: string): unknown {
  // A syntax error names the line and column, with the line itself (shared/config/json-text.ts).
  return parseJsonText(fs.readFileSync(file, 'utf8'), sourceOf(file));
}
