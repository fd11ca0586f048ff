/**
 * The request lifecycle as a Standard state machine, one execution per request. This
 * header is its description; docs/ARCHITECTURE.md ("The state machine") draws it once,
 * with the execution input and each state's integration.
 *
 *   MfaChallenge ─> AwaitApproval ─> Activate
 *     ─> WaitUntilExpiring ─> NotifyExpiring ─> WaitUntilExpiry ─> Expire [End]
 *   Every execution takes this path: MfaChallenge answers its own task at once when the
 *   request has no MFA, AwaitApproval when nothing is to be approved (auto-approved)
 *   States.Timeout on MfaChallenge ─> TimedOut [End]; on AwaitApproval ─> ApprovalWaitEnded,
 *   a Choice: a nudge is due ─> Remind (below), otherwise the window closed ─> TimedOut
 *   "Closed" on MfaChallenge / AwaitApproval / Activate ─> Closed
 *   An extension (`$.extends`, POST /v1/requests/{id}/extend) takes the same path: Activate
 *   applies it to the grant it extends and answers that grant, so this execution warns the
 *   requester before the new end and expires the grant then; the grant's own execution,
 *   at the old end, finds the end moved and stops (Expire changes nothing)
 *
 * The state machine owns activation: the API stores the grant's times and the
 * `grant.activated` message on the request when the last requirement is met, answers
 * with the request still pending, and never polls. Activate (functions/activate) reads
 * the request, commits the grant and only then publishes the message: one Lambda
 * invocation where the grant used to take four states (ReadRequest, a DynamoDB
 * transaction hashed in ASL, NotifyActivated, and a Choice for extensions).
 *
 * No Choice on the common path: each is a transition ($0.025 per 1,000) on every lifecycle.
 * So there is no Choice at the start to skip the steps a request does not need: a step with
 * nothing to wait for answers itself (an invocation, $0.0002 per 1,000, and a SendTaskSuccess,
 * which is free). And no normal turn is an error (a Lambda error counts against the function
 * errors alarm): an extension is the same path with another grant at `$.grant`.
 *
 * Reminders and escalation (`approvals.remindAfter`, `approvals.escalate`) cut the
 * approval wait into segments that end at each nudge:
 *
 *   AwaitApproval (its wait: `$.approvalWaitSeconds`, until the next nudge) ─> Activate
 *     States.Timeout ─> ApprovalWaitEnded ($.reminder present) ─> Remind ─> AwaitApproval
 *     (the next segment, or the last one, until the window's close: its timeout ─> TimedOut)
 *     Remind fails ─> AwaitApprovalWithoutNudges (`$.approvalTimeoutSeconds`) ─> Activate
 *
 * Each segment parks a fresh token (as a retry or a resumed execution would) and the
 * function notifies the approvers only the first time. Remind (a plain invoke of the same
 * function) sends what is due, records it on the request (`remindedAt` / `escalatedAt`,
 * version-checked, so a retried step sends nothing twice), and returns the execution state
 * with the next `approvalWaitSeconds` and `reminder`, or without `reminder` and with the
 * wait set to what is left of the window. A decision that arrives between two segments
 * finds the old token gone; the next segment's step sees the decision when it parks its
 * token (denied: Closed; quorum complete: it completes the task itself).
 *
 * Why segments, and not a Parallel state with a Wait/Remind branch beside the
 * approval task: a Parallel ends only when every branch has, so the reminder branch
 * would have to be cut short by a failure raised from the approval branch, which turns
 * every approval into an error path and adds states (Parallel, a Fail, a Pass to
 * recover the grant) to the common path. Segments keep policies without reminders on
 * exactly the path above: a full lifecycle is 7 state transitions and 4 Lambda invocations
 * (MfaChallenge, AwaitApproval, Activate, Expire), whatever its policy asks for. A policy with a
 * reminder and an escalation adds 3 transitions and 2 invocations per nudge
 * (ApprovalWaitEnded, Remind, the next segment's park): 13 transitions and 8 invocations with
 * MFA, approved after both nudges. An extension is a lifecycle of its own (its approval,
 * Activate applying it, the waits for the new end, Expire); the grant's own Expire still runs
 * once at the old end. No EventBridge schedule and no cron: the execution is the timer.
 *
 * Executions started before an update keep the definition they started with, and call the
 * updated functions: the steps accept the inputs of earlier definitions (Remind still sets
 * `reminder.afterSeconds` and `approvalTimeoutSeconds` as they read them).
 *
 * Why WaitUntilExpiring is a state of its own, and not the timeout of Activate run as a
 * `.waitForTaskToken` task (one transition, $0.025 per 1,000 lifecycles, less): the Waits and
 * Expire would then read the grant's times from the approval's task answer, not from Activate's
 * answer, and whoever can send SendTaskSuccess could set them; an Expire sent early finds the end
 * "moved", changes nothing, and the grant would stay active. Activate reads the times from the
 * request for that reason (shared/usecases/activation.ts).
 *
 * Each state is built by one small function in infra/workflow-states.ts, with its timeout,
 * retries and error names next to it. Local mode runs this very definition (from the synthesized
 * template), so everything the states read and write is part of the contract.
 */
