/**
 * Two alarms for the operator: executions that end abnormally (each one is a request
 * closed as `failed`: a bug, a missing permission, a dependency down past the retries)
 * and errors in any jitgate function. Both fire on the first occurrence in five
 * minutes; quiet periods (no data) are fine. With `topic` (the construct's `alarms`
 * option) both notify it; without, wire an action to them where the stack is deployed.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

const PERIOD = Duration.minutes(5);
/** CloudWatch alarms take at most 10 metrics in one expression. */
const MAX_METRICS = 10;

export interface JitgateAlarmsProps {
  stateMachine: sfn.StateMachine;
  functions: lambda.IFunction[];
  /** The operator's topic: told when an alarm fires and when it is back to OK. */
  topic?: sns.ITopic;
}

export class JitgateAlarms extends Construct {
  readonly executionsFailed: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: JitgateAlarmsProps) {
    super(scope, id);
    const sm = props.stateMachine;
    this.executionsFailed = new cloudwatch.Alarm(this, 'ExecutionsFailed', {
      alarmDescription:
        'jitgate: executions ended FAILED, TIMED_OUT or ABORTED; their requests were closed as failed (see the audit trail, type "failed")',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
        usingMetrics: { failed: sm.metricFailed(), timedOut: sm.metricTimedOut(), aborted: sm.metricAborted() },
        label: 'abnormal executions',
        period: PERIOD,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.functions.length > MAX_METRICS)
      throw new Error(`JitgateAlarms: ${props.functions.length} functions; one alarm expression takes at most ${MAX_METRICS}`);
    const errors = Object.fromEntries(props.functions.map((fn, i) => [`e${i}`, fn.metricErrors({ period: PERIOD })]));
    this.functionErrors = new cloudwatch.Alarm(this, 'FunctionErrors', {
      alarmDescription: 'jitgate: a function failed (an unhandled error or a timeout); its logs say which request',
      metric: new cloudwatch.MathExpression({
        expression: Object.keys(errors)
          .map((k) => `FILL(${k}, 0)`)
          .join(' + '),
        usingMetrics: errors,
        label: 'function errors',
        period: PERIOD,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.topic) {
      const notify = new actions.SnsAction(props.topic);
      for (const alarm of [this.executionsFailed, this.functionErrors]) {
        alarm.addAlarmAction(notify);
        alarm.addOkAction(notify);
      }
    }
  }
}
