/**
 * End to end, over HTTP against local mode started as `npm start` does, with a config
 * that adds policies for the approvers' side: reminders and escalation sent by the
 * state machine (to the right people, once), a policy that needs two denials, and the
 * requester told of each outcome on the events topic (the outbox), filterable by the
 * `requester` message attribute.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, decideByLink, freePort, linkRequestId, startLocalMode, tempDir, type Running } from '../support/local-mode';
import { readDemoConfig } from '../support/demo-config';
import { waitFor } from '../support/wait';

const demo = readDemoConfig();

interface OutboxRecord {
  at: string;
  topicArn: string;
  subject?: string;
  message: string;
  deliveredTo?: string;
  links: string[];
  attributes: Record<string, string>;
}

let local: Running;
let api: Client;
let audrey: string;

function approversConfig(dir: string): string {
  const config = {
    ...demo,
    approverGroups: {
      ...demo.approverGroups,
      'security-leads': {
        members: [
          { issuer: 'dev', sub: 'carol', email: 'carol@example.com', name: 'Carol' },
          { issuer: 'dev', sub: 'audrey', email: 'audrey@example.com', name: 'Audrey' },
        ],
      },
    },
    policies: [
      ...demo.policies,
      // Reminder at 2 s, escalation 6 s before a 10 s window closes (at 4 s), two denials needed. The 6 s after the
      // escalation leave room for a loaded machine: a Remind step that runs after the window closed sends nothing.
      {
        action: 'e2e:nudge',
        approvals: {
          groups: { 'security-admins': 1 },
          window: '10s',
          remindAfter: '2s',
          escalate: { group: 'security-leads', before: '6s' },
          denials: 2,
        },
        grant: { mode: 'once', useWithin: '1m' },
      },
      {
        action: 'e2e:two-denials',
        approvals: { groups: { 'security-admins': 1 }, window: '1m', denials: 2 },
        grant: { mode: 'once', useWithin: '1m' },
      },
      {
        action: 'e2e:remind-then-approve',
        approvals: { groups: { 'security-admins': 1 }, window: '30s', remindAfter: '1s' },
        grant: { mode: 'window', maxDuration: '1m' },
      },
    ],
  };
  const file = path.join(dir, 'jitgate.approvers.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

beforeAll(async () => {
  const dataDir = tempDir('jitgate-e2e-approvers-');
  local = await startLocalMode({ port: await freePort(), dataDir, configPath: approversConfig(dataDir) });
  api = new Client(local.url, dataDir);
  audrey = await api.token('audrey');
}, 120_000);

afterAll(async () => {
  await local?.stop();
});

/** Oldest first. */
async function outbox(): Promise<OutboxRecord[]> {
  const res = await api.call('GET', '/dev/outbox');
  return (res.json.messages as OutboxRecord[]).slice().reverse();
}

const aboutRequest = (id: string) => (m: OutboxRecord) => m.message.includes(id) || m.links.some((l) => linkRequestId(l) === id);

/** Approver messages for a request: the subject line tells which kind. */
async function approverMessages(id: string): Promise<OutboxRecord[]> {
  return (await outbox()).filter((m) => m.topicArn.includes('ApproverTopic') && m.deliveredTo && aboutRequest(id)(m));
}

async function events(id: string): Promise<(Record<string, any> & { attributes: Record<string, string> })[]> {
  return (await outbox())
    .filter((m) => m.topicArn.includes('EventsTopic') && m.message.includes(id))
    .map((m) => ({ ...JSON.parse(m.message), attributes: m.attributes }));
}

const principal = (sub: string) => `${local.url}/dev/idp#${sub}`;

