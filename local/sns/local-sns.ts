/**
 * An SNS stand-in for local mode: topics, their subscriptions, and Publish / PublishBatch
 * routed through subscription filter policies into the outbox. Callable in-process (the
 * local state machine's `sns:publish` tasks) and over HTTP through endpoint.ts.
 */
import { randomUUID } from 'node:crypto';
import type { OutboxMessage, Outbox } from '../outbox';
import { invalid, invalidValue, SnsError } from './errors';
import { attributesForFiltering, matchesFilterPolicy, validateFilterPolicy } from './filter-policy';
import type {
  FilterPolicy,
  LocalSnsOptions,
  PublishOutcome,
  SnsMessageAttributeValue,
  SnsPublishBatchParams,
  SnsPublishParams,
  SnsSubscription,
} from './types';

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const MAX_SIZE = 256 * 1024;

interface PreparedSubscription extends SnsSubscription {
  policy?: FilterPolicy;
}

export class LocalSns {
  readonly outbox: Outbox;
  private subs: PreparedSubscription[] = [];
  private readonly topics?: Set<string>;
  private readonly now: () => Date;
  private sequence = 0n;

  constructor(options: LocalSnsOptions) {
    this.outbox = options.outbox;
    this.topics = options.topics ? new Set(options.topics) : undefined;
    this.now = options.now ?? (() => new Date());
    for (const s of options.subscriptions ?? []) this.subscribe(s);
  }

  get subscriptions(): readonly SnsSubscription[] {
    return this.subs;
  }

  /** Whether `topicArn` is a topic here (any well-formed ARN when no topic list was given). */
  hasTopic(topicArn: string): boolean {
    return this.topics ? this.topics.has(topicArn) : TOPIC_ARN.test(topicArn);
  }

  /** Adds a subscription (its filter policy is validated now). Returns a function that removes it. */
  subscribe(sub: SnsSubscription): () => void {
    let policy: unknown = sub.filterPolicy;
    if (typeof policy === 'string') {
      try {
        policy = JSON.parse(policy);
      } catch {
        throw new Error(`subscription ${sub.endpoint} on ${sub.topicArn}: filterPolicy is not valid JSON`);
      }
    }
    if (policy !== undefined) validateFilterPolicy(policy, `subscription ${sub.endpoint} on ${sub.topicArn}: filterPolicy`);
    const prepared: PreparedSubscription = { ...sub, ...(policy !== undefined ? { policy: policy as FilterPolicy } : {}) };
    this.subs.push(prepared);
    return () => {
      this.subs = this.subs.filter((s) => s !== prepared);
    };
  }

  /** Replaces all subscriptions. */
  setSubscriptions(subs: SnsSubscription[]): void {
    this.subs = [];
    for (const s of subs) this.subscribe(s);
  }

  /**
   * Publishes, as the state machine's `sns:publish` task and the SDK's PublishCommand do.
   * Resolves with the SDK's output shape; rejects with SnsError on invalid input.
   * Bound, so it can be passed around as a function.
   */
  publishSns = async (params: SnsPublishParams): Promise<{ MessageId: string; SequenceNumber?: string }> => {
    const { deliveries: _d, ...out } = this.publish(params);
    return out;
  };

  /**
   * Like publishSns, synchronous, and also returns the outbox records written.
   * As Step Functions' `sns:publish` does, a Message that is not a string (an object from
   * the state's input) is sent as its JSON text, and so are non-string attribute values.
   */
  publish(params: SnsPublishParams): PublishOutcome {
    const topicArn = this.checkTopic(params);
    return this.deliver(topicArn, normalize(params));
  }

  /** PublishBatch: up to 10 entries, distinct ids; invalid entries are reported in Failed, the rest delivered. */
  publishBatch(params: SnsPublishBatchParams): {
    Successful: { Id: string; MessageId: string; SequenceNumber?: string }[];
    Failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[];
  } {
    const topicArn = this.checkTopic({ TopicArn: params.TopicArn });
    const entries = params.PublishBatchRequestEntries ?? [];
    if (entries.length === 0) throw new SnsError('EmptyBatchRequest', 'The batch request does not contain any entries.');
    if (entries.length > 10) {
      throw new SnsError('TooManyEntriesInBatchRequest', 'The batch request contains more entries than permissible (10).');
    }
    const ids = new Set<string>();
    for (const e of entries) {
      if (!e.Id || !/^[A-Za-z0-9_-]{1,80}$/.test(e.Id)) {
        throw new SnsError(
          'InvalidBatchEntryId',
          `The Id of a batch entry in a batch request doesn't abide by the specification: ${e.Id ?? ''}`,
        );
      }
      if (ids.has(e.Id))
        throw new SnsError('BatchEntryIdsNotDistinct', `Two or more batch entries in the request have the same Id: ${e.Id}`);
      ids.add(e.Id);
    }
    const total = entries.reduce((n, e) => n + payloadSize(normalize(e)), 0);
    if (total > MAX_SIZE)
      throw new SnsError('BatchRequestTooLong', 'The length of all the batch messages put together is more than the limit.');
    const Successful: { Id: string; MessageId: string; SequenceNumber?: string }[] = [];
    const Failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
    for (const e of entries) {
      try {
        const { MessageId, SequenceNumber } = this.deliver(topicArn, normalize({ ...e, TopicArn: topicArn }));
        Successful.push({ Id: e.Id!, MessageId, ...(SequenceNumber ? { SequenceNumber } : {}) });
      } catch (err) {
        if (!(err instanceof SnsError)) throw err;
        Failed.push({ Id: e.Id!, Code: err.code, Message: err.message, SenderFault: err.senderFault });
      }
    }
    return { Successful, Failed };
  }

