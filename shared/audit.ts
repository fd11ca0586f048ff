/**
 * The audit trail: one event per decision or state change, with actor and time.
 * Events are written in the same DynamoDB transaction as the change they record,
 * so the trail can never disagree with the requests.
 */
export type AuditType =
  | 'created'
  | 'break_glass'
  | 'denied_by_policy'
  | 'mfa_passed'
  | 'mfa_failed'
  | 'mfa_locked_out'
  | 'approvers_notified'
  | 'approvers_reminded'
  | 'escalated'
  | 'approved'
  | 'denied'
  | 'cancelled'
  | 'activated'
  | 'consumed'
  | 'revoked'
  | 'expired'
  | 'timed_out'
  | 'failed';

export interface AuditEvent {
  requestId: string;
  type: AuditType;
  /** Principal id, or "jitgate" for the workflow itself. */
  actor: string;
  at: string;
  action?: string;
  resource?: string;
  reason?: string;
  details?: Record<string, unknown>;
}

export function auditEvent(requestId: string, type: AuditType, actor: string, at: Date, extra: Partial<Omit<AuditEvent, 'requestId' | 'type' | 'actor' | 'at'>> = {}): AuditEvent {
  const event: AuditEvent = { requestId, type, actor, at: at.toISOString() };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) (event as unknown as Record<string, unknown>)[k] = v;
  return event;
}
