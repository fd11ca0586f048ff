/** /dev/outbox by request: each request's messages under a heading naming it, its action and its requester. */
import { groupByRequest, headingText, requestOf } from '../../local/outbox-groups';
import { renderOutboxPage, type OutboxMessage } from '../../local/outbox';

const EVENTS = 'arn:aws:sns:local:000000000000:jitgate-events';
const APPROVERS = 'arn:aws:sns:local:000000000000:jitgate-approvers';
let n = 0;
type Attributes = Record<string, string>;
const msg = (topicArn: string, message: string, attributes: Attributes = {}, extra: Partial<OutboxMessage> = {}): OutboxMessage => ({
  id: `d${++n}`,
  messageId: `m${n}`,
  at: `2026-11-26T08:00:0${n}.000Z`,
  topicArn,
  message,
  attributes,
  links: [],
  ...extra,
});

const approverText = (id: string, action: string) =>
  [
    'Hello Bob,',
    '',
    `Alice asks to ${action} on cluster/eu-1.`,
    '',
    'Requester:     Alice <alice@example.com> (issuer http://127.0.0.1:4000/dev/idp)',
    `Action:        ${action}`,
    'Resource:      cluster/eu-1',
    `Request:       ${id}`,
  ].join('\n');

const created = msg(EVENTS, JSON.stringify({ type: 'request.created', requestId: 'r-1', action: 'prod:debug', resource: 'cluster/eu-1' }), {
  event: 'request.created',
  requester: 'http://127.0.0.1:4000/dev/idp#alice',
});
const toBob = msg(
  APPROVERS,
  approverText('r-1', 'prod:debug'),
  { approver: 'bob' },
  {
    deliveredTo: 'bob@example.com',
    subject: 'Approval needed: prod:debug by Alice',
  },
);
const other = msg(EVENTS, JSON.stringify({ type: 'mfa.locked', lockedUntil: 'x' }), { event: 'mfa.locked', requester: 'x#dave' });
const second = msg(APPROVERS, approverText('r-2', 'payments:approve'), {}, { deliveredTo: 'carol@example.com' });

const headings = ['Request r-2 · payments:approve · by Alice', 'Request r-1 · prod:debug · by Alice', 'Other messages'];

test('requestOf reads approver messages and lifecycle events', () => {
  expect(requestOf(toBob)).toEqual({ requestId: 'r-1', action: 'prod:debug', requester: 'Alice' });
  expect(requestOf(created)).toEqual({ requestId: 'r-1', action: 'prod:debug', requester: 'alice' });
  expect(requestOf(other)).toEqual({ requestId: undefined, action: undefined, requester: 'dave' });
  expect(requestOf(msg(EVENTS, 'plain text'))).toEqual({ requestId: undefined, action: undefined });
});

test('groupByRequest keeps the given order within and across groups, the rest last', () => {
  const groups = groupByRequest([second, other, toBob, created]);
  expect(groups.map((g) => [g.requestId, g.messages.map((m) => m.id)])).toEqual([
    ['r-2', [second.id]],
    ['r-1', [toBob.id, created.id]],
    [undefined, [other.id]],
  ]);
  expect(groups.map(headingText)).toEqual(headings);
});

test('the page shows one section per request, newest first, headed by request id, action and requester', () => {
  const html = renderOutboxPage([created, toBob, other, second]);
  const found = [...html.matchAll(/<h2>([^<]*) <small>/g)].map((m) => m[1]);
  expect(found).toEqual(headings);
  expect(html).toContain('<h3>Approval needed: prod:debug by Alice</h3>');
});

test("headings are escaped: an action or name is the requester's text", () => {
  const evil = msg(APPROVERS, approverText('r-3', '<b>x</b>'));
  expect(renderOutboxPage([evil])).toContain('Request r-3 · &lt;b&gt;x&lt;/b&gt; · by Alice');
});
