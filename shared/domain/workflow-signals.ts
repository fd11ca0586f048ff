/**
 * Errors a workflow step throws that the state machine tells apart by name; each spells its
 * name out, as a minified bundle would mangle the class's. A thrown error is a Lambda function
 * error, which the errors alarm counts, so the normal turns of a lifecycle (an extension, an
 * end that moved) are answers, never errors: only what must not happen is thrown.
 */
export const REQUIREMENTS_NOT_MET = 'RequirementsNotMet';

/**
 * Activate, for a pending request with no grant times: a task success was sent before its
 * requirements were met (anyone holding a task token can send one). No Catch names it, so
 * the execution fails and the execution-ended rule closes the request as `failed`: no grant.
 */
export class RequirementsNotMet extends Error {
  override readonly name = REQUIREMENTS_NOT_MET;
}
