/** One delivery the outbox recorded: what a subscriber of a topic would have received. */
export interface OutboxMessage {
  /** Unique per delivery (one publish to two matching subscriptions gives two records). */
  id: string;
  /** The SNS MessageId of the publish this delivery came from (shared by its deliveries). */
  messageId: string;
  /** ISO 8601 time of the publish. */
  at: string;
  topicArn: string;
  subject?: string;
  /** The message as the subscriber gets it (for MessageStructure=json: the `email` or `default` entry). */
  message: string;
  /** Message attributes, as strings (Binary values base64, String.Array as its JSON text). */
  attributes: Record<string, string>;
  /** The subscription endpoint (approver email / principal) it was delivered to; absent when the topic has no subscription. */
  deliveredTo?: string;
  /** http(s) URLs found in the message. */
  links: string[];
}
