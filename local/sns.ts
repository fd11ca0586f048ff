/**
 * An SNS stand-in for local mode: Publish / PublishBatch routed through subscription
 * filter policies into the outbox, callable in-process (the local state machine's
 * `sns:publish` tasks) and over HTTP as the AWS SDK v3 SNS client speaks it (the
 * awsQuery protocol: form-encoded requests, XML responses and errors).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeXml, send } from './http-util';
import type { Outbox, OutboxMessage } from './outbox';
import { SUBSCRIPTION_ACTIONS, subscriptionAction } from './sns-subscriptions';
import { accessKeyOf } from './credentials';

// ---------------------------------------------------------------------------------------------
// Types

export interface SnsMessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Bytes (SDK) or base64 text (state machine JSON). */
  BinaryValue?: Uint8Array | string;
}

/** The fields of the SDK's PublishCommandInput this stand-in honours. */
export interface SnsPublishParams {
  TopicArn?: string;
  TargetArn?: string;
  PhoneNumber?: string;
  Message?: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, SnsMessageAttributeValue>;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
}

export interface SnsPublishBatchParams {
  TopicArn?: string;
  PublishBatchRequestEntries?: (Omit<SnsPublishParams, 'TopicArn' | 'TargetArn' | 'PhoneNumber'> & { Id?: string })[];
}

/** A filter policy: attribute name → list of conditions (SNS syntax), `$or`, nested objects for MessageBody scope. */
export type FilterPolicy = Record<string, unknown>;

export interface SnsSubscription {
  topicArn: string;
  /** Where it is delivered (an email address, or the approver's principal): becomes `deliveredTo`. */
  endpoint: string;
  protocol?: string;
  /** Object, or its JSON text as SNS stores it. */
  filterPolicy?: FilterPolicy | string;
  filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
  /**
   * Set while the subscription awaits confirmation (the token of the confirmation
   * email); AWS delivers nothing to it until ConfirmSubscription. Absent: confirmed.
   */
  pendingToken?: string;
  /** ConfirmSubscription was signed and asked for AuthenticateOnUnsubscribe (only then does unsubscribing need AWS credentials). */
  confirmationWasAuthenticated?: boolean;
}

export interface LocalSnsOptions {
  outbox: Outbox;
  subscriptions?: SnsSubscription[];
  /**
   * Topics that exist. When given, publishing to any other topic fails with NotFound;
   * when absent, any well-formed topic ARN is accepted.
   */
  topics?: string[];
  /** Clock, for tests. */
  now?: () => Date;
}

export interface PublishOutcome {
  MessageId: string;
  SequenceNumber?: string;
  /** The outbox records written: one per matching subscription, or one without deliveredTo when the topic has no subscription. */
  deliveries: OutboxMessage[];
}

/** An SNS error with its awsQuery error code (`NotFound`, `InvalidParameter`, ...) and HTTP status. */
export class SnsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
    readonly senderFault = statusCode < 500,
  ) {
    super(message);
    this.name = `${code}Exception`;
  }
}

const invalid = (what: string) => new SnsError('InvalidParameter', `Invalid parameter: ${what}`);
const invalidValue = (what: string) => new SnsError('ParameterValueInvalid', what);

// ---------------------------------------------------------------------------------------------
// Filter policies

const BINARY = Symbol('binary');
const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'cidr']);