test('the state machine reminds the undecided approvers, then escalates, once each, then the request times out', async () => {
  const alice = await api.token('alice', { as: 'nudge' });
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'e2e:nudge', resource: 'vault/1', justification: 'rotate the keys' },
  });
  expect(created.status).toBe(201);
  const id: string = created.json.id;

  // Bob says no; with denials: 2 that is recorded and the request keeps waiting.
  const bob = await api.token('bob');
  const denied = await api.call('POST', `/v1/requests/${id}/decisions`, { token: bob, body: { decision: 'deny', reason: 'not today' } });
  expect(denied.status).toBe(200);
  expect(denied.json.status).toBe('pending_approval');

  await api.waitForStatus(alice, id, 'timed_out', 20_000);
  const messages = await approverMessages(id);
  const kinds = messages.map((m) => `${m.subject!.split(':')[0]} → ${m.deliveredTo}`);
  expect(kinds).toEqual([
    // First notification: everyone who may approve.
    'Approval needed → bob@example.com',
    'Approval needed → carol@example.com',
    // The reminder at 2 s: only Carol, since Bob has decided.
    'Reminder → carol@example.com',
    // The escalation 6 s before the end (at 4 s), to security-leads: Carol (an approver too: her link), Audrey (told only).
    'Escalation → carol@example.com',
    'Escalation → audrey@example.com',
  ]);
  const [, , reminder, escalation, notice] = messages;
  // Never early by more than the second a step may run ahead (DUE_EARLY_MS in shared/domain/approvals.ts):
  // the reminder's timer starts once the request exists, and when a busy machine runs the reminder late,
  // an escalation due within a second of it goes out with it.
  const createdAt = Date.parse(created.json.createdAt);
  expect(Date.parse(reminder!.at) - createdAt).toBeGreaterThanOrEqual(1990);
  expect(Date.parse(escalation!.at) - createdAt).toBeGreaterThanOrEqual(2990);
  expect(Date.parse(escalation!.at)).toBeGreaterThanOrEqual(Date.parse(reminder!.at));
  expect(reminder!.message).toContain('Reminder: Alice still waits for a decision to e2e:nudge on vault/1.');
  expect(reminder!.message).toContain('Denials:       2 denials end the request (1 so far)');
  expect(reminder!.links.filter((l) => l.includes('/approve/'))).toHaveLength(1);
  expect(escalation!.links.filter((l) => l.includes('/approve/'))).toHaveLength(1);
  expect(notice!.links).toEqual([]);
  expect(notice!.message).toContain('You cannot decide it yourself');

  expect(await api.auditTypes(id)).toEqual(
    expect.arrayContaining(['created', 'approvers_notified', 'denied', 'approvers_reminded', 'escalated', 'timed_out']),
  );
  const trail = (await api.call('GET', `/v1/audit?requestId=${id}`, { token: audrey })).json.events;
  expect(trail.find((e: { type: string }) => e.type === 'denied').details).toMatchObject({ final: false });

  // The requester is told, on the events topic, with the requester attribute to filter on.
  const timedOut = (await events(id)).find((e) => e.type === 'request.timed_out');
  expect(timedOut).toMatchObject({
    requestId: id,
    requester: principal('alice-nudge'),
    action: 'e2e:nudge',
    resource: 'vault/1',
    outcome: 'timed_out',
  });
  expect(timedOut!.attributes).toMatchObject({ event: 'request.timed_out', requester: principal('alice-nudge') });
}, 30_000);

