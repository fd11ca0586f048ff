/**
 * The state machine's task states (infra/workflow.ts wires them; its header describes the
 * lifecycle): each state is built by one small function, with its timeout, retries and
 * error names next to it.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { CLOSED } from '../shared/domain/closed';
import { STATE } from './states';

// ---------------------------------------------------------------------------------
// MfaChallenge and AwaitApproval: a Lambda stores the task token (or answers the task
// itself when there is nothing to wait for), then the execution waits until SendTaskSuccess
// (output → $.grant), SendTaskFailure "Closed", or the timeout the execution input gives.

const MFA_TIMEOUT_PATH = '$.mfaTimeoutSeconds';
const APPROVAL_WAIT_PATH = '$.approvalWaitSeconds';
const APPROVAL_TIMEOUT_PATH = '$.approvalTimeoutSeconds';

export function mfaChallengeTask(
  scope: Construct,
  fn: lambda.IFunction,
  timedOut: sfn.IChainable,
  closed: sfn.IChainable,
): sfn.TaskStateBase {
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
  return parkingWait(task, timedOut, closed);
}

/**
 * AwaitApproval waits `$.approvalWaitSeconds`: the whole window, or, while a reminder or an
 * escalation is still to send, until it. Its timeout goes to ApprovalWaitEnded, which tells
 * the two apart; the state goes on unchanged.
 */
export function awaitApprovalTask(
  scope: Construct,
  fn: lambda.IFunction,
  waitEnded: sfn.IChainable,
  closed: sfn.IChainable,
): sfn.TaskStateBase {
  return parkingWait(approvalWait(scope, STATE.awaitApproval, fn, APPROVAL_WAIT_PATH), waitEnded, closed, sfn.JsonPath.DISCARD);
}

/** After a failed Remind: the approval wait for `$.approvalTimeoutSeconds`, no nudge any more. */
export function awaitApprovalWithoutNudgesTask(
  scope: Construct,
  fn: lambda.IFunction,
  timedOut: sfn.IChainable,
  closed: sfn.IChainable,
): sfn.TaskStateBase {
  return parkingWait(approvalWait(scope, STATE.awaitApprovalWithoutNudges, fn, APPROVAL_TIMEOUT_PATH), timedOut, closed);
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

/**
 * Parking a token is a version-checked write that races the answers it waits for (MFA
 * codes, decisions); a step that lost every one of its quick in-process retries, or found
 * DynamoDB unavailable, is tried again with a fresh token instead of failing the execution.
 */
const PARK_RETRY_ERRORS = ['ConcurrentModification', 'DependencyUnavailable'];

/**
 * A wait on a parked token: retried when the park lost (above); its timeout goes to `onTimeout`
 * (with the error in $.error, or the state unchanged), denied / cancelled / locked out ("Closed")
 * to Closed.
 */
function parkingWait(
  task: sfn.TaskStateBase,
  onTimeout: sfn.IChainable,
  closed: sfn.IChainable,
  timeoutResultPath: string = '$.error',
): sfn.TaskStateBase {
  return task
    .addRetry({
      errors: PARK_RETRY_ERRORS,
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: sfn.JitterType.FULL,
    })
    .addCatch(onTimeout, { errors: [sfn.Errors.TIMEOUT], resultPath: timeoutResultPath })
    .addCatch(closed, { errors: [CLOSED], resultPath: '$.error' });
}

// ---------------------------------------------------------------------------------
// Reminder segments (see the top of infra/workflow.ts): AwaitApproval's wait ends at the
// next nudge; ApprovalWaitEnded runs Remind, which sends what is due and returns the state
// for the next wait (ResultPath `$`: the function returns the whole state).

export const REMINDER_PATH = '$.reminder';
const REMIND_TIMEOUT = Duration.seconds(60);
const REMIND_RETRY_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'DependencyUnavailable',
  sfn.Errors.TIMEOUT,
];

export function remindTask(scope: Construct, fn: lambda.IFunction, closed: sfn.IChainable, fallback: sfn.IChainable): sfn.TaskStateBase {
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
      // the rest of the window without further nudges. (`approvalTimeoutSeconds` is the window
      // as the execution started with it, so TimedOut may come late; decisions after the
      // deadline are refused all the same.)
      .addCatch(fallback, { errors: [sfn.Errors.ALL], resultPath: '$.error' })
  );
}

// ---------------------------------------------------------------------------------
// Activate (functions/activate, shared/usecases/activation.ts): reads the request itself,
// commits the grant (request, slot and audit chain in one version-checked transaction),
// publishes `grant.activated` and answers the grant at `$.grant`: whose it is and its times.
// Idempotent: a retry after a commit finds the request active and answers the same times.
//
// An extension is applied to the grant it extends, not activated: its answer is that grant,
// and this execution waits for its new end and expires it (the grant's own execution stops
// at the old end: Expire finds the end moved). A request no longer pending (cancelled,
// denied meanwhile), or an extension denied: `Closed` ─> Closed. Anything else after the retries
// (`RequirementsNotMet`: a task success sent before the requirements were met) fails the
// execution, and the execution-ended rule closes the request as `failed`: no grant.

