/**
 * A request's timeline (shared/domain/timeline.ts), from the views the use cases answer:
 * what happened in order, by whom, and what it waits for next.
 */
import { timeline, type ShownRequest } from '../../../shared/domain/timeline';
import { decide } from '../../../shared/usecases/decisions';
import { cancelRequest, revokeGrant } from '../../../shared/usecases/cancel-revoke';
import { createRequest } from '../../../shared/usecases/requests';
import { getRequest } from '../../../shared/usecases/request-reads';
import { awaitApproval } from '../../../shared/usecases/workflow-steps';
import { demo } from '../../support/principals';
import { by, LINK_BASE, world } from '../usecases/scenario';

const texts = async (w: ReturnType<typeof world>, id: string) =>
  timeline((await getRequest(w.deps, demo('alice'), id)) as unknown as ShownRequest).map((s) => `${s.tone}: ${s.text}`);

test('created, waiting for approval with who may approve, approved by whom, active until, revoked', async () => {
  const w = world();
  const { request } = await createRequest(w.deps, demo('alice'), { action: 'prod:debug', resource: 'c/1' }, { linkBase: LINK_BASE });
  const id = request.id;
  await awaitApproval(w.deps, id, 'T-approval', LINK_BASE);
  const waiting = timeline((await getRequest(w.deps, demo('alice'), id)) as unknown as ShownRequest);
  expect(waiting.map((s) => s.tone)).toEqual(['done', 'next']);
  expect(waiting[1]).toMatchObject({ text: 'Waiting for 1 approval from security-admins', detail: 'may approve: Bob, Carol' });

  await decide(w.deps, by(demo('bob')), id, 'approve', 'ok');
  const active = await texts(w, id);
  expect(active[0]).toBe('done: Requested by Alice');
  expect(active[1]).toBe('done: Approved by Bob for security-admins');
  expect(active[2]).toMatch(/^done: Active until \d{4}-/);

  await revokeGrant(w.deps, demo('alice'), id, 'finished');
  expect((await texts(w, id)).slice(2)).toEqual(['done: Active', 'no: Revoked by Alice']);
});

test('a denial and a cancellation end it with who did it; nothing waits any more', async () => {
  const w = world();
  const ask = async (resource: string) =>
    (await createRequest(w.deps, demo('alice'), { action: 'prod:debug', resource }, { linkBase: LINK_BASE })).request.id;
  const denied = await ask('c/2');
  await decide(w.deps, by(demo('carol')), denied, 'deny', 'use staging');
  expect(await texts(w, denied)).toEqual(['done: Requested by Alice', 'no: Denied by Carol for security-admins']);
  const cancelled = await ask('c/3');
  await cancelRequest(w.deps, demo('alice'), cancelled);
  expect(await texts(w, cancelled)).toEqual(['done: Requested by Alice', 'no: Cancelled by the requester']);
});
