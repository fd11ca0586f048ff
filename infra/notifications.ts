/**
 * SNS: the approver topic (one message per approver, routed by the `approver` message
 * attribute, so a personal approval link reaches only its owner) and the lifecycle
 * events topic (`request.created`, `grant.activated`, `grant.expiring`, ...).
 */
import { createHash } from 'node:crypto';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Config } from '../shared/config/config';
import { approvers } from './deployed-config';

export interface JitgateNotificationsProps {
  /** The deployed config (development issuers already dropped). */
  config: Config;
  key: kms.IKey;
}

export class JitgateNotifications extends Construct {
  readonly approverTopic: sns.Topic;
  readonly eventsTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: JitgateNotificationsProps) {
    super(scope, id);

    this.approverTopic = new sns.Topic(this, 'ApproverTopic', {
      displayName: 'jitgate approvals',
      masterKey: props.key,
      enforceSSL: true,
    });
    this.eventsTopic = new sns.Topic(this, 'EventsTopic', {
      displayName: 'jitgate lifecycle events',
      masterKey: props.key,
      enforceSSL: true,
    });

    // One email subscription per approver; the filter policy makes each message personal.
    for (const approver of approvers(props.config)) {
      // Stable id from who and where, so adding an approver never replaces the others' subscriptions.
      const id = `Approver${createHash('sha256').update(`${approver.principalId}\u0000${approver.email}`).digest('hex').slice(0, 12)}`;
      new sns.Subscription(this, id, {
        topic: this.approverTopic,
        protocol: sns.SubscriptionProtocol.EMAIL,
        endpoint: approver.email,
        filterPolicy: { approver: sns.SubscriptionFilter.stringFilter({ allowlist: [approver.principalId] }) },
      });
    }
  }
}
