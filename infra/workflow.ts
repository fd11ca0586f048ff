/**
 * The request lifecycle as a Standard state machine, one execution per request. This
 * header is its description; docs/ARCHITECTURE.md ("The state machine") draws it once,
 * with the execution input and each state's integration.
 *
 *   NeedsMfa ─> MfaChallenge ─> NeedsApproval ─> AwaitApproval ─> Activate ─> NotifyActivated
 *     ─> WaitUntilExpiring ─> NotifyExpiring ─> WaitUntilExpiry ─> Expire ─> ExpiryMoved ─> Ended [End]
 *   ExpiryMoved: the request's expiresAt is later than the one waited for (an approved extension,
 *   POST /v1/requests/{id}/extend) ─> WaitUntilExpiring with the new times: one execution, no gap
 *   and no overlap, and the requester is warned again before the new end
 *   States.Timeout on MfaChallenge / AwaitApproval ─> TimedOut [End]
 *   "Closed" on MfaChallenge / AwaitApproval ─> Closed
 *   Activate is IsExtension ─> ReadRequest ─> Activate (infra/activate.ts); an extension
 *   (`$.extends`) goes IsExtension ─> ApplyExtension (end-request, outcome "extended") ─> Ended
 *   instead: no grant of its own, the end of the grant it extends moves; a cancelled transaction
 *   ─> RereadRequest ─> StillPending: pending → Activate, active → NotifyActivated, else Closed
 *
 * The state machine owns activation: the API stores the grant's times and the
 * `grant.activated` message on the request when the last requirement is met, answers
 * with the request still pending, and never polls; Activate commits the grant and only
 * then NotifyActivated publishes the message (an SNS integration, no Lambda: the text
 * was the domain's, written with the times). That costs one transition per lifecycle
 * ($0.025 per 1,000) and saves the API up to 3 s of billed polling per completing call.
 *
 * Reminders and escalation (`approvals.remindAfter`, `approvals.escalate`) cut the
 * approval wait into segments that end at each nudge:
 *
 *   NeedsApproval ─($.reminder present)─> AwaitApprovalUntilReminder ─> Activate
 *     States.Timeout ─> Remind ─> NeedsApproval  (the next segment, or the last one:
 *                                                 the plain AwaitApproval, as above)
 *
 * AwaitApprovalUntilReminder is AwaitApproval with `$.reminder.afterSeconds` as its
 * timeout; the same function parks the token (a fresh one per segment, as a retry or a
 * resumed execution would) and notifies the approvers only the first time. Its timeout
 * is the nudge: Remind (a plain invoke of the same function) sends what is due,
 * records it on the request (`remindedAt` / `escalatedAt`, version-checked, so a
 * retried step sends nothing twice), and returns the execution state with the next
 * `reminder.afterSeconds`, or without `reminder` and with `approvalTimeoutSeconds` set
 * to what is left of the window; the Choice then takes the plain AwaitApproval, whose
 * timeout goes to TimedOut as always. A decision that arrives between two segments
 * finds the old token gone; the next segment's step sees the decision when it parks
 * its token (denied: Closed; quorum complete: it completes the task itself).
 *
 * Why segments, and not a Parallel state with a Wait/Remind branch beside the
 * approval task: a Parallel ends only when every branch has, so the reminder branch
 * would have to be cut short by a failure raised from the approval branch, which turns
 * every approval into an error path and adds states (Parallel, a Fail, a Pass to
 * recover the grant) to the common path. Segments keep policies without reminders on
 * exactly the path above (the Choice sees no `$.reminder`): a full lifecycle with MFA
 * is 11 state transitions (ReadRequest and NotifyActivated included) and 3 Lambda
 * invocations. A policy with a reminder and an escalation adds 3 transitions and 2
 * invocations per nudge (Remind, NeedsApproval, the next segment's park): 17 transitions
 * and 7 invocations with MFA, approved after both nudges. No EventBridge schedule and no cron: the execution is the timer.
 *
 * Each state is built by one small function below, with its timeout, retries and
 * error names next to it. Local mode runs this very definition (from the synthesized
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
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { CLOSED } from '../shared/domain/closed';
import { ABNORMAL_STATUSES, EXECUTION_STATUS_CHANGE } from '../shared/domain/execution-events';
import { OUTCOME_EVENTS } from '../shared/usecases/outcomes';
import { activateStates } from './activate';
import { LOG_RETENTION, jitgateFunction } from './functions';
import { acknowledge, nagRef } from './nag';
import { connect } from './permissions';
import { STATE } from './states';

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

    const endRequest = jitgateFunction(this, 'EndRequestFunction', {
      entry: 'end-request',
      description: 'jitgate Expire/TimedOut: ends the request, audits, publishes the event',
      configJson: props.configJson,
    });
    connect(endRequest, { table, key, eventsTopic: props.eventsTopic });

    this.mfaChallengeFunction = mfaChallenge;
    this.awaitApprovalFunction = awaitApproval;
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
    const timedOut = endRequestTask(this, STATE.timedOut, endRequest, 'timed_out');
    const expire = endRequestTask(this, STATE.expire, endRequest, 'expired');
    const expiryMoved = new sfn.Choice(this, STATE.expiryMoved, { comment: 'Extended: wait for the new end; else the grant has ended' });
    const waitUntilExpiry = new sfn.Wait(this, STATE.waitUntilExpiry, { time: sfn.WaitTime.timestampPath('$.grant.expiresAt') });
    const notifyExpiring = notifyExpiringTask(this, props.eventsTopic, waitUntilExpiry);
    const waitUntilExpiring = new sfn.Wait(this, STATE.waitUntilExpiring, { time: sfn.WaitTime.timestampPath('$.grant.expiringAt') });
    const notifyActivated = notifyActivatedTask(this, props.eventsTopic, waitUntilExpiring);
    const activation = activateStates(this, table, { active: notifyActivated, closed });
    const ended = new sfn.Succeed(this, STATE.ended, { comment: 'Expired, consumed / revoked before its end, or an extension applied' });
    const activate = new sfn.Choice(this, STATE.isExtension, { comment: 'An extension moves the end of the grant it extends' })
      .when(sfn.Condition.isPresent('$.extends'), endRequestTask(this, STATE.applyExtension, endRequest, 'extended').next(ended))
      .otherwise(activation.start);
    const awaitApprovalState = awaitApprovalTask(this, awaitApproval, timedOut, closed);
    const remind = remindTask(this, awaitApproval, closed, awaitApprovalState);
    const awaitUntilReminder = awaitApprovalUntilReminderTask(this, awaitApproval, remind, closed);
    const needsApproval = new sfn.Choice(this, STATE.needsApproval)
      // Only policies with a reminder or an escalation still to send carry `$.reminder`.
      .when(sfn.Condition.and(sfn.Condition.booleanEquals('$.approval', true), sfn.Condition.isPresent(REMINDER_PATH)), awaitUntilReminder)
      .when(sfn.Condition.booleanEquals('$.approval', true), awaitApprovalState)
      .otherwise(activate);
    const mfaChallengeState = mfaChallengeTask(this, mfaChallenge, timedOut, closed);
    const needsMfa = new sfn.Choice(this, STATE.needsMfa)
      .when(sfn.Condition.booleanEquals('$.mfa', true), mfaChallengeState)
      .otherwise(needsApproval);

    mfaChallengeState.next(needsApproval);
    awaitApprovalState.next(activate);
    awaitUntilReminder.next(activate);
    remind.next(needsApproval);
    activation.activate.next(notifyActivated);
    notifyActivated.next(waitUntilExpiring);
    waitUntilExpiring.next(notifyExpiring);
    notifyExpiring.next(waitUntilExpiry);
    waitUntilExpiry.next(expire);
    expire.next(expiryMoved.when(sfn.Condition.isPresent('$.grant.expiresAt'), waitUntilExpiring).otherwise(ended));

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
      definitionBody: sfn.DefinitionBody.fromChainable(needsMfa),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    // Activate writes the CMK-encrypted table; NotifyActivated and NotifyExpiring publish to the CMK-encrypted topic.
    key.grant(this.stateMachine, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');

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
    for (const fn of [mfaChallenge, awaitApproval, endRequest]) {
      acknowledge(
        this.stateMachine,
        `AwsSolutions-IAM5[Resource::${nagRef(fn)}:*]`,
        `lambda:InvokeFunction on the versions and aliases of ${fn.node.id} (the function ARN with a qualifier), ` +
          'granted by the LambdaInvoke task; scoped to that one function.',
      );
    }
  }
}

// ---------------------------------------------------------------------------------
// MfaChallenge and AwaitApproval: a Lambda stores the task token, then the execution
// waits until SendTaskSuccess (output → $.grant), SendTaskFailure "Closed", or the
// timeout the execution input gives.

const MFA_TIMEOUT_PATH = '$.mfaTimeoutSeconds';
const APPROVAL_TIMEOUT_PATH = '$.approvalTimeoutSeconds';

function mfaChallengeTask(scope: Construct, fn: lambda.IFunction, timedOut: sfn.IChainable, closed: sfn.IChainable): sfn.TaskStateBase {
  const task = new tasks.LambdaInvoke(scope, STATE.mfaChallenge, {
    lambdaFunction: fn,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      requestId: sfn.JsonPath.stringAt('$.requestId'),
      taskToken: sfn.JsonPath.taskToken,
    }),
    taskTimeout: sfn.Timeout.at(MFA_TIMEOUT_PATH),
    resultPath: '$.grant',
  });
  return catchTimeoutAndClosed(task, timedOut, closed);
}

function awaitApprovalTask(scope: Construct, fn: lambda.IFunction, timedOut: sfn.IChainable, closed: sfn.IChainable): sfn.TaskStateBase {
  return catchTimeoutAndClosed(approvalWait(scope, STATE.awaitApproval, fn, APPROVAL_TIMEOUT_PATH), timedOut, closed);
}

function approvalWait(scope: Construct, name: string, fn: lambda.IFunction, timeoutPath: string): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      requestId: sfn.JsonPath.stringAt('$.requestId'),
      taskToken: sfn.JsonPath.taskToken,
      linkBase: sfn.JsonPath.stringAt('$.linkBase'),
    }),
    taskTimeout: sfn.Timeout.at(timeoutPath),
    resultPath: '$.grant',
  });
}

/** The window closed → TimedOut; denied / cancelled / locked out → Closed. The error lands in $.error. */
/**
 * Parking a token is a version-checked write that races the answers it waits for (MFA
 * codes, decisions); a step that lost every one of its quick in-process retries, or found
 * DynamoDB unavailable, is tried again with a fresh token instead of failing the execution.
 */