/** Throws a descriptive Error for a malformed policy (unknown operator, a value that is not a list...). */
export function validateFilterPolicy(policy: unknown, path = 'filterPolicy'): asserts policy is FilterPolicy {
  if (!policy || typeof policy !== 'object' || Array.isArray(policy)) throw new Error(`${path}: must be a JSON object`);
  for (const [key, value] of Object.entries(policy)) {
    const here = `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) throw new Error(`${here}: must be a list of at least two policies`);
      value.forEach((p, i) => validateFilterPolicy(p, `${here}[${i}]`));
    } else if (Array.isArray(value)) {
      for (const c of value) {
        if (c !== null && typeof c === 'object') {
          const ops = Object.keys(c);
          if (ops.length !== 1 || !OPERATORS.has(ops[0]!)) {
            throw new Error(`${here}: unknown condition ${JSON.stringify(c)} (use prefix, suffix, anything-but, numeric, exists, equals-ignore-case or cidr)`);
          }
        }
      }
    } else if (value && typeof value === 'object') {
      validateFilterPolicy(value, here); // MessageBody scope: nested keys
    } else {
      throw new Error(`${here}: conditions must be a list, e.g. ["value"]`);
    }
  }
}

/** The attributes as a filter policy sees them: String → string, Number → number, String.Array → its elements, Binary → unmatchable. */
export function attributesForFiltering(attrs: Record<string, SnsMessageAttributeValue> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(attrs)) {
    const type = v.DataType.split('.')[0];
    if (v.DataType === 'String.Array') {
      try {
        out[name] = JSON.parse(v.StringValue ?? '[]');
      } catch {
        out[name] = [];
      }
    } else if (type === 'Number') out[name] = Number(v.StringValue);
    else if (type === 'Binary') out[name] = BINARY;
    else out[name] = v.StringValue ?? '';
  }
  return out;
}

/** SNS filter policy matching (attribute-based, or nested for MessageBody scope). */
export function matchesFilterPolicy(policy: FilterPolicy, subject: Record<string, unknown> | undefined): boolean {
  for (const [key, cond] of Object.entries(policy)) {
    if (key === '$or') {
      if (!(cond as FilterPolicy[]).some((p) => matchesFilterPolicy(p, subject))) return false;
      continue;
    }
    if (cond && typeof cond === 'object' && !Array.isArray(cond)) {
      const child = subject?.[key];
      const nested = child && typeof child === 'object' && !Array.isArray(child) ? (child as Record<string, unknown>) : undefined;
      if (!matchesFilterPolicy(cond as FilterPolicy, nested)) return false;
      continue;
    }
    const conditions = Array.isArray(cond) ? cond : [cond];
    const present = subject !== undefined && Object.prototype.hasOwnProperty.call(subject, key);
    const raw = present ? subject![key] : undefined;
    const values = !present ? undefined : Array.isArray(raw) ? raw : [raw];
    if (!conditions.some((c) => matchCondition(c, values))) return false;
  }
  return true;
}

function matchCondition(c: unknown, values: unknown[] | undefined): boolean {
  if (c && typeof c === 'object' && 'exists' in c) return (c as { exists: unknown }).exists ? values !== undefined : values === undefined;
  if (values === undefined) return false;
  return values.some((v) => matchValue(c, v));
}

function matchValue(c: unknown, v: unknown): boolean {
  if (v === BINARY) return false;
  if (c === null || typeof c !== 'object') return c === v;
  const [op, arg] = Object.entries(c as Record<string, unknown>)[0] ?? [];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      if (typeof v !== 'string') return false;
      const ci = arg && typeof arg === 'object' ? (arg as Record<string, unknown>)['equals-ignore-case'] : undefined;
      const needle = String(ci ?? arg);
      const hay = ci !== undefined ? v.toLowerCase() : v;
      const n = ci !== undefined ? needle.toLowerCase() : needle;
      return op === 'prefix' ? hay.startsWith(n) : hay.endsWith(n);
    }
    case 'equals-ignore-case':
      return typeof v === 'string' && v.toLowerCase() === String(arg).toLowerCase();
    case 'anything-but': {
      if (arg && typeof arg === 'object' && !Array.isArray(arg)) return !matchValue(arg, v);
      const list = Array.isArray(arg) ? arg : [arg];
      return !list.some((x) => x === v);
    }
    case 'numeric': {
      if (typeof v !== 'number' || Number.isNaN(v)) return false;
      const spec = arg as unknown[];
      for (let i = 0; i + 1 < spec.length; i += 2) {
        const n = Number(spec[i + 1]);
        const ok = { '=': v === n, '<': v < n, '<=': v <= n, '>': v > n, '>=': v >= n }[String(spec[i])];
        if (!ok) return false;
      }
      return true;
    }
    case 'cidr':
      return typeof v === 'string' && inCidr(v, String(arg));
    default:
      return false;
  }
}

function inCidr(ip: string, cidr: string): boolean {
  const toInt = (s: string) => {
    const p = s.split('.').map(Number);
    return p.length === 4 && p.every((x) => Number.isInteger(x) && x >= 0 && x < 256)
      ? ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0
      : undefined;
  };
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText ?? 32);
  const a = toInt(ip);
  const b = toInt(base ?? '');
  if (a === undefined || b === undefined || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}

// ---------------------------------------------------------------------------------------------
// The service

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
        throw new SnsError('InvalidBatchEntryId', `The Id of a batch entry in a batch request doesn't abide by the specification: ${e.Id ?? ''}`);
      }
      if (ids.has(e.Id)) throw new SnsError('BatchEntryIdsNotDistinct', `Two or more batch entries in the request have the same Id: ${e.Id}`);
      ids.add(e.Id);
    }
    const total = entries.reduce((n, e) => n + payloadSize(normalize(e)), 0);
    if (total > MAX_SIZE) throw new SnsError('BatchRequestTooLong', 'The length of all the batch messages put together is more than the limit.');
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
    if (!fifo && params.MessageDeduplicationId) throw invalid('MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type');

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
  v === undefined || v === null ? undefined : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);

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
    n += v.BinaryValue !== undefined ? (typeof v.BinaryValue === 'string' ? Buffer.byteLength(v.BinaryValue, 'base64') : v.BinaryValue.length) : 0;
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
      throw invalidValue(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
    }
    if (type === 'Binary') {
      if (v.BinaryValue === undefined || v.BinaryValue.length === 0) {
        throw invalidValue(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
      }
      continue;
    }
    if (v.StringValue === undefined || v.StringValue === '') {
      throw invalidValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
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
      if (!ok) throw invalidValue(`The message attribute '${name}' of type 'String.Array' must be a JSON array of strings, numbers, booleans or null.`);
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

// ---------------------------------------------------------------------------------------------
// The HTTP endpoint (awsQuery)

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** Decodes awsQuery `A.entry.N.Name` / `B.member.N.X` style keys for the two actions supported. */
function decodeQuery(form: URLSearchParams): { action?: string; publish: SnsPublishParams; batch: SnsPublishBatchParams } {
  const get = (k: string) => form.get(k) ?? undefined;
  const attributes = (prefix: string): Record<string, SnsMessageAttributeValue> | undefined => {
    const out: Record<string, SnsMessageAttributeValue> = {};
    for (let i = 1; form.has(`${prefix}.entry.${i}.Name`); i++) {
      const p = `${prefix}.entry.${i}`;
      const bin = get(`${p}.Value.BinaryValue`);
      out[get(`${p}.Name`)!] = {
        DataType: get(`${p}.Value.DataType`) ?? '',
        ...(get(`${p}.Value.StringValue`) !== undefined ? { StringValue: get(`${p}.Value.StringValue`)! } : {}),
        ...(bin !== undefined ? { BinaryValue: bin } : {}),
      };
    }
    return Object.keys(out).length ? out : undefined;
  };
  const fields = (prefix: string) => {
    const o: Record<string, unknown> = {};
    for (const f of ['Message', 'Subject', 'MessageStructure', 'MessageGroupId', 'MessageDeduplicationId', 'Id']) {
      const v = get(`${prefix}${f}`);
      if (v !== undefined) o[f] = v;
    }
    const a = attributes(`${prefix}MessageAttributes`);
    if (a) o.MessageAttributes = a;
    return o;
  };
  const publish: SnsPublishParams = { ...fields('') };
  for (const f of ['TopicArn', 'TargetArn', 'PhoneNumber'] as const) {
    const v = get(f);
    if (v !== undefined) publish[f] = v;
  }
  const entries: SnsPublishBatchParams['PublishBatchRequestEntries'] = [];
  for (let i = 1; [...form.keys()].some((k) => k.startsWith(`PublishBatchRequestEntries.member.${i}.`)); i++) {
    entries.push(fields(`PublishBatchRequestEntries.member.${i}.`));
  }
  return {
    action: get('Action'),
    publish,
    batch: { ...(publish.TopicArn !== undefined ? { TopicArn: publish.TopicArn } : {}), PublishBatchRequestEntries: entries },
  };
}

const tag = (name: string, value: string | undefined) => (value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`);

function xmlResponse(res: ServerResponse, status: number, xml: string, requestId: string): void {
  send(res, status, `<?xml version="1.0"?>\n${xml}`, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId });
}

function xmlError(res: ServerResponse, err: SnsError, requestId: string): void {
  xmlResponse(
    res,
    err.statusCode,
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${err.senderFault ? 'Sender' : 'Receiver'}</Type>` +
      `${tag('Code', err.code)}${tag('Message', err.message)}</Error>${tag('RequestId', requestId)}</ErrorResponse>`,
    requestId,
  );
}

/**
 * The SNS API over HTTP, awsQuery protocol (what @aws-sdk/client-sns v3 sends): `Publish`,
 * `PublishBatch`, and the subscription calls of local/sns-subscriptions.ts. Mount it at any path (the SDK POSTs to the endpoint's path plus `/`,
 * e.g. `/dev/aws/sns/` for AWS_ENDPOINT_URL_SNS=http://127.0.0.1:4000/dev/aws/sns).
 * Signatures are not checked.
 */
export function createSnsEndpoint(sns: LocalSns): (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void> {
  return async (req, res, body) => {
    const requestId = randomUUID();
    try {
      if (req.method !== 'POST' && req.method !== 'GET') {
        throw new SnsError('InvalidAction', `Method ${req.method} is not supported; use POST`, 405);
      }
      const form = new URLSearchParams(req.method === 'GET' ? (req.url ?? '').split('?')[1] ?? '' : body);
      const { action, publish, batch } = decodeQuery(form);
      if (!action) throw new SnsError('MissingAction', 'Missing Action parameter');
      if (action === 'Publish') {
        const out = sns.publish(publish);
        xmlResponse(
          res,
          200,
          `<PublishResponse xmlns="${XMLNS}"><PublishResult>${tag('MessageId', out.MessageId)}${tag('SequenceNumber', out.SequenceNumber)}</PublishResult>` +
            `<ResponseMetadata>${tag('RequestId', requestId)}</ResponseMetadata></PublishResponse>`,
          requestId,
        );
      } else if (action === 'PublishBatch') {
        const out = sns.publishBatch(batch);
        const ok = out.Successful.map(
          (s) => `<member>${tag('Id', s.Id)}${tag('MessageId', s.MessageId)}${tag('SequenceNumber', s.SequenceNumber)}</member>`,
        ).join('');
        const failed = out.Failed.map(
          (f) => `<member>${tag('Id', f.Id)}${tag('Code', f.Code)}${tag('Message', f.Message)}${tag('SenderFault', String(f.SenderFault))}</member>`,
        ).join('');
        xmlResponse(
          res,
          200,
          `<PublishBatchResponse xmlns="${XMLNS}"><PublishBatchResult><Successful>${ok}</Successful><Failed>${failed}</Failed></PublishBatchResult>` +
            `<ResponseMetadata>${tag('RequestId', requestId)}</ResponseMetadata></PublishBatchResponse>`,
          requestId,
        );
      } else {
        const xml = subscriptionAction(sns, action, form, requestId, accessKeyOf(req.headers.authorization) !== undefined);
        if (xml === undefined) {
          throw new SnsError('InvalidAction', `The action ${action} is not valid for this endpoint (local mode supports Publish, PublishBatch, ${SUBSCRIPTION_ACTIONS.join(', ')}).`);
        }
        xmlResponse(res, 200, xml, requestId);
      }
    } catch (err) {
      xmlError(res, err instanceof SnsError ? err : new SnsError('InternalError', String((err as Error)?.message ?? err), 500), requestId);
    }
  };
}
