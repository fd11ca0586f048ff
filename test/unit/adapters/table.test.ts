import { fromItem, toItem } from '../../../shared/adapters/table';

describe('request items written by earlier versions', () => {
  test('the stored grant.activated message of a request completed before the upgrade is dropped on read, and so on the next write', () => {
    const item = {
      pk: 'REQ#req-1',
      sk: 'REQUEST',
      gsi1pk: 'REQUESTER#iss#alice',
      gsi1sk: '2026-11-26T10:00:00.000Z',
      gsi2pk: 'PENDING',
      gsi2sk: '2026-11-26T10:00:00.000Z',
      auditSeq: 3,
      auditHead: 'h3',
      approvalTaskToken: 'T1',
      id: 'req-1',
      requester: { id: 'iss#alice', issuer: 'iss', sub: 'alice' },
      createdAt: '2026-11-26T10:00:00.000Z',
      status: 'pending_approval',
      version: 4,
      grantTimes: { activatedAt: 'a', expiresAt: 'b', expiringAt: 'c' },
      activationNotice: '{"type":"grant.activated"}',
    };
    const stored = fromItem(item);
    expect(stored.request).not.toHaveProperty('activationNotice');
    expect(stored.request).toMatchObject({ id: 'req-1', version: 4, grantTimes: item.grantTimes });
    expect(stored).toMatchObject({ tokens: { approvalTaskToken: 'T1' }, chain: { seq: 3, head: 'h3' } });
    expect(toItem(stored.request, stored.tokens, stored.chain!)).not.toHaveProperty('activationNotice');
  });
});