const PARK_RETRY_ERRORS = ['ConcurrentModification', 'DependencyUnavailable'];

function catchTimeoutAndClosed(task: sfn.TaskStateBase, timedOut: sfn.IChainable, closed: sfn.IChainable): sfn.TaskStateBase {
  return task
    .addRetry({
      errors: PARK_RETRY_ERRORS,
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: sfn.JitterType.FULL,
    })
    .addCatch(timedOut, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.error' })
    .addCatch(closed, { errors: [CLOSED], resultPath: '$.error' });
}

// ---------------------------------------------------------------------------------
// Reminder segments (see the top of the file): AwaitApprovalUntilReminder waits until
// the next nudge; its timeout runs Remind, which sends what is due and returns the
// state for the next segment (ResultPath `$`: the function returns the whole state).

const REMINDER_PATH = '$.reminder';
const REMINDER_TIMEOUT_PATH = '$.reminder.afterSeconds';
const REMIND_TIMEOUT = Duration.seconds(60);
const REMIND_RETRY_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'DependencyUnavailable',
  sfn.Errors.TIMEOUT,
];

function awaitApprovalUntilReminderTask(
  scope: Construct,
  fn: lambda.IFunction,
  remind: sfn.IChainable,
  closed: sfn.IChainable,
): sfn.TaskStateBase {
  return (
    approvalWait(scope, STATE.awaitApprovalUntilReminder, fn, REMINDER_TIMEOUT_PATH)
      .addRetry({
        errors: PARK_RETRY_ERRORS,
        interval: Duration.seconds(1),
        backoffRate: 2,
        maxAttempts: 3,
        jitterStrategy: sfn.JitterType.FULL,
      })
      // The segment's end is the nudge, not the window's: the state goes on unchanged.
      .addCatch(remind, { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD })
      .addCatch(closed, { errors: [CLOSED], resultPath: '$.error' })
  );
}

