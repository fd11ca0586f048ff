/** The use cases' Notifier in memory: what each approver was sent and which events were published, in order. */
import type { LifecycleEvent, Notifier } from '../../../shared/usecases/ports';

export interface SentMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface PublishedEvent {
  type: LifecycleEvent;
  requester: string;
  body: Record<string, unknown>;
}

export class MemoryNotifier implements Notifier {
  readonly sent: SentMessage[] = [];
  readonly events: PublishedEvent[] = [];

  async notifyApprover(to: string, subject: string, text: string, html?: string): Promise<void> {
    this.sent.push({ to, subject, text, ...(html !== undefined ? { html } : {}) });
  }

  async publishEvent(type: LifecycleEvent, requester: string, body: Record<string, unknown>): Promise<void> {
    this.events.push({ type, requester, body: structuredClone(body) });
  }
}
