/**
 * The error name the state machine catches to end an execution quietly: its request is
 * no longer waiting (denied, cancelled, locked out of MFA). The workflow steps throw it,
 * the API sends it with SendTaskFailure, and infra/workflow.ts catches it: one spelling.
 */
export const CLOSED = 'Closed';

/** Thrown by a workflow step to the state machine (a Lambda's `errorType` is the error's name). */
export class Closed extends Error {
  override readonly name = CLOSED;
}
