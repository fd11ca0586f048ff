/**
 * SNS: one message per approver on the approver topic, routed by the `approver`
 * message attribute (each approver's subscription has a filter policy on it, so a
 * personal link reaches only its owner); lifecycle events on the events topic, with
 * the `event` and `requester` attributes so a requester-side subscription can filter
 * on its own requests.
 *
 * Plain text and HTML in one publish. A message attribute cannot carry the HTML
 * (attributes count towards the same 256 KB and are meant for routing), and SNS email
 * subscriptions only ever show text. So an approver message with HTML is published
 * with `MessageStructure: 'json'`:
 *
 *   { "email": "<the text>",
 *     "default": "{\"type\":\"jitgate.approver-message\",\"subject\":...,\"text\":...,\"html\":...}" }
 *
 * Email subscribers (what the stack creates per approver) get `email`, the readable
 * text. Every other protocol (https, lambda, sqs, email-json) gets `default`, a JSON
 * envelope with subject, text and html, which a forwarder can hand to SES as a
 * multipart message. Local mode's SNS stand-in does the same (the outbox records the
 * `email` entry for email subscriptions).
 */
import { PublishCommand, SNSClient, type PublishCommandInput, type SNSClientConfig } from '@aws-sdk/client-sns';
import { eventMessage } from '../domain/notification';
import type { LifecycleEvent, Notifier } from '../usecases/ports';

export class SnsNotifier implements Notifier {
  /**
   * Made on the first publish, not with the notifier: authorize makes a notifier at every cold start
   * and publishes only for `consume`, and making the client (its config resolved) cost its first call
   * ~4 ms (node --cpu-prof). The module stays a static import: `import()` makes esbuild wrap the SDK
   * modules SNS shares with DynamoDB in lazy initialisers, and that bundle (+26 KB) started slower.
   */
  private client: SNSClient | undefined;

  constructor(
    private readonly clientConfig: SNSClientConfig,
    private readonly approverTopicArn: string,
    private readonly eventsTopicArn: string,
  ) {}

  async notifyApprover(approverId: string, subject: string, text: string, html?: string): Promise<void> {
    // SNS email subjects: ASCII, no newlines, at most 100 characters.
    const safeSubject = subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
    await this.publish({
      TopicArn: this.approverTopicArn,
      Subject: safeSubject,
      ...(html === undefined ? { Message: text } : { MessageStructure: 'json', Message: approverEnvelope(subject, text, html) }),
      MessageAttributes: { approver: { DataType: 'String', StringValue: approverId } },
    });
  }

  async publishEvent(type: LifecycleEvent, requester: string, body: Record<string, unknown>): Promise<void> {
    await this.publish({
      TopicArn: this.eventsTopicArn,
      Message: eventMessage(type, body),
      MessageAttributes: { event: { DataType: 'String', StringValue: type }, requester: { DataType: 'String', StringValue: requester } },
    });
  }

  private async publish(input: PublishCommandInput): Promise<void> {
    this.client ??= new SNSClient(this.clientConfig);
    await this.client.send(new PublishCommand(input));
  }
}

/** The `MessageStructure: 'json'` body of an approver message: text for email, a JSON envelope with the HTML for everything else. */
export function approverEnvelope(subject: string, text: string, html: string): string {
  return JSON.stringify({ email: text, default: JSON.stringify({ type: 'jitgate.approver-message', subject, text, html }) });
}
