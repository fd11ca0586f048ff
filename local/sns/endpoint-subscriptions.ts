/**
 * The subscription side of local mode's SNS endpoint: ListSubscriptionsByTopic,
 * GetSubscriptionAttributes and ConfirmSubscription, as AWS answers them, so
 * `npx jitgate subscriptions` can be run (and tested) against local mode as against AWS.
 *
 * Email subscriptions on AWS stay "PendingConfirmation" (and get no message) until the
 * confirmation email's token comes back through ConfirmSubscription; only a signed
 * call with AuthenticateOnUnsubscribe=true makes unsubscribing need AWS credentials
 * (https://docs.aws.amazon.com/sns/latest/api/API_ConfirmSubscription.html).
 */
import { createHash } from 'node:crypto';
import { invalid, SnsError } from './errors';
import type { LocalSns } from './local-sns';
import type { SnsSubscription } from './types';
import { tag, XMLNS } from './xml';

export const SUBSCRIPTION_ACTIONS = ['ListSubscriptionsByTopic', 'GetSubscriptionAttributes', 'ConfirmSubscription'] as const;

/** What ListSubscriptionsByTopic shows for a subscription still awaiting confirmation. */
export const PENDING_CONFIRMATION = 'PendingConfirmation';
/** AWS pages ListSubscriptionsByTopic by 100. */
const PAGE_SIZE = 100;

/** A confirmed subscription's ARN: the topic's ARN and a stable id (AWS uses a UUID). */
export function subscriptionArn(sub: SnsSubscription): string {
  const h = createHash('sha256')
    .update(`${sub.topicArn}\u0000${sub.protocol ?? 'email'}\u0000${sub.endpoint}\u0000${JSON.stringify(sub.filterPolicy ?? null)}`)
    .digest('hex');
  return `${sub.topicArn}:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const accountOf = (topicArn: string) => topicArn.split(':')[4] ?? '000000000000';
const listedArn = (sub: SnsSubscription) => (sub.pendingToken !== undefined ? PENDING_CONFIRMATION : subscriptionArn(sub));

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (!value) throw invalid(`${name} Reason: no value for required parameter`);
  return value;
}

function topicSubscriptions(sns: LocalSns, topicArn: string): readonly SnsSubscription[] {
  const subs = sns.subscriptions.filter((s) => s.topicArn === topicArn);
  if (subs.length === 0 && !sns.hasTopic(topicArn)) throw new SnsError('NotFound', 'Topic does not exist', 404);
  return subs;
}

function respond(action: string, result: string, requestId: string): string {
  return (
    `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result>` +
    `<ResponseMetadata>${tag('RequestId', requestId)}</ResponseMetadata></${action}Response>`
  );
}

/**
 * Answers one of SUBSCRIPTION_ACTIONS (XML, without the declaration), or undefined for
 * any other action. `signed`: the request carried a SigV4 signature.
 */
export function subscriptionAction(
  sns: LocalSns,
  action: string,
  form: URLSearchParams,
  requestId: string,
  signed = true,
): string | undefined {
  switch (action) {
    case 'ListSubscriptionsByTopic': {
      const topicArn = required(form, 'TopicArn');
      const subs = topicSubscriptions(sns, topicArn);
      const start = form.get('NextToken') ? Number(form.get('NextToken')) : 0;
      if (!Number.isSafeInteger(start) || start < 0 || start > subs.length) throw invalid('NextToken');
      const page = subs.slice(start, start + PAGE_SIZE);
      const members = page
        .map(
          (s) =>
            `<member>${tag('TopicArn', s.topicArn)}${tag('Protocol', s.protocol ?? 'email')}${tag('SubscriptionArn', listedArn(s))}` +
            `${tag('Owner', accountOf(s.topicArn))}${tag('Endpoint', s.endpoint)}</member>`,
        )
        .join('');
      const next = start + PAGE_SIZE < subs.length ? String(start + PAGE_SIZE) : undefined;
      return respond(action, `<Subscriptions>${members}</Subscriptions>${tag('NextToken', next)}`, requestId);
    }
    case 'GetSubscriptionAttributes': {
      const arn = required(form, 'SubscriptionArn');
      const sub = sns.subscriptions.find((s) => s.pendingToken === undefined && subscriptionArn(s) === arn);
      if (!sub) throw new SnsError('NotFound', 'Subscription does not exist', 404);
      const policy =
        sub.filterPolicy === undefined
          ? undefined
          : typeof sub.filterPolicy === 'string'
            ? sub.filterPolicy
            : JSON.stringify(sub.filterPolicy);
      const attributes: Record<string, string | undefined> = {
        SubscriptionArn: arn,
        TopicArn: sub.topicArn,
        Protocol: sub.protocol ?? 'email',
        Endpoint: sub.endpoint,
        Owner: accountOf(sub.topicArn),
        PendingConfirmation: 'false',
        ConfirmationWasAuthenticated: String(sub.confirmationWasAuthenticated === true),
        FilterPolicy: policy,
        FilterPolicyScope: policy === undefined ? undefined : (sub.filterPolicyScope ?? 'MessageAttributes'),
      };
      const entries = Object.entries(attributes)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `<entry>${tag('key', k)}${tag('value', v)}</entry>`)
        .join('');
      return respond(action, `<Attributes>${entries}</Attributes>`, requestId);
    }
    case 'ConfirmSubscription': {
      const topicArn = required(form, 'TopicArn');
      const token = required(form, 'Token');
      const authenticate = form.get('AuthenticateOnUnsubscribe');
      if (authenticate !== null && !['true', 'false'].includes(authenticate.toLowerCase())) throw invalid('AuthenticateOnUnsubscribe');
      const sub = topicSubscriptions(sns, topicArn).find((s) => s.pendingToken === token);
      if (!sub) throw invalid('Token');
      delete sub.pendingToken;
      // AWS requires the signature for an authenticated confirmation; unsigned, it is an ordinary one.
      sub.confirmationWasAuthenticated = signed && authenticate?.toLowerCase() === 'true';
      return respond(action, tag('SubscriptionArn', subscriptionArn(sub)), requestId);
    }
    default:
      return undefined;
  }
}
