/**
 * Local mode's IAM: who is calling (the access key of a SigV4 signature), and whether
 * that role's policies allow what the call needs. Every denial is printed loudly, with
 * role, action and resource, because on AWS it would be an AccessDenied in a log that
 * nobody watches while developing.
 */
import { LOCAL_ACCOUNT } from '../cfn';
import { evaluate, type AccessRequest } from './policy';
import type { LocalRole, LocalRoles } from './roles';
import { taskCall, type LocalArns, type TaskCall } from './calls';

export interface Denial {
  role: LocalRole;
  request: AccessRequest;
  explicit: boolean;
  /** AWS's wording: `User: <assumed-role ARN> is not authorized to perform: <action> on resource: <arn> because ...`. */
  message: string;
}

export function assumedRoleArn(role: LocalRole, account = LOCAL_ACCOUNT): string {
  return `arn:aws:sts::${account}:assumed-role/${role.logicalId}/${role.sessionName}`;
}

/** The message AWS gives for an identity-policy denial. */
export function denialMessage(role: LocalRole, request: AccessRequest, explicit: boolean): string {
  const why = explicit
    ? 'with an explicit deny in an identity-based policy'
    : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${assumedRoleArn(role)} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
}

export class LocalIam {
  constructor(
    readonly roles: LocalRoles,
    private readonly log: (line: string) => void,
    readonly arns: LocalArns,
  ) {}

  /** The role signing with this access key id, or undefined for a key local mode did not hand out. */
  roleFor(accessKeyId: string | undefined): LocalRole | undefined {
    return accessKeyId === undefined ? undefined : this.roles.byAccessKey.get(accessKeyId);
  }

  /** The first request the role may not make (all must be allowed), logged; undefined when every one is allowed. */
  check(role: LocalRole, requests: AccessRequest[]): Denial | undefined {
    for (const request of requests) {
      const decision = evaluate(role.policies, request);
      if (decision.kind === 'allowed') continue;
      const explicit = decision.kind === 'explicitly-denied';
      const denial: Denial = { role, request, explicit, message: denialMessage(role, request, explicit) };
      this.log(
        `local mode IAM: ACCESS DENIED for role ${role.logicalId} (${role.sessionName}): ${request.action} on ${request.resource}` +
          (explicit ? ` (explicit Deny in ${decision.policy}, statement ${decision.statement})` : ' (no policy of the role allows it)'),
      );
      return denial;
    }
    return undefined;
  }

  /**
   * The state machine's Task calls, checked against its role before they run: the error
   * and cause the Task fails with, as Step Functions reports an AccessDenied from the
   * service, or undefined when allowed (or not a call local mode knows).
   */
  checkTask(resource: string, parameters: unknown): { error: string; cause: string } | undefined {
    const role = this.roles.stateMachineRole;
    if (!role) return undefined;
    let call: TaskCall | undefined;
    try {
      call = taskCall(resource, parameters, this.arns);
    } catch {
      return undefined; // malformed parameters: the integration itself reports them
    }
    if (!call) return undefined;
    const denial = this.check(role, call.requests);
    if (!denial) return undefined;
    return {
      error: call.deniedError,
      cause:
        `${denial.message} (Service: ${call.service}, Status Code: ${call.statusCode}, Error Code: AccessDeniedException, ` +
        'Request ID: local)',
    };
  }
}