import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ABNORMAL_STATUSES, EXECUTION_STATUS_CHANGE } from '../shared/domain/execution-events';
import { LOG_RETENTION, jitgateFunction } from './functions';
import { acknowledge, nagRef } from './nag';
import { connect } from './permissions';
import { STATE } from './states';
import {
  REMINDER_PATH,
  activateTask,
  awaitApprovalTask,
  awaitApprovalWithoutNudgesTask,
  expireTask,
  mfaChallengeTask,
  notifyExpiringTask,
  remindTask,
  timedOutTask,
} from './workflow-states';

export { STATE } from './states';

/** Where Step Functions' log groups belong (AWS's vended-logs prefix). */
export const VENDED_LOGS_PREFIX = '/aws/vendedlogs/states/';

export interface JitgateWorkflowProps {
  table: dynamodb.Table;
  key: kms.IKey;
  approverTopic: sns.ITopic;
  eventsTopic: sns.ITopic;
  linkKeySecret: secretsmanager.ISecret;
  /** JSON text of the deployed config, inlined into the function bundles. */
  configJson: string;
}

export class JitgateWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly mfaChallengeFunction: lambda.IFunction;
  readonly awaitApprovalFunction: lambda.IFunction;
  readonly activateFunction: lambda.IFunction;
  readonly endRequestFunction: lambda.IFunction;
  readonly executionEndedFunction: lambda.IFunction;

  constructor(scope: Construct, id: string, props: JitgateWorkflowProps) {
    super(scope, id);
    const { table, key } = props;

    // The functions the state machine invokes. They get no STATE_MACHINE_ARN: the state
    // machine references them, and they only ever answer it through their return value.
    const mfaChallenge = jitgateFunction(this, 'MfaChallengeFunction', {
      entry: 'mfa-challenge',
      description: 'jitgate MfaChallenge: stores the task token on the request',
      configJson: props.configJson,
    });
    connect(mfaChallenge, { table, key, eventsTopic: props.eventsTopic });

    const awaitApproval = jitgateFunction(this, 'AwaitApprovalFunction', {
      entry: 'await-approval',
      description: 'jitgate AwaitApproval/Remind: stores the task token, notifies each approver; sends reminders and escalations',
      configJson: props.configJson,
    });
    connect(awaitApproval, {
      table,
      key,
      approverTopic: props.approverTopic,
      eventsTopic: props.eventsTopic,
      linkKey: props.linkKeySecret,
    });

    const activateFunction = jitgateFunction(this, 'ActivateFunction', {
      entry: 'activate',
      description: 'jitgate Activate: commits the grant, audits, publishes grant.activated; applies an extension instead',
      configJson: props.configJson,
    });
    connect(activateFunction, { table, key, eventsTopic: props.eventsTopic });

    const endRequest = jitgateFunction(this, 'EndRequestFunction', {
      entry: 'end-request',
      description: 'jitgate Expire/TimedOut: ends the request, audits, publishes the event',
      configJson: props.configJson,
    });
    connect(endRequest, { table, key, eventsTopic: props.eventsTopic });

    this.mfaChallengeFunction = mfaChallenge;
    this.awaitApprovalFunction = awaitApproval;
    this.activateFunction = activateFunction;
    this.endRequestFunction = endRequest;

    // Closes the request of an execution that ended abnormally (see below: the rule).
    const executionEnded = jitgateFunction(this, 'ExecutionEndedFunction', {
      entry: 'execution-ended',
      description: 'jitgate: closes the request of an execution that ended FAILED, TIMED_OUT or ABORTED',
      configJson: props.configJson,
    });
    connect(executionEnded, { table, key, eventsTopic: props.eventsTopic });
    this.executionEndedFunction = executionEnded;

    // The states, then the wiring.
    const closed = new sfn.Succeed(this, STATE.closed, { comment: 'Denied, cancelled or locked out: nothing left to do' });
    const timedOut = timedOutTask(this, endRequest);
    const waitUntilExpiry = new sfn.Wait(this, STATE.waitUntilExpiry, { time: sfn.WaitTime.timestampPath('$.grant.expiresAt') });
    const notifyExpiring = notifyExpiringTask(this, props.eventsTopic, waitUntilExpiry);
    const waitUntilExpiring = new sfn.Wait(this, STATE.waitUntilExpiring, { time: sfn.WaitTime.timestampPath('$.grant.expiringAt') });
    const expire = expireTask(this, endRequest);
    const activate = activateTask(this, activateFunction, closed);
    const withoutNudges = awaitApprovalWithoutNudgesTask(this, awaitApproval, timedOut, closed);
    const remind = remindTask(this, awaitApproval, closed, withoutNudges);
    // AwaitApproval's wait ended: at a nudge while `$.reminder` is present, else at the window's close.
    const waitEnded = new sfn.Choice(this, STATE.approvalWaitEnded)
      .when(sfn.Condition.isPresent(REMINDER_PATH), remind)
      .otherwise(timedOut);
    const awaitApprovalState = awaitApprovalTask(this, awaitApproval, waitEnded, closed);
    const mfaChallengeState = mfaChallengeTask(this, mfaChallenge, timedOut, closed);

    mfaChallengeState.next(awaitApprovalState);
    awaitApprovalState.next(activate);
    remind.next(awaitApprovalState);
    withoutNudges.next(activate);
    activate.next(waitUntilExpiring);
    waitUntilExpiring.next(notifyExpiring);
    notifyExpiring.next(waitUntilExpiry);
    waitUntilExpiry.next(expire);

    // Vended logs go to a log group named under /aws/vendedlogs/states/: otherwise each
    // state machine adds its log group to the account's CloudWatch Logs resource policy,
    // which is capped at 5,120 characters, and deploys start failing once it is full
    // (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html). The stack id's
    // UUID keeps the name unique when a retained group outlives a deleted stack.
    const stack = Stack.of(this);
    const stackUuid = Fn.select(2, Fn.split('/', stack.stackId));
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `${VENDED_LOGS_PREFIX}${stack.stackName}-${stackUuid}`,
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'jitgate: one execution per request, named after the request id',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(mfaChallengeState),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    // NotifyExpiring publishes to the CMK-encrypted topic: what grantPublish gives a publisher (infra/permissions.ts).
    key.grant(this.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');

    // The parking steps answer their own task when the answer came first: an MFA code
    // entered before the token was parked, a quorum already complete when the next
    // approval segment parks (shared/usecases/workflow-steps.ts). Without this the call is
    // AccessDenied, the execution fails and the request would wait forever. A Policy of its
    // own, attached to the roles: in the functions' default policies the state machine ARN
    // would close a dependency cycle (the state machine's role already names the functions).
    new iam.Policy(this, 'TaskAnswers', {
      roles: [mfaChallenge.role!, awaitApproval.role!],
      statements: [
        new iam.PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
          resources: [this.stateMachine.stateMachineArn],
        }),
      ],
    });

    // Whatever ends an execution abnormally (a bug, a permission, a service error after the
    // retries, a hand-made StopExecution), its request must not stay pending: Step Functions
    // sends every status change to the default event bus, and this rule picks this state
    // machine's abnormal ends. https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
    new events.Rule(this, 'ExecutionEndedAbnormally', {
      description: 'jitgate: an execution ended FAILED, TIMED_OUT or ABORTED; close its request',
      eventPattern: {
        source: ['aws.states'],
        detailType: [EXECUTION_STATUS_CHANGE],
        detail: { status: [...ABNORMAL_STATUSES], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      // Lambda's own asynchronous retries cover function errors; the event is worth keeping a day.
      targets: [new targets.LambdaFunction(executionEnded, { retryAttempts: 8, maxEventAge: Duration.hours(24) })],
    });

    acknowledge(
      this.stateMachine,
      'AwsSolutions-SF1',
      'Logs at ERROR on purpose: every state change of a request is already in the audit trail (DynamoDB) ' +
        'and in the execution history; ALL would log each transition of every execution, at a cost per lifecycle, ' +
        'without adding information.',
    );
    acknowledge(
      this.stateMachine,
      'AwsSolutions-IAM5[Resource::*]',
      'Vended log delivery (logs:CreateLogDelivery, logs:GetLogDelivery, ... , logs:DescribeLogGroups) ' +
        'and X-Ray (xray:PutTraceSegments, xray:GetSamplingRules, ...) do not support resource-level permissions.',
    );
    for (const fn of [mfaChallenge, awaitApproval, activateFunction, endRequest]) {
      acknowledge(
        this.stateMachine,
        `AwsSolutions-IAM5[Resource::${nagRef(fn)}:*]`,
        `lambda:InvokeFunction on the versions and aliases of ${fn.node.id} (the function ARN with a qualifier), ` +
          'granted by the LambdaInvoke task; scoped to that one function.',
      );
    }
  }
}
