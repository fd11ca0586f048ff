/**
 * Local mode's console story of each request: one line per step, tagged with the request id,
 * read from what SNS delivered (the outbox): the lifecycle events on the events topic and the
 * approvers' personal messages.
 *
 *   [3f2a…] created by alice: prod:debug on cluster/eu-1
 *   [3f2a…] ✉ bob@example.com: http://127.0.0.1:4000/approve/…
 *   [3f2a…] approved by bob
 *   [3f2a…] active until 2026-11-26 10:53:58 UTC
 *
 * Only a delivery that carries a personal link gets a ✉ line: the events topic has no
 * subscriber in local mode (nobody is mailed), so an event is told as what happened.
 *
 * Events carry what requesters and approvers wrote (a reason, an action): every value is
 * made one inert line (`clean`), so nothing printed can forge a line or drive the terminal.
 */
import { clean } from '../shared/domain/notification';
import { requestOf } from './outbox-groups';
import type { OutboxMessage } from './outbox-message';

type Event = Record<string, unknown> & { type: string };

/** The lines one delivery adds to the console; none when it tells nothing new. */
export function narrate(message: OutboxMessage): string[] {
  const event = eventOf(message.message);
  if (event) return eventLines(event, message.attributes.requester);
  return approverMessageLines(message);
}

function eventOf(text: string): Event | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(trimmed) as unknown;
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as Event).type === 'string' ? (parsed as Event) : undefined;
  } catch {
    return undefined;
  }
}

const text = (value: unknown, max = 200): string | undefined =>
  typeof value === 'string' && value.length > 0 ? clean(value, max) : undefined;

/**
 * Ids and addresses (a sub, an approver's email) stay as written, one line with no control or
 * direction characters: `clean` would defang their dots, which nobody can click on a console.
 */
const id = (value: unknown, max = 120): string | undefined =>
  typeof value === 'string' && value.length > 0
    ? Array.from(value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '\ufffd'))
        .slice(0, max)
        .join('')
    : undefined;

/** A principal id is `<issuer>#<sub>`: the sub is the part a person recognises. */
const person = (principal: unknown): string | undefined =>
  id(typeof principal === 'string' ? principal.replace(/^.*#/, '') : principal, 80);

/** `2026-11-26 10:53:58 UTC`, as the approver messages write times. */
function when(iso: unknown): string {
  const at = typeof iso === 'string' ? new Date(iso) : undefined;
  return at && !Number.isNaN(at.getTime()) ? `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC` : 'an unknown time';
}

const because = (reason: unknown) => (text(reason, 300) ? `: ${text(reason, 300)}` : '');

function eventLines(event: Event, requesterAttribute: string | undefined): string[] {
  const requester = person(requesterAttribute ?? event.requester) ?? 'someone';
  const tag = `[${id(event.requestId, 80) ?? `user ${requester}`}]`;
  const what = `${text(event.action, 100) ?? 'an action'} on ${text(event.resource) ?? 'any resource'}`;
  const lines = ((): string[] => {
    switch (event.type) {
      case 'request.created':
        return [
          `created by ${requester}: ${what}${event.breakGlass === true ? ' (break-glass)' : ''}`,
          ...(event.status === 'pending_mfa' ? [`waiting for ${requester}'s MFA code`] : []),
        ];
      case 'grant.break_glass':
        return [`break-glass: no approval asked; ${text(event.notify, 80) ?? 'the notify group'} told`];
      case 'grant.activated': {
        const approvers = Array.isArray(event.approvedBy) ? event.approvedBy.map(person).filter(Boolean) : [];
        return [...(approvers.length ? [`approved by ${approvers.join(', ')}`] : []), `active until ${when(event.expiresAt)}`];
      }
      case 'grant.extended':
        return [`extended by ${id(event.extension, 80) ?? 'an extension'}: active until ${when(event.expiresAt)}`];
      case 'grant.expiring':
        return [`expiring at ${when(event.expiresAt)}`];
      case 'grant.ended':
        return [endedLine(event)];
      case 'request.denied':
        return [`denied${event.decidedBy ? ` by ${person(event.decidedBy)}` : ''}${because(event.reason)}`];
      case 'request.cancelled':
        return ['ended: cancelled'];
      case 'request.timed_out':
        return ['ended: timed out, nobody completed it in time'];
      case 'request.failed':
        return [`ended: failed (execution ${text(event.executionStatus, 40) ?? 'ended abnormally'})`];
      case 'break_glass.flagged':
        return [`break-glass flagged by ${person(event.reviewer) ?? 'a reviewer'}${because(event.reason)}`];
      case 'mfa.locked':
        return [`MFA locked until ${when(event.lockedUntil)}`];
      default:
        return [text(event.type, 60) ?? 'event'];
    }
  })();
  return lines.map((line) => `${tag} ${line}`);
}

function endedLine(event: Event): string {
  if (event.outcome === 'consumed') return 'ended: used (one-time grant)';
  if (event.outcome === 'revoked') return `ended: revoked by ${person(event.revokedBy) ?? 'an admin'}${because(event.reason)}`;
  return `ended: expired at ${when(event.expiresAt)}`;
}

/** An approver's message: one ✉ line per personal link, or one line saying who was told when it has none. */
function approverMessageLines(message: OutboxMessage): string[] {
  const tag = `[${id(requestOf(message).requestId, 80) ?? 'no request'}]`;
  const to = id(message.deliveredTo) ?? 'nobody subscribed';
  const kind = /^(Reminder|Escalation|BREAK-GLASS)\b/.exec(message.subject ?? '')?.[1];
  const why = kind === 'Reminder' ? ' (reminder)' : kind === 'Escalation' ? ' (escalation)' : kind ? ' (review)' : '';
  if (message.links.length === 0) return [`${tag} told ${to}${why}, nothing to click`];
  return message.links.map((link) => `${tag} ✉ ${to}${why}: ${link}`);
}
