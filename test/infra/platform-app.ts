/**
 * `jitgate/cdk` in someone else's app, as construct.test.ts reads it and nag.test.ts checks it: a platform
 * team puts the Jitgate construct in its own stack, a few levels down, with its domain and its on-call topic.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
// The package's own entry point (package.json "exports"), as a platform team imports it.
import { Jitgate, type JitgateProps } from 'jitgate/cdk';
import { configWithHttpsIssuer } from './support';

export const DOMAIN = 'jitgate.platform.example.com';
const ON_CALL_KEY = 'alias/on-call';
const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:111111111111:certificate/0c0ffee0';

export function platformApp(outdir: string, props: (stack: Stack) => JitgateProps, opts: { nag?: boolean } = {}) {
  // No esbuild: functions point at their source, as in the other infra tests.
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: Boolean(opts.nag) });
  const stack = new Stack(app, 'PlatformTools', { env: { account: '111111111111', region: 'eu-west-1' } });
  const jitgate = new Jitgate(new Construct(stack, 'Security'), 'Approvals', props(stack));
  if (opts.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, jitgate };
}

/** The construct with a custom domain and the platform's on-call topic (KMS-encrypted) for its alarms. */
export function withDomainAndOnCall(stack: Stack): JitgateProps {
  return {
    config: configWithHttpsIssuer(),
    domain: { name: DOMAIN, certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN) },
    alarms: new sns.Topic(stack, 'OnCall', { enforceSSL: true, masterKey: kms.Alias.fromAliasName(stack, 'Key', ON_CALL_KEY) }),
  };
}
