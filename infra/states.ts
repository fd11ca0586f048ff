/**
 * The state machine's state names, apart from the CDK code that builds it,
 * so local mode can name states (to resume executions) without loading aws-cdk-lib.
 */
/** The state names: the contract with local mode (resuming moves `StartAt` to one of them). */
export const STATE = {
  /** The start: routes each execution straight to its first step, so no request passes two Choices before it waits. */
  route: 'Route',
  /** MfaChallenge of a request whose next step is the plain AwaitApproval (MFA and approvals, no nudges): no Choice between them. */
  mfaChallenge: 'MfaChallenge',
  /** MfaChallenge of every other request with MFA (no approval, or reminders): NeedsApproval picks what follows. */
  mfaChallengeThenNeedsApproval: 'MfaChallengeThenNeedsApproval',
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
