/**
 * Local mode's SNS over HTTP as the AWS SDK v3 SNS client speaks it: the awsQuery
 * protocol, form-encoded requests, XML responses and errors.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { send } from '../http-util';
import { accessKeyOf } from '../credentials';
import { SUBSCRIPTION_ACTIONS, subscriptionAction } from './endpoint-subscriptions';
import { SnsError } from './errors';
import type { LocalSns } from './local-sns';
import type { SnsMessageAttributeValue, SnsPublishBatchParams, SnsPublishParams } from './types';
import { tag, XMLNS } from './xml';

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
 * `PublishBatch`, and the subscription calls of endpoint-subscriptions.ts. Mount it at any
 * path (the SDK POSTs to the endpoint's path plus `/`, e.g. `/dev/aws/sns/` for
 * AWS_ENDPOINT_URL_SNS=http://127.0.0.1:4000/dev/aws/sns).
 * Signatures are not checked.
 */
export function createSnsEndpoint(sns: LocalSns): (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void> {
  return async (req, res, body) => {
    const requestId = randomUUID();
    try {
      if (req.method !== 'POST' && req.method !== 'GET') {
        throw new SnsError('InvalidAction', `Method ${req.method} is not supported; use POST`, 405);
      }
      const form = new URLSearchParams(req.method === 'GET' ? ((req.url ?? '').split('?')[1] ?? '') : body);
      const { action, publish, batch } = decodeQuery(form);
      if (!action) throw new SnsError('MissingAction', 'Missing Action parameter');
      if (action === 'Publish') {
        const out = sns.publish(publish);
        xmlResponse(
          res,
          200,
          `<PublishResponse xmlns="${XMLNS}"><PublishResult>` +
            `${tag('MessageId', out.MessageId)}${tag('SequenceNumber', out.SequenceNumber)}</PublishResult>` +
            `<ResponseMetadata>${tag('RequestId', requestId)}</ResponseMetadata></PublishResponse>`,
          requestId,
        );
      } else if (action === 'PublishBatch') {
        const out = sns.publishBatch(batch);
        const ok = out.Successful.map(
          (s) => `<member>${tag('Id', s.Id)}${tag('MessageId', s.MessageId)}${tag('SequenceNumber', s.SequenceNumber)}</member>`,
        ).join('');
        const failed = out.Failed.map(
          (f) =>
            `<member>${tag('Id', f.Id)}${tag('Code', f.Code)}${tag('Message', f.Message)}` +
            `${tag('SenderFault', String(f.SenderFault))}</member>`,
        ).join('');
        xmlResponse(
          res,
          200,
          `<PublishBatchResponse xmlns="${XMLNS}"><PublishBatchResult>` +
            `<Successful>${ok}</Successful><Failed>${failed}</Failed></PublishBatchResult>` +
            `<ResponseMetadata>${tag('RequestId', requestId)}</ResponseMetadata></PublishBatchResponse>`,
          requestId,
        );
      } else {
        const xml = subscriptionAction(sns, action, form, requestId, accessKeyOf(req.headers.authorization) !== undefined);
        if (xml === undefined) {
          throw new SnsError(
            'InvalidAction',
            `The action ${action} is not valid for this endpoint ` +
              `(local mode supports Publish, PublishBatch, ${SUBSCRIPTION_ACTIONS.join(', ')}).`,
          );
        }
        xmlResponse(res, 200, xml, requestId);
      }
    } catch (err) {
      xmlError(res, err instanceof SnsError ? err : new SnsError('InternalError', String((err as Error)?.message ?? err), 500), requestId);
    }
  };
}
