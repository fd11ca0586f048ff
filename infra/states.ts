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
  /**
   * Commits the grant and announces it (functions/activate); an extension is applied to the grant
   * it extends instead, and the execution waits for that grant's new end.
   */
  activate: 'Activate',
  waitUntilExpiring: 'WaitUntilExpiring',
  notifyExpiring: 'NotifyExpiring',
  waitUntilExpiry: 'WaitUntilExpiry',
  expire: 'Expire',
  timedOut: 'TimedOut',
  closed: 'Closed',
} as const;
