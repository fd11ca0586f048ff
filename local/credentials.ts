/**
 * Local mode's AWS credentials: one access key per IAM role of the synthesized
 * template (each function's role, the state machine's role). The SDK signs every
 * call with SigV4, and the access key in the `Credential=` part of the
 * Authorization header tells a local endpoint which role is calling, so the call
 * can be checked against that role's policies, as AWS does. Calls without a
 * signature from one of these keys are refused, so a page or a process that is
 * not local mode cannot drive the local services.
 */
import { createHash } from 'node:crypto';

/** The key id for a role's logical id in the template: stable across restarts, readable in logs. */
export function accessKeyFor(roleLogicalId: string): string {
  return `LOCAL${createHash('sha256').update(roleLogicalId).digest('hex').slice(0, 12).toUpperCase()}`;
}

/** Local mode does not check signatures' cryptography (the SDK computes them); the key id is what matters. */
export const LOCAL_SECRET_ACCESS_KEY = 'jitgate-local-mode-secret';

/** The access key id in a SigV4 Authorization header, or undefined when the header is missing or not SigV4. */
export function accessKeyOf(authorization: string | undefined): string | undefined {
  return /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}