function remindTask(scope: Construct, fn: lambda.IFunction, closed: sfn.IChainable, fallback: sfn.IChainable): sfn.TaskStateBase {
  return (
    new tasks.LambdaInvoke(scope, STATE.remind, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject({ step: 'remind', state: sfn.JsonPath.entirePayload }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: sfn.Timeout.duration(REMIND_TIMEOUT),
    })
      // Not States.TaskFailed: that wildcard would retry "Closed" too.
      .addRetry({
        errors: REMIND_RETRY_ERRORS,
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 4,
        jitterStrategy: sfn.JitterType.FULL,
      })
      // No longer pending (denied, cancelled between two segments): end quietly.
      .addCatch(closed, { errors: [CLOSED], resultPath: '$.error' })
      // A reminder that cannot be sent must not cost the requester their approval: wait for
      // the rest of the window without further nudges. (AwaitApproval's timeout is then the
      // whole window again, so TimedOut may come late; decisions after the deadline are
      // refused all the same.)
      .addCatch(fallback, { errors: [sfn.Errors.ALL], resultPath: '$.error' })
  );
}

// ---------------------------------------------------------------------------------
// ReadRequest ─> Activate (infra/activate.ts): the grant's times and the audit chain's
// head come from the request item, never from a task's output; the transaction is safe
// to retry after a commit.

