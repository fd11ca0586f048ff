/**
 * The outbox grouped by request: a developer trying one request reads its approver
 * messages and lifecycle events together, under a heading that says which request,
 * what action and whose, instead of one flat list of everything delivered.
 *
 * The request is read from what jitgate sends: an approver message's `Request:`,
 * `Action:` and `Requester:` lines (shared/domain/notification.ts), a lifecycle event's
 * JSON `requestId` and `action` and its `requester` attribute (shared/adapters/notifier.ts).
 */
import type { OutboxMessage } from './outbox-message';

export interface RequestHeading {
  requestId?: string;
  action?: string;
  requester?: string;
}

export interface OutboxGroup extends RequestHeading {
  /** Newest first. */
  messages: OutboxMessage[];
}

const line = (text: string, label: string): string | undefined => new RegExp(`^${label}:[ \\t]+(.+)$`, 'm').exec(text)?.[1]?.trim();

/** Which request a delivery is about, as far as the message says. */
export function requestOf(m: OutboxMessage): RequestHeading {
  const text = m.message.trim();
  if (text.startsWith('{')) {
    try {
      const event = JSON.parse(text) as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v.slice(0, 200) : undefined);
      // The principal id is `<issuer>#<sub>`; the sub is the part a person recognises.
      const requester = str(m.attributes.requester)?.replace(/^.*#/, '');
      return { requestId: str(event.requestId), action: str(event.action), ...(requester ? { requester } : {}) };
    } catch {
      /* not an event: read it as text */
    }
  }
  const requester = line(text, 'Requester')?.replace(/\s*<.*$/, '');
  return { requestId: line(text, 'Request'), action: line(text, 'Action'), ...(requester ? { requester } : {}) };
}

/**
 * `messages` (newest first) in groups, one per request, the group with the newest message
 * first; the rest last, in one group without a request id.
 */
export function groupByRequest(messages: readonly OutboxMessage[]): OutboxGroup[] {
  const groups = new Map<string, OutboxGroup>();
  const rest: OutboxMessage[] = [];
  for (const m of messages) {
    const heading = requestOf(m);
    if (!heading.requestId) {
      rest.push(m);
      continue;
    }
    const group = groups.get(heading.requestId) ?? { requestId: heading.requestId, messages: [] };
    // The first message to name the action or requester fills the heading; events may name fewer.
    group.action ??= heading.action;
    group.requester ??= heading.requester;
    group.messages.push(m);
    groups.set(heading.requestId, group);
  }
  return [...groups.values(), ...(rest.length ? [{ messages: rest }] : [])];
}

/** `request 3f2a… · prod:debug · by Alice`: the heading as one line of text. */
export function headingText(g: RequestHeading): string {
  if (!g.requestId) return 'Other messages';
  return [`Request ${g.requestId}`, g.action, g.requester && `by ${g.requester}`].filter(Boolean).join(' · ');
}
