/**
 * The IAM roles of the synthesized template, with the identity policies AWS would
 * evaluate for them: each `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` attached to a
 * role through `Roles`, and each role's inline `Policies`, intrinsics resolved to the
 * local ARNs (local/cfn.ts). Each role is known to local mode's endpoints by the access
 * key `accessKeyFor(<role logical id>)` (local/credentials.ts).
 *
 * Not modelled: AWS managed policies (`ManagedPolicyArns`: only API Gateway's logging
 * role has one, and it makes no call that local mode serves), permission boundaries.
 */
import { findResources, localResolver, resolveIntrinsics, type CfnTemplate, type LocalRefOptions } from '../cfn';
import { accessKeyFor } from '../credentials';
import { validatePolicy, type NamedPolicy } from './policy';

export interface LocalRole {
  /** The role's logical id; also its name in local ARNs. */
  logicalId: string;
  accessKeyId: string;
  /**
   * The session in `arn:aws:sts::<account>:assumed-role/<role>/<session>`: the function (Lambda names the
   * session after it) or the state machine.
   */
  sessionName: string;
  policies: NamedPolicy[];
}

export interface LocalRoles {
  /** By access key id. */
  byAccessKey: Map<string, LocalRole>;
  /** By role logical id. */
  byLogicalId: Map<string, LocalRole>;
  /** Function logical id → its role. */
  functionRoles: Map<string, LocalRole>;
  /** The state machine's role (there is one state machine). */
  stateMachineRole?: LocalRole;
}

/**
 * The developer's own console rights, for tools and tests that play the operator (the
 * benchmark, stopping an execution by hand, `npx jitgate subscriptions`): list,
 * describe and stop executions, read and confirm subscriptions; never an execution's
 * history (it holds task tokens) nor a task response.
 */
export const LOCAL_OPERATOR_ROLE = 'LocalOperator';

/** The logical id in `{ Ref: X }` or `{ Fn::GetAtt: [X, Arn] }` (how the template names a role), else undefined. */
function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

export function rolesFromTemplate(template: CfnTemplate, options: LocalRefOptions & { stateMachineArn?: string } = {}): LocalRoles {
  // The state machine's ARN and name as local mode runs it, in grants that name it (`Ref`, `Fn::GetAtt [.., Name]`).
  const overrides = { ...options.overrides };
  const machine = findResources(template, 'AWS::StepFunctions::StateMachine')[0];
  if (machine && options.stateMachineArn) {
    overrides[machine.logicalId] ??= options.stateMachineArn;
    overrides[`${machine.logicalId}.Arn`] ??= options.stateMachineArn;
    overrides[`${machine.logicalId}.Name`] ??= options.stateMachineArn.split(':').pop()!;
  }
  const resolver = localResolver(template, { ...options, overrides });
  const policiesOf = new Map<string, NamedPolicy[]>();
  const attach = (roleId: string, policy: NamedPolicy) => policiesOf.get(roleId)?.push(policy);
  const resolved = (name: string, document: unknown): NamedPolicy => ({
    name,
    document: validatePolicy(name, resolveIntrinsics(document, resolver)),
  });

  for (const { logicalId, resource } of findResources(template, 'AWS::IAM::Role')) {
    policiesOf.set(logicalId, []);
    const inline = resource.Properties?.['Policies'];
    for (const p of Array.isArray(inline) ? inline : []) {
      const { PolicyName, PolicyDocument } = p as { PolicyName?: unknown; PolicyDocument?: unknown };
      attach(logicalId, resolved(`${logicalId}/${typeof PolicyName === 'string' ? PolicyName : 'inline'}`, PolicyDocument));
    }
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const { logicalId, resource } of findResources(template, type)) {
      const roles = resource.Properties?.['Roles'];
      const policy = resolved(logicalId, resource.Properties?.['PolicyDocument']);
      for (const ref of Array.isArray(roles) ? roles : []) {
        const roleId = referencedId(ref);
        if (roleId && policiesOf.has(roleId)) attach(roleId, policy);
      }
    }
  }

  const sessions = new Map<string, string>();
  const functionRoleIds = new Map<string, string>();
  for (const { logicalId, resource } of findResources(template, 'AWS::Lambda::Function')) {
    const roleId = referencedId(resource.Properties?.['Role']);
    if (roleId && policiesOf.has(roleId)) {
      functionRoleIds.set(logicalId, roleId);
      sessions.set(roleId, logicalId);
    }
  }
  let stateMachineRoleId: string | undefined;
  for (const { logicalId, resource } of findResources(template, 'AWS::StepFunctions::StateMachine')) {
    stateMachineRoleId = referencedId(resource.Properties?.['RoleArn']);
    if (stateMachineRoleId) sessions.set(stateMachineRoleId, options.stateMachineArn?.split(':').pop() ?? logicalId);
  }

  const byLogicalId = new Map<string, LocalRole>();
  for (const [logicalId, policies] of policiesOf) {
    byLogicalId.set(logicalId, {
      logicalId,
      accessKeyId: accessKeyFor(logicalId),
      sessionName: sessions.get(logicalId) ?? logicalId,
      policies,
    });
  }
  const functionRoles = new Map([...functionRoleIds].map(([fn, roleId]) => [fn, byLogicalId.get(roleId)!]));
  const roles: LocalRoles = {
    byLogicalId,
    byAccessKey: new Map([...byLogicalId.values()].map((r) => [r.accessKeyId, r])),
    functionRoles,
    ...(stateMachineRoleId && byLogicalId.has(stateMachineRoleId) ? { stateMachineRole: byLogicalId.get(stateMachineRoleId)! } : {}),
  };

  const machineArn = options.stateMachineArn;
  const operator: LocalRole = {
    logicalId: LOCAL_OPERATOR_ROLE,
    accessKeyId: accessKeyFor(LOCAL_OPERATOR_ROLE),
    sessionName: 'developer',
    policies: machineArn
      ? [
          {
            name: 'operator',
            document: {
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['states:ListExecutions', 'states:DescribeStateMachine', 'states:DescribeExecution', 'states:StopExecution'],
                  Resource: [machineArn, `${machineArn.replace(':stateMachine:', ':execution:')}:*`],
                },
                {
                  Effect: 'Allow',
                  Action: ['sns:ListSubscriptionsByTopic', 'sns:GetSubscriptionAttributes', 'sns:ConfirmSubscription'],
                  Resource: '*',
                },
              ],
            },
          },
        ]
      : [],
  };
  roles.byLogicalId.set(operator.logicalId, operator);
  roles.byAccessKey.set(operator.accessKeyId, operator);
  return roles;
}