test('two denials end the request; the requester is told why; the other links say it is decided', async () => {
  const alice = await api.token('alice', { as: 'denials' });
  const created = await api.call('POST', '/v1/requests', { token: alice, body: { action: 'e2e:two-denials', resource: 'vault/2' } });
  const id: string = created.json.id;
  expect(created.json.requirements.denials).toBe(2);

  const bobLink = await api.linkFor('bob@example.com', id);
  const first = await decideByLink(bobLink, 'deny', 'too broad');
  expect(first.status).toBe(200);
  expect((await api.call('GET', `/v1/requests/${id}`, { token: alice })).json.status).toBe('pending_approval');
  // Bob's link has been used.
  expect((await fetch(bobLink)).status).toBe(409);

  const carol = await api.token('carol');
  const second = await api.call('POST', `/v1/requests/${id}/decisions`, {
    token: carol,
    body: { decision: 'deny', reason: 'agree: too broad' },
  });
  expect(second.json).toMatchObject({ status: 'denied', reason: 'agree: too broad' });
  const carolLink = await api.linkFor('carol@example.com', id);
  const page = await fetch(carolLink);
  expect(page.status).toBe(409);
  expect(await page.text()).toMatch(/already decided/i);

  const deniedEvent = await waitFor(
    () => events(id),
    (e) => e.some((x) => x.type === 'request.denied'),
  );
  expect(deniedEvent.filter((e) => e.type === 'request.denied')).toEqual([
    expect.objectContaining({
      requestId: id,
      requester: principal('alice-denials'),
      action: 'e2e:two-denials',
      resource: 'vault/2',
      outcome: 'denied',
      reason: 'agree: too broad',
      attributes: expect.objectContaining({ requester: principal('alice-denials') }),
    }),
  ]);
  const types = await api.auditTypes(id);
  expect(types.filter((t) => t === 'denied')).toHaveLength(2);
});

test('approved through the reminder link, after a new segment parked a fresh token: the requester is told until when, ' +
  'then that it is ending and ended', async () => {
  const alice = await api.token('alice', { as: 'remind-approve' });
  const created = await api.call('POST', '/v1/requests', {
    token: alice,
    body: { action: 'e2e:remind-then-approve', resource: 'vault/3', durationSeconds: 3 },
  });
  const id: string = created.json.id;

  const reminders = await waitFor(
    () => approverMessages(id),
    (m) => m.filter((x) => x.subject?.startsWith('Reminder')).length === 2,
  );
  const bobReminder = reminders.find((m) => m.subject?.startsWith('Reminder') && m.deliveredTo === 'bob@example.com');
  expect(bobReminder).toBeDefined();
  const decided = await decideByLink(bobReminder!.links.find((l) => l.includes('/approve/'))!, 'approve', 'ok after the reminder');
  expect(decided.status).toBe(200);
  const active = await api.waitForStatus(alice, id, 'active');

  const activated = await waitFor(
    () => events(id),
    (e) => e.some((x) => x.type === 'grant.activated'),
  );
  expect(activated.filter((e) => e.type === 'grant.activated')).toEqual([
    expect.objectContaining({
      requestId: id,
      requester: principal('alice-remind-approve'),
      action: 'e2e:remind-then-approve',
      resource: 'vault/3',
      outcome: 'activated',
      expiresAt: active.expiresAt,
      attributes: expect.objectContaining({ event: 'grant.activated', requester: principal('alice-remind-approve') }),
    }),
  ]);
  // Then the grant runs out: grant.expiring (from the state machine) and grant.ended, both with the requester attribute.
  await api.waitForStatus(alice, id, 'expired', 15_000);
  const ending = await waitFor(
    () => events(id),
    (e) => e.some((x) => x.type === 'grant.ended'),
  );
  expect(ending.find((e) => e.type === 'grant.expiring')).toMatchObject({
    requestId: id,
    requester: principal('alice-remind-approve'),
    expiresAt: active.expiresAt,
    attributes: { event: 'grant.expiring', requester: principal('alice-remind-approve') },
  });
  expect(ending.find((e) => e.type === 'grant.ended')).toMatchObject({
    requestId: id,
    outcome: 'expired',
    action: 'e2e:remind-then-approve',
    resource: 'vault/3',
    expiresAt: active.expiresAt,
    attributes: { requester: principal('alice-remind-approve') },
  });
  // One reminder per approver, no escalation (the policy has none).
  expect((await approverMessages(id)).map((m) => m.subject!.split(':')[0])).toEqual([
    'Approval needed',
    'Approval needed',
    'Reminder',
    'Reminder',
  ]);
  expect(local.output()).not.toMatch(/failed: .*Error/);
}, 30_000);
