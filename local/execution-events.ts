/**
 * Local EventBridge for one kind of event: when a local execution ends, Step Functions
 * on AWS would put a "Step Functions Execution Status Change" event on the default bus,
 * and the template's rules (infra/workflow.ts: FAILED, TIMED_OUT, ABORTED of this state
 * machine) would invoke their Lambda targets asynchronously. This reads those rules from
 * the synthesized template and does the same with the local handlers, so the path that
 * closes a failed execution's request is the deployed one.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 */
import { randomUUID } from 'node:crypto';
import { findResources, type CfnTemplate } from './cfn';
import type { ExecutionDescription } from './stepfunctions';

export interface StatusChangeRule {
  ruleId: string;
  /** Statuses the rule's pattern admits; undefined: any. */
  statuses?: string[];
  /** Logical ids of the Lambda functions it targets. */
  functionIds: string[];
}

/** The Events rules for this state machine's execution status changes, with their Lambda targets. */
export function statusChangeRules(template: CfnTemplate, stateMachineLogicalId: string): StatusChangeRule[] {
  const rules: StatusChangeRule[] = [];
  for (const { logicalId, resource } of findResources(template, 'AWS::Events::Rule')) {
    const props = resource.Properties ?? {};
    const pattern = props['EventPattern'] as Record<string, any> | undefined;
    if (props['State'] === 'DISABLED' || !pattern) continue;
    if (!matches(pattern['source'], 'aws.states') || !matches(pattern['detail-type'], 'Step Functions Execution Status Change')) continue;
    const arns = pattern['detail']?.['stateMachineArn'];
    if (arns !== undefined && !(Array.isArray(arns) && arns.some((a) => a?.Ref === stateMachineLogicalId))) continue;
    const functionIds = ((props['Targets'] ?? []) as Array<{ Arn?: any }>)
      .map((t) => t.Arn?.['Fn::GetAtt'])
      .filter(
        (g): g is [string, string] =>
          Array.isArray(g) && g[1] === 'Arn' && findResources(template, 'AWS::Lambda::Function').some((f) => f.logicalId === g[0]),
      )
      .map((g) => g[0]);
    const statuses = pattern['detail']?.['status'];
    rules.push({ ruleId: logicalId, ...(Array.isArray(statuses) ? { statuses: statuses.map(String) } : {}), functionIds });
  }
  return rules;
}

function matches(patternValue: unknown, value: string): boolean {
  return Array.isArray(patternValue) && patternValue.includes(value);
}

/** The event as EventBridge delivers it to a Lambda target (dates in epoch milliseconds, absent fields null). */
export function statusChangeEvent(execution: ExecutionDescription, region: string, account: string): Record<string, unknown> {
  const stopDate = execution.stopDate ?? new Date();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account,
    time: stopDate.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: stopDate.getTime(),
      input: execution.input,
      output: execution.output ?? null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

/** Lambda's asynchronous invocation: the first attempt and two retries. */
const ATTEMPTS = 3;

/**
 * A listener for `LocalStepFunctions`' `onExecutionEnded`: delivers the event to each
 * matching rule's functions, asynchronously (the execution does not wait), retrying as
 * Lambda's asynchronous invocation does and logging what still fails.
 */
export function executionEventDelivery(opts: {
  rules: StatusChangeRule[];
  invokeLambda(functionId: string, event: unknown): Promise<unknown>;
  region: string;
  account: string;
  log(message: string): void;
  /** Pause between attempts; Lambda waits a minute, then two. */
  retryDelayMs?: number;
}): { onExecutionEnded(execution: ExecutionDescription): void; idle(): Promise<void> } {
  const inFlight = new Set<Promise<void>>();
  const deliver = async (functionId: string, event: Record<string, unknown>) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await opts.invokeLambda(functionId, event);
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS) {
          opts.log(
            `[local events] ${functionId} failed on the status change of ` +
              `${String((event['detail'] as { executionArn?: string }).executionArn)}: ${(err as Error).message}`,
          );
          return;
        }
        await new Promise((r) => setTimeout(r, opts.retryDelayMs ?? 1000));
      }
    }
  };
  return {
    onExecutionEnded(execution) {
      for (const rule of opts.rules) {
        if (rule.statuses && !rule.statuses.includes(execution.status)) continue;
        for (const functionId of rule.functionIds) {
          const p = deliver(functionId, statusChangeEvent(execution, opts.region, opts.account));
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
      }
    },
    async idle() {
      while (inFlight.size) await Promise.all([...inFlight]);
    },
  };
}
