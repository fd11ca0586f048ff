/** The shapes local mode's SNS accepts and returns, named after the SDK's where they mirror it. */
import type { Outbox, OutboxMessage } from '../outbox';

export interface SnsMessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Bytes (SDK) or base64 text (state machine JSON). */
  BinaryValue?: Uint8Array | string;
}

/** The fields of the SDK's PublishCommandInput this stand-in honours. */
export interface SnsPublishParams {
  TopicArn?: string;
  TargetArn?: string;
  PhoneNumber?: string;
  Message?: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, SnsMessageAttributeValue>;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
}

export interface SnsPublishBatchParams {
  TopicArn?: string;
  PublishBatchRequestEntries?: (Omit<SnsPublishParams, 'TopicArn' | 'TargetArn' | 'PhoneNumber'> & { Id?: string })[];
}

/** A filter policy: attribute name → list of conditions (SNS syntax), `$or`, nested objects for MessageBody scope. */
export type FilterPolicy = Record<string, unknown>;

export interface SnsSubscription {
  topicArn: string;
  /** Where it is delivered (an email address, or the approver's principal): becomes `deliveredTo`. */
  endpoint: string;
  protocol?: string;
  /** Object, or its JSON text as SNS stores it. */
  filterPolicy?: FilterPolicy | string;
  filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
  /**
   * Set while the subscription awaits confirmation (the token of the confirmation
   * email); AWS delivers nothing to it until ConfirmSubscription. Absent: confirmed.
   */
  pendingToken?: string;
  /** ConfirmSubscription was signed and asked for AuthenticateOnUnsubscribe (only then does unsubscribing need AWS credentials). */
  confirmationWasAuthenticated?: boolean;
}

export interface LocalSnsOptions {
  outbox: Outbox;
  subscriptions?: SnsSubscription[];
  /**
   * Topics that exist. When given, publishing to any other topic fails with NotFound;
   * when absent, any well-formed topic ARN is accepted.
   */
  topics?: string[];
  /** Clock, for tests. */
  now?: () => Date;
}

export interface PublishOutcome {
  MessageId: string;
  SequenceNumber?: string;
  /** The outbox records written: one per matching subscription, or one without deliveredTo when the topic has no subscription. */
  deliveries: OutboxMessage[];
}
