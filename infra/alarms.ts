/**
 * The operator's alarms and dashboard. Alarms: executions that end abnormally (each one is
 * a request closed as `failed`: a bug, a missing permission, a dependency down past the
 * retries), errors and throttles of any jitgate function, API 5xx answers, a break-glass
 * grant (jitgate's own metric `BreakGlassUses`), and approvals timing out (`RequestsTimedOut`,
 * three in an hour: approvers are not answering). All fire from the first occurrence in
 * their period; quiet periods (no data) are fine. With `topic` (the construct's `alarms`
 * option) all notify it; without, wire an action to them where the stack is deployed.
 *
 * jitgate's metrics are EMF lines the functions log (shared/adapters/metrics.ts):
 * namespace `jitgate`, dimension `service` = `jitgate`.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

const PERIOD = Duration.minutes(5);
const NAMESPACE = 'jitgate';

/** One of jitgate's own metrics (shared/usecases/ports.ts names them). */
export function jitgateMetric(name: string, statistic = 'Sum', period = PERIOD): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: NAMESPACE, metricName: name, dimensionsMap: { service: 'jitgate' }, statistic, period });
}

function sumOf(metrics: cloudwatch.IMetric[], label: string): cloudwatch.MathExpression {
  const using = Object.fromEntries(metrics.map((m, i) => [`m${i}`, m]));
  return new cloudwatch.MathExpression({
    expression: Object.keys(using)
      .map((k) => `FILL(${k}, 0)`)
      .join(' + '),
    usingMetrics: using,
    label,
    period: PERIOD,
  });
}
/** CloudWatch alarms take at most 10 metrics in one expression. */
const MAX_METRICS = 10;

export interface JitgateAlarmsProps {
  stateMachine: sfn.StateMachine;
  functions: lambda.IFunction[];
  /** The REST API: its 5xx answers alarm. */
  restApi?: apigw.RestApi;
  /** The operator's topic: told when an alarm fires and when it is back to OK. */
  topic?: sns.ITopic;
}

export class JitgateAlarms extends Construct {
  readonly executionsFailed: cloudwatch.Alarm;
  readonly functionErrors: cloudwatch.Alarm;
  readonly functionThrottles: cloudwatch.Alarm;
  readonly apiServerErrors?: cloudwatch.Alarm;
  readonly breakGlassUsed: cloudwatch.Alarm;
  readonly approvalsTimingOut: cloudwatch.Alarm;
  readonly dashboard: cloudwatch.Dashboard;

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

    const fromFirst = {
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    this.functionThrottles = new cloudwatch.Alarm(this, 'FunctionThrottles', {
      alarmDescription: 'jitgate: a function was throttled (account or reserved concurrency); callers saw errors or retries',
      metric: sumOf(
        props.functions.map((fn) => fn.metricThrottles({ period: PERIOD })),
        'function throttles',
      ),
      ...fromFirst,
    });
    if (props.restApi) {
      this.apiServerErrors = new cloudwatch.Alarm(this, 'ApiServerErrors', {
        alarmDescription: 'jitgate: the API answered 5xx (a function failed or timed out, or a dependency was unavailable)',
        metric: props.restApi.metricServerError({ period: PERIOD, statistic: 'Sum' }),
        ...fromFirst,
      });
    }
    this.breakGlassUsed = new cloudwatch.Alarm(this, 'BreakGlassUsed', {
      alarmDescription: 'jitgate: someone used break-glass; review the grant (audit trail, type "break_glass")',
      metric: jitgateMetric('BreakGlassUses'),
      ...fromFirst,
    });
    this.approvalsTimingOut = new cloudwatch.Alarm(this, 'ApprovalsTimingOut', {
      alarmDescription: 'jitgate: three or more requests timed out within an hour; approvers may not be getting or answering their links',
      metric: jitgateMetric('RequestsTimedOut', 'Sum', Duration.hours(1)),
      ...fromFirst,
      threshold: 3,
    });

    const alarms = [
      this.executionsFailed,
      this.functionErrors,
      this.functionThrottles,
      ...(this.apiServerErrors ? [this.apiServerErrors] : []),
      this.breakGlassUsed,
      this.approvalsTimingOut,
    ];
    const graph = (title: string, metrics: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left: metrics, width: 8 });
    const count = (name: string) => jitgateMetric(name).with({ label: name });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          graph('Requests', ['RequestsCreated', 'RequestsApproved', 'RequestsDenied', 'RequestsTimedOut', 'RequestsFailed'].map(count)),
          graph('Time to decision (ms)', [
            jitgateMetric('TimeToDecision', 'p50').with({ label: 'p50' }),
            jitgateMetric('TimeToDecision', 'p90').with({ label: 'p90' }),
          ]),
          graph('Authorize', [count('AuthorizeAllowed'), count('AuthorizeDenied')]),
        ],
        [
          graph('Authorize latency (ms)', [
            jitgateMetric('AuthorizeLatency', 'p50').with({ label: 'p50' }),
            jitgateMetric('AuthorizeLatency', 'p99').with({ label: 'p99' }),
          ]),
          graph('MFA and break-glass', [count('MfaFailures'), count('MfaLockouts'), count('BreakGlassUses')]),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 8 }),
        ],
      ],
    });

    if (props.topic) {
      const notify = new actions.SnsAction(props.topic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(notify);
        alarm.addOkAction(notify);
      }
    }
  }
}