  private checkTopic(params: Pick<SnsPublishParams, 'TopicArn' | 'TargetArn' | 'PhoneNumber'>): string {
    if (params.PhoneNumber) throw invalid('PhoneNumber: SMS is not supported in local mode');
    const arn = params.TopicArn ?? params.TargetArn;
    if (!arn) throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
    if (!TOPIC_ARN.test(arn)) throw invalid(`TopicArn Reason: not a topic ARN: ${arn}`);
    if (this.topics && !this.topics.has(arn) && !this.subs.some((s) => s.topicArn === arn)) {
      throw new SnsError('NotFound', 'Topic does not exist', 404);
    }
    return arn;
  }

  private deliver(topicArn: string, params: SnsPublishParams): PublishOutcome {
    const message = params.Message;
    if (message === undefined || message === null || message === '') throw invalid('Empty message');
    if (typeof message !== 'string') throw invalid('Message must be a string');
    if (payloadSize(params) > MAX_SIZE) throw invalid('Message too long');
    if (params.Subject !== undefined) {
      if (params.Subject === '' || params.Subject.length > 100 || !/^[\x20-\x7e]+$/.test(params.Subject)) {
        throw invalid('Subject');
      }
    }
    const attributes = checkAttributes(params.MessageAttributes);
    const fifo = topicArn.endsWith('.fifo');
    if (fifo && !params.MessageGroupId) throw invalid('The MessageGroupId parameter is required for FIFO topics');
    if (!fifo && params.MessageDeduplicationId)
      throw invalid(
        'MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
      );

    // MessageStructure=json: one message per protocol; an email subscriber gets "email", else "default".
    let perProtocol: Record<string, unknown> | undefined;
    if (params.MessageStructure !== undefined) {
      if (params.MessageStructure !== 'json') throw invalid('MessageStructure');
      try {
        perProtocol = JSON.parse(message) as Record<string, unknown>;
      } catch {
        throw invalid('Message Structure - JSON message body failed to parse');
      }
      if (!perProtocol || typeof perProtocol !== 'object' || typeof perProtocol.default !== 'string') {
        throw invalid('Message Structure - No default entry in JSON message body');
      }
    }
    const bodyFor = (protocol = 'email'): string => {
      if (!perProtocol) return message;
      const m = perProtocol[protocol] ?? perProtocol.default;
      return typeof m === 'string' ? m : JSON.stringify(m);
    };

    const messageId = randomUUID();
    const at = this.now().toISOString();
    const flatAttributes = flatten(params.MessageAttributes);
    const base = {
      messageId,
      at,
      topicArn,
      ...(params.Subject !== undefined ? { subject: params.Subject } : {}),
      attributes: flatAttributes,
    };
    const subs = this.subs.filter((s) => s.topicArn === topicArn);
    const deliveries: OutboxMessage[] = [];
    if (subs.length === 0) {
      deliveries.push(this.outbox.add({ ...base, message: bodyFor() }));
    } else {
      for (const s of subs) {
        const body = bodyFor(s.protocol ?? 'email');
        let subject: Record<string, unknown> | undefined = attributes;
        if (s.filterPolicyScope === 'MessageBody') {
          try {
            const parsed: unknown = JSON.parse(body);
            subject = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
          } catch {
            subject = undefined;
          }
        }
        if (s.pendingToken !== undefined) continue;
        if (s.policy && (subject === undefined || !matchesFilterPolicy(s.policy, subject))) continue;
        deliveries.push(this.outbox.add({ ...base, message: body, deliveredTo: s.endpoint }));
      }
    }
    return {
      MessageId: messageId,
      ...(fifo ? { SequenceNumber: String(++this.sequence).padStart(20, '0') } : {}),
      deliveries,
    };
  }
}

const asText = (v: unknown): string | undefined =>
  v === undefined || v === null
    ? undefined
    : typeof v === 'string'
      ? v
      : typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : JSON.stringify(v);