const ACTIVATE_TIMEOUT = Duration.seconds(60);
const ACTIVATE_RETRY_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.Unknown',
  // The container died (or ran out of time) mid-step: safe to run again, the commit is idempotent.
  'Runtime.ExitError',
  'Sandbox.Timedout',
  'DependencyUnavailable',
  'ConcurrentModification',
  sfn.Errors.TIMEOUT,
];

export function activateTask(scope: Construct, fn: lambda.IFunction, closed: sfn.IChainable): sfn.TaskStateBase {
  return new tasks.LambdaInvoke(scope, STATE.activate, {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject({ requestId: sfn.JsonPath.stringAt('$.requestId') }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: '$.grant',
    taskTimeout: sfn.Timeout.duration(ACTIVATE_TIMEOUT),
  })
    .addRetry({
      errors: ACTIVATE_RETRY_ERRORS,
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.minutes(1),
      jitterStrategy: sfn.JitterType.FULL,
    })
    .addCatch(closed, { errors: [CLOSED], resultPath: '$.error' });
}

// ---------------------------------------------------------------------------------
// NotifyExpiring: tell the requester (through the events topic) that the grant ends soon.
// Best effort: a failed notification never holds up the grant nor its revocation.
// `requester` lets a requester-side subscription filter, as on the events the functions publish.

const NOTIFY_TIMEOUT = Duration.seconds(30);

export function notifyExpiringTask(scope: Construct, topic: sns.ITopic, next: sfn.IChainable): sfn.TaskStateBase {
  return new tasks.SnsPublish(scope, STATE.notifyExpiring, {
    topic,
    message: sfn.TaskInput.fromObject({
      type: 'grant.expiring',
      requestId: sfn.JsonPath.stringAt('$.grant.requestId'),
      requester: sfn.JsonPath.stringAt('$.requester'),
      expiresAt: sfn.JsonPath.stringAt('$.grant.expiresAt'),
      // How to ask for more time (window grants: POST /v1/requests/{id}/extend, approved like the grant was).
      extend: sfn.JsonPath.format(
        'jitgate extend {} --duration 15m, or POST /v1/requests/{}/extend',
        sfn.JsonPath.stringAt('$.grant.requestId'),
        sfn.JsonPath.stringAt('$.grant.requestId'),
      ),
    }),
    messageAttributes: { event: { value: 'grant.expiring' }, requester: { value: sfn.JsonPath.stringAt('$.requester') } },
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(NOTIFY_TIMEOUT),
  }).addCatch(next, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
}

// ---------------------------------------------------------------------------------
// Expire and TimedOut: end-request marks the request expired / timed_out, audits and
// publishes. It is idempotent (conditional writes), so it is retried hard: a grant must end.
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

export function timedOutTask(scope: Construct, fn: lambda.IFunction): sfn.TaskStateBase {
  // Ends the execution with its answer.
  return retryEndRequest(
    endRequestTask(scope, STATE.timedOut, fn, { requestId: sfn.JsonPath.stringAt('$.requestId'), outcome: 'timed_out' }),
  );
}

/**
 * Expire ends the execution: the grant at `$.grant` (Activate's answer: for an extension, the
 * grant it extends) is marked expired, unless its end moved later than the one waited for (an
 * extension was applied, and that extension's execution now waits for the new end): then
 * nothing changes. No Choice after it, and no error for the moved end: an error would count
 * against the function errors alarm at every extension.
 */
export function expireTask(scope: Construct, fn: lambda.IFunction): sfn.TaskStateBase {
  return retryEndRequest(
    endRequestTask(scope, STATE.expire, fn, {
      requestId: sfn.JsonPath.stringAt('$.grant.requestId'),
      outcome: 'expired',
      waitedUntil: sfn.JsonPath.stringAt('$.grant.expiresAt'),
    }),
  );
}

function endRequestTask(scope: Construct, name: string, fn: lambda.IFunction, payload: Record<string, unknown>): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject(payload),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    taskTimeout: sfn.Timeout.duration(END_REQUEST_TIMEOUT),
  });
}

function retryEndRequest(task: sfn.TaskStateBase): sfn.TaskStateBase {
  return task.addRetry({
    errors: END_REQUEST_RETRY_ERRORS,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 8,
    maxDelay: Duration.minutes(5),
    jitterStrategy: sfn.JitterType.FULL,
  });
}