// ---------------------------------------------------------------------------------
// NotifyActivated and NotifyExpiring: tell the requester (through the events topic) that
// the grant is active, then that it ends soon. Best effort: a failed notification never
// holds up the grant nor its revocation. `requester` lets a requester-side subscription
// filter, as on the events the functions publish.

const NOTIFY_TIMEOUT = Duration.seconds(30);

/**
 * The state machine owns activation, so it announces it, only once Activate has committed.
 * The text is the domain's (`activationNotice`, shared/usecases/outcomes.ts), stored on the
 * request by the write that completed it and read by ReadRequest: no Lambda to invoke.
 */
function notifyActivatedTask(scope: Construct, topic: sns.ITopic, next: sfn.IChainable): sfn.TaskStateBase {
  return new tasks.SnsPublish(scope, STATE.notifyActivated, {
    topic,
    message: sfn.TaskInput.fromJsonPathAt('$.grant.notice'),
    messageAttributes: {
      event: { value: OUTCOME_EVENTS.activated },
      requester: { value: sfn.JsonPath.stringAt('$.grant.requester') },
    },
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(NOTIFY_TIMEOUT),
  }).addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
}

function notifyExpiringTask(scope: Construct, topic: sns.ITopic, next: sfn.IChainable): sfn.TaskStateBase {
  return new tasks.SnsPublish(scope, STATE.notifyExpiring, {
    topic,
    message: sfn.TaskInput.fromObject({
      type: 'grant.expiring',
      requestId: sfn.JsonPath.stringAt('$.requestId'),
      requester: sfn.JsonPath.stringAt('$.requester'),
      expiresAt: sfn.JsonPath.stringAt('$.grant.expiresAt'),
      // How to ask for more time (window grants: POST /v1/requests/{id}/extend, approved like the grant was).
      extend: sfn.JsonPath.format(
        'jitgate extend {} --duration 15m, or POST /v1/requests/{}/extend',
        sfn.JsonPath.stringAt('$.requestId'),
        sfn.JsonPath.stringAt('$.requestId'),
      ),
    }),
    messageAttributes: { event: { value: 'grant.expiring' }, requester: { value: sfn.JsonPath.stringAt('$.requester') } },
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(NOTIFY_TIMEOUT),
  }).addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
}

// ---------------------------------------------------------------------------------
// Expire and TimedOut: end-request marks the request expired / timed_out, audits and
// publishes; Expire instead answers the new times when the grant was extended meanwhile.
// It is idempotent (conditional writes), so it is retried hard: a grant must end.
// (Authorization checks expiresAt anyway, so even a failed Expire is safe.)

const END_REQUEST_TIMEOUT = Duration.seconds(60);
const END_REQUEST_RETRY_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  sfn.Errors.TASKS_FAILED,
  sfn.Errors.TIMEOUT,
];

function endRequestTask(
  scope: Construct,
  name: string,
  fn: lambda.IFunction,
  outcome: 'expired' | 'timed_out' | 'extended',
): sfn.TaskStateBase {
  const expire = outcome === 'expired';
  return new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject({
      requestId: sfn.JsonPath.stringAt('$.requestId'),
      outcome,
      // Expire: the end this execution waited for; an extension moved the request's later, and the answer carries the new times.
      ...(expire ? { waitedUntil: sfn.JsonPath.stringAt('$.grant.expiresAt') } : {}),
    }),
    // Expire's answer replaces the times at `$.grant` (ExpiryMoved reads it); TimedOut ends with its answer.
    ...(expire ? { resultPath: '$.grant' } : outcome === 'extended' ? { resultPath: sfn.JsonPath.DISCARD } : {}),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    taskTimeout: sfn.Timeout.duration(END_REQUEST_TIMEOUT),
  }).addRetry({
    errors: END_REQUEST_RETRY_ERRORS,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 8,
    maxDelay: Duration.minutes(5),
    jitterStrategy: sfn.JitterType.FULL,
  });
}
