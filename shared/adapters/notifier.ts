/**
 * SNS: one message per approver on the approver topic, routed by the `approver`
 * message attribute (each approver's subscription has a filter policy on it, so a
 * personal link reaches only its owner); lifecycle events on the events topic.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

export type LifecycleEvent = 'request.created' | 'request.denied' | 'request.cancelled' | 'request.timed_out' | 'grant.activated' | 'grant.expiring' | 'grant.ended';

export class Notifier {
  constructor(private readonly client: SNSClient, private readonly approverTopicArn: string, private readonly eventsTopicArn: string) {}

  async notifyApprover(approverId: string, subject: string, text: string): Promise<void> {
    await this.client.send(new PublishCommand({
      TopicArn: this.approverTopicArn,
      // SNS email subjects: ASCII, no newlines, at most 100 characters.
      Subject: subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
      Message: text,
      MessageAttributes: { approver: { DataType: 'String', StringValue: approverId } },
    }));
  }

  async publishEvent(type: LifecycleEvent, requester: string, body: Record<string, unknown>): Promise<void> {
    await this.client.send(new PublishCommand({
      TopicArn: this.eventsTopicArn,
      Message: JSON.stringify({ type, ...body }),
      MessageAttributes: { event: { DataType: 'String', StringValue: type }, requester: { DataType: 'String', StringValue: requester } },
    }));
  }
}
