/**
 * The audit trail: one event per decision or state change, with actor and time.
 * Events are written in the same DynamoDB transaction as the change they record,
 * so the trail can never disagree with the requests.
 */
export type AuditType =
  | 'created'
  | 'break_glass'
  | 'break_glass_reviewed'
  | 'denied_by_policy'
  | 'mfa_passed'
  | 'mfa_failed'
  | 'mfa_locked_out'
  | 'mfa_user_locked'
  | 'totp_enrolled'
  | 'totp_confirmed'
  | 'approvers_notified'
  /** Some approvers' messages could not be sent (`details.approvers`); the step sends them again on its retry. */
  | 'approvers_not_reached'
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
  | 'failed'
  /** An approver's decision refused (their own request, not an approver, too late, already decided). */
  | 'decision_refused'
  /** A step-up (RFC 9470) check failed: the token's sign-in was not strong or recent enough. */
  | 'step_up_failed'
  /** `authorize` said no while the caller's request for it is pending. */
  | 'authorize_denied'
  /** The first use of a window grant (later uses are not recorded: see docs/ARCHITECTURE.md). */
  | 'grant_used'
  /** A grant slot that does not match its request (not active, other times or owner) was refused. */
  | 'grant_refused'
  /** On the grant's chain: its requester asked for more time (`details.extension`: the extension request's id). */
  | 'extension_requested'
  /** On both chains: an approved extension moved the grant's end (`details.from`, `details.to`). */
  | 'extended';

export interface AuditEvent {
  requestId: string;
  type: AuditType;
  /** Principal id, or "jitgate" for the workflow itself. */
  actor: string;
  /** The actor's issuer (principal ids are `<iss>#<sub>`), explicit so auditors can filter on it; absent for "jitgate". */
  issuer?: string;
  at: string;
  action?: string;
  resource?: string;
  reason?: string;
  details?: Record<string, unknown>;
}

export function auditEvent(
  requestId: string,
  type: AuditType,
  actor: string,
  at: Date,
  extra: Partial<Omit<AuditEvent, 'requestId' | 'type' | 'actor' | 'at'>> = {},
): AuditEvent {
  const event: AuditEvent = { requestId, type, actor, ...issuerOf(actor), at: at.toISOString() };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) (event as unknown as Record<string, unknown>)[k] = v;
  return event;
}

/** OIDC issuers carry no fragment (OpenID Connect Discovery 1.0 §3), so the first `#` of a principal id ends the issuer. */
function issuerOf(actor: string): { issuer?: string } {
  const i = actor.indexOf('#');
  return i > 0 ? { issuer: actor.slice(0, i) } : {};
}
