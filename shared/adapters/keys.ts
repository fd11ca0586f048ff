/**
 * The table's key layout (docs/ARCHITECTURE.md, "DynamoDB"): the one place an item's
 * keys are spelled: the store writes with these, and nothing else writes the table.
 */
export const keys = {
  request: (id: string) => ({ pk: `REQ#${id}`, sk: 'REQUEST' }),
  grantSlot: (principal: string, action: string, resource: string) => ({ pk: `GRANT#${principal}#${action}#${resource}`, sk: 'GRANT' }),
  idempotency: (principal: string, key: string) => ({ pk: `IDEM#${principal}#${key}`, sk: 'IDEM' }),
  enrolment: (principal: string) => ({ pk: `USER#${principal}`, sk: 'TOTP' }),
  /** Audit events sort by their place on the chain; zero-padded so the sort key order is the chain order. */
  auditEvent: (requestId: string, seq: number) => ({ pk: `REQ#${requestId}`, sk: `EVT#${String(seq).padStart(10, '0')}` }),
  /** The head of the journal: the chain of audit events that belong to no request. */
  journalHead: () => ({ pk: 'AUDIT#JOURNAL', sk: 'HEAD' }),
  rate: (principal: string, kind: string, windowStart: number) => ({ pk: `USER#${principal}`, sk: `RATE#${kind}#${windowStart}` }),
  pending: (principal: string) => ({ pk: `USER#${principal}`, sk: 'PENDING' }),
  mfaGuard: (principal: string) => ({ pk: `USER#${principal}`, sk: 'MFAGUARD' }),
};

/** An audit event's index keys: the whole trail by time (gsi1), and by actor (gsi2). */
export function auditIndexes(e: { at: string; requestId: string; actor: string }): Record<string, string> {
  return { gsi1pk: 'AUDIT', gsi1sk: `${e.at}#${e.requestId}`, gsi2pk: `ACTOR#${e.actor}`, gsi2sk: e.at };
}
