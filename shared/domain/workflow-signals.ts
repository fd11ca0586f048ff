/**
 * Errors a workflow step throws to choose the state machine's next state. A Lambda task
 * has one successor (`Next`); any other needs either a Choice state on the common path
 * (one more transition on every lifecycle) or a Catch on a named error, which costs
 * nothing when not raised. These are the rare turns, so they are errors, caught by name
 * (infra/workflow.ts): each spells its name out, as a minified bundle would mangle the class's.
 */
import type { GrantTimes } from './grant';

export const EXTENSION_APPLIED = 'ExtensionApplied';
export const EXPIRY_MOVED = 'ExpiryMoved';
export const REQUIREMENTS_NOT_MET = 'RequirementsNotMet';

/** Activate, for an extension: it was applied to the grant it extends (or denied); the execution ends. */
export class ExtensionApplied extends Error {
  override readonly name = EXTENSION_APPLIED;
}

/**
 * Expire, for a grant whose end moved later (an extension was applied) than the one its
 * execution waited for. The message is `{"grant": <the new times>}` as JSON: the state
 * machine reads it from the error's Cause, merges it into its state and waits again.
 */
export class ExpiryMoved extends Error {
  override readonly name = EXPIRY_MOVED;
  constructor(readonly grant: GrantTimes) {
    super(JSON.stringify({ grant }));
  }
}

/**
 * Activate, for a pending request with no grant times: a task success was sent before its
 * requirements were met (anyone holding a task token can send one). No Catch names it, so
 * the execution fails and the execution-ended rule closes the request as `failed`: no grant.
 */
export class RequirementsNotMet extends Error {
  override readonly name = REQUIREMENTS_NOT_MET;
}
