/**
 * cdk-nag 3 acknowledgements. cdk-nag 3 reads CDK's own `Validations.of(x).acknowledge()`
 * metadata: an acknowledgement covers the construct it is made on and everything below it.
 * Findings about one wildcard in an IAM policy are acknowledged one by one as
 * `AwsSolutions-IAM5[Resource::<pattern>]` / `AwsSolutions-IAM5[Action::<pattern>]`
 * (cdk-nag 2's `appliesTo`).
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Acknowledges one cdk-nag rule (or one finding of it) on `scope` and its children, with the reason. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** The way cdk-nag spells a resource's attribute in a finding id: `<LogicalId.Arn>`. */
export function nagRef(resource: IConstruct, attribute = 'Arn'): string {
  const cfn = CfnResource.isCfnResource(resource) ? resource : (resource.node.defaultChild as CfnResource | undefined);
  if (!cfn || !CfnResource.isCfnResource(cfn)) throw new Error(`${resource.node.path} has no CloudFormation resource`);
  return `<${Stack.of(cfn).getLogicalId(cfn)}.${attribute}>`;
}
