/**
 * The state machine's state names, apart from the CDK code that builds it,
 * so local mode can name states (to resume executions) without loading aws-cdk-lib.
 */
/** The state names: the contract with local mode (resuming moves `StartAt` to one of them). */
export const STATE = {
  needsMfa: 'NeedsMfa',
  mfaChallenge: 'MfaChallenge',
  needsApproval: 'NeedsApproval',
  awaitApproval: 'AwaitApproval',
  /** AwaitApproval cut short at the next reminder or escalation (policies with `approvals.remindAfter` / `approvals.escalate`). */
  awaitApprovalUntilReminder: 'AwaitApprovalUntilReminder',
  /** Sends the reminder / escalation that is due, then on to the next approval segment. */
  remind: 'Remind',
  /** Before activation: an extension (`$.extends`) is applied to the grant it extends (ApplyExtension), never activated. */
  isExtension: 'IsExtension',
  applyExtension: 'ApplyExtension',
  /** Reads the request item: the grant's times and the audit chain's head (infra/activate.ts). */
  readRequest: 'ReadRequest',
  activate: 'Activate',
  /** Publishes the requester's `grant.activated`, once Activate has committed. */
  notifyActivated: 'NotifyActivated',
  /** After a cancelled Activate: read again, then StillPending decides (retry, go on, or close). */
  rereadRequest: 'RereadRequest',
  stillPending: 'StillPending',
  waitUntilExpiring: 'WaitUntilExpiring',
  notifyExpiring: 'NotifyExpiring',
  waitUntilExpiry: 'WaitUntilExpiry',
  expire: 'Expire',
  /** After Expire: the grant was extended (its end moved later) → WaitUntilExpiring again; else Ended. */
  expiryMoved: 'ExpiryMoved',
  ended: 'Ended',
  timedOut: 'TimedOut',
  closed: 'Closed',
} as const;
