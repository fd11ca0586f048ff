/**
 * The state machine's state names, apart from the CDK code that builds it,
 * so local mode can name states (to resume executions) without loading aws-cdk-lib.
 */
/** The state names: the contract with local mode (resuming moves `StartAt` to one of them). */
export const STATE = {
  /** The start of every execution: waits for the MFA answer, or answers itself when the request has no MFA. */
  mfaChallenge: 'MfaChallenge',
  /**
   * Waits for the approvals, or answers itself when nothing is to be approved; with a reminder or an
   * escalation still to send, only until it (`$.approvalWaitSeconds`).
   */
  awaitApproval: 'AwaitApproval',
  /** AwaitApproval's timeout: a nudge is due (`$.reminder`) ─> Remind; otherwise the window closed ─> TimedOut. */
  approvalWaitEnded: 'ApprovalWaitEnded',
  /** Sends the reminder / escalation that is due, then back to AwaitApproval until the next one or the window's close. */
  remind: 'Remind',
  /** Where a failed Remind goes: the approval wait for the rest of the window, without further nudges. */
  awaitApprovalWithoutNudges: 'AwaitApprovalWithoutNudges',
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
