/**
 * The state machine's state and error names, apart from the CDK code that builds it,
 * so local mode can name states (to resume executions) without loading aws-cdk-lib.
 */
/** The state names: the contract with local mode (resuming moves `StartAt` to one of them). */
export const STATE = {
  needsMfa: 'NeedsMfa',
  mfaChallenge: 'MfaChallenge',
  needsApproval: 'NeedsApproval',
  awaitApproval: 'AwaitApproval',
  activate: 'Activate',
  waitUntilExpiring: 'WaitUntilExpiring',
  notifyExpiring: 'NotifyExpiring',
  waitUntilExpiry: 'WaitUntilExpiry',
  expire: 'Expire',
  timedOut: 'TimedOut',
  closed: 'Closed',
} as const;

/** Sent with SendTaskFailure when a request is denied, cancelled or locked out of MFA. */
export const CLOSED_ERROR = 'Closed';