function normalize<T extends Pick<SnsPublishParams, 'Message' | 'MessageAttributes'>>(params: T): T {
  const out = { ...params };
  if (out.Message !== undefined && out.Message !== null && typeof out.Message !== 'string') out.Message = asText(out.Message);
  if (out.MessageAttributes) {
    out.MessageAttributes = Object.fromEntries(
      Object.entries(out.MessageAttributes).map(([k, v]) => [
        k,
        v && v.StringValue !== undefined && typeof v.StringValue !== 'string' ? { ...v, StringValue: asText(v.StringValue)! } : v,
      ]),
    );
  }
  return out;
}

function payloadSize(p: Pick<SnsPublishParams, 'Message' | 'MessageAttributes'>): number {
  let n = Buffer.byteLength(p.Message ?? '');
  for (const [k, v] of Object.entries(p.MessageAttributes ?? {})) {
    n += Buffer.byteLength(k) + Buffer.byteLength(v.DataType ?? '');
    n += v.StringValue !== undefined ? Buffer.byteLength(v.StringValue) : 0;
    n +=
      v.BinaryValue !== undefined
        ? typeof v.BinaryValue === 'string'
          ? Buffer.byteLength(v.BinaryValue, 'base64')
          : v.BinaryValue.length
        : 0;
  }
  return n;
}

function checkAttributes(attrs: Record<string, SnsMessageAttributeValue> | undefined): Record<string, unknown> {
  for (const [name, v] of Object.entries(attrs ?? {})) {
    if (!ATTRIBUTE_NAME.test(name) || /^(aws|amazon)\./i.test(name) || name.includes('..') || name.startsWith('.') || name.endsWith('.')) {
      throw invalidValue(`The message attribute name '${name}' is invalid.`);
    }
    if (!v || typeof v.DataType !== 'string' || !v.DataType) {
      throw invalidValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
    }
    const type = v.DataType === 'String.Array' ? 'String.Array' : v.DataType.split('.')[0];
    if (type !== 'String' && type !== 'Number' && type !== 'Binary' && type !== 'String.Array') {
      throw invalidValue(
        `The message attribute '${name}' has an invalid message attribute type, ` +
          'the set of supported type prefixes is Binary, Number, and String.',
      );
    }
    if (type === 'Binary') {
      if (v.BinaryValue === undefined || v.BinaryValue.length === 0) {
        throw invalidValue(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      }
      continue;
    }
    if (v.StringValue === undefined || v.StringValue === '') {
      throw invalidValue(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    }
    if (type === 'Number' && !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v.StringValue.trim())) {
      throw invalidValue(`An invalid or out-of-range value was supplied for the message attribute '${name}'.`);
    }
    if (type === 'String.Array') {
      let ok = false;
      try {
        const a: unknown = JSON.parse(v.StringValue);
        ok = Array.isArray(a) && a.every((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x));
      } catch {
        ok = false;
      }
      if (!ok)
        throw invalidValue(
          `The message attribute '${name}' of type 'String.Array' must be a JSON array of strings, numbers, booleans or null.`,
        );
    }
  }
  return attributesForFiltering(attrs);
}

function flatten(attrs: Record<string, SnsMessageAttributeValue> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) {
    out[k] =
      v.BinaryValue !== undefined && v.DataType.startsWith('Binary')
        ? typeof v.BinaryValue === 'string'
          ? v.BinaryValue
          : Buffer.from(v.BinaryValue).toString('base64')
        : (v.StringValue ?? '');
  }
  return out;
}

/**
 * The `AWS::SNS::Subscription` resources of a template as SnsSubscriptions.
 * `topicArnOf` maps a topic's logical id (from `TopicArn: { Ref }`) to its local ARN.
 * Subscriptions whose endpoint is not a plain string are skipped.
 */
export function subscriptionsFromTemplate(
  template: { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }> },
  topicArnOf: (logicalId: string) => string | undefined,
): SnsSubscription[] {
  const out: SnsSubscription[] = [];
  for (const r of Object.values(template.Resources ?? {})) {
    if (r.Type !== 'AWS::SNS::Subscription' || !r.Properties) continue;
    const p = r.Properties;
    const ref = (p.TopicArn as { Ref?: unknown } | undefined)?.Ref;
    const topicArn = typeof p.TopicArn === 'string' ? p.TopicArn : typeof ref === 'string' ? topicArnOf(ref) : undefined;
    if (!topicArn || typeof p.Endpoint !== 'string') continue;
    out.push({
      topicArn,
      endpoint: p.Endpoint,
      ...(typeof p.Protocol === 'string' ? { protocol: p.Protocol } : {}),
      ...(p.FilterPolicy !== undefined ? { filterPolicy: p.FilterPolicy as FilterPolicy | string } : {}),
      ...(p.FilterPolicyScope === 'MessageBody' || p.FilterPolicyScope === 'MessageAttributes'
        ? { filterPolicyScope: p.FilterPolicyScope }
        : {}),
    });
  }
  return out;
}
