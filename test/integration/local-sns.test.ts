/**
 * The SNS stand-in: the real SNS client (awsQuery over HTTP, path-prefixed endpoint)
 * against createSnsEndpoint, filter-policy routing into the outbox, persistence, and
 * the outbox's JSON and HTML views.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InvalidParameterException,
  NotFoundException,
  InvalidParameterValueException,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { readBody } from '../../local/http-util';
import { findLinks, Outbox, outboxHttpHandler, renderOutboxPage } from '../../local/outbox';
import { createSnsEndpoint, LocalSns, matchesFilterPolicy, attributesForFiltering, SnsError } from '../../local/sns';

const APPROVERS = 'arn:aws:sns:local:000000000000:ApproverTopic';
const EVENTS = 'arn:aws:sns:local:000000000000:EventsTopic';
const BOB = 'https://idp.local#bob';
const CAROL = 'https://idp.local#carol';

describe('local SNS over HTTP with the AWS SDK', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jitgate-sns-'));
  const file = join(dir, 'outbox.jsonl');
  let outbox: Outbox;
  let sns: LocalSns;
  let server: Server;
  let base: string;
  let client: SNSClient;
  const snsPaths: string[] = [];

  beforeAll(async () => {
    outbox = new Outbox(file);
    sns = new LocalSns({
      outbox,
      topics: [APPROVERS, EVENTS],
      subscriptions: [
        { topicArn: APPROVERS, endpoint: 'bob@example.com', protocol: 'email', filterPolicy: { approver: [BOB] } },
        { topicArn: APPROVERS, endpoint: 'carol@example.com', protocol: 'email', filterPolicy: JSON.stringify({ approver: [CAROL] }) },
      ],
    });
    const snsEndpoint = createSnsEndpoint(sns);
    const outboxEndpoint = outboxHttpHandler(outbox);
    server = createServer((req, res) => {
      void (async () => {
        if (await outboxEndpoint(req, res)) return;
        const path = (req.url ?? '/').split('?')[0]!;
        if (path === '/dev/aws/sns' || path === '/dev/aws/sns/') {
          snsPaths.push(`${req.method} ${path}`);
          return snsEndpoint(req, res, (await readBody(req)).toString('utf8'));
        }
        res.statusCode = 404;
        res.end(`no route ${req.method} ${req.url}`);
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    client = new SNSClient({
      endpoint: `${base}/dev/aws/sns`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes a publish with approver=bob to bob only, links extracted', async () => {
    const out = await client.send(
      new PublishCommand({
        TopicArn: APPROVERS,
        Subject: 'Approval needed: prod:debug',
        Message: 'Alice asks for prod:debug.\nApprove or deny: http://127.0.0.1:4000/approve/abc.def.\nThanks',
        MessageAttributes: {
          approver: { DataType: 'String', StringValue: BOB },
          event: { DataType: 'String', StringValue: 'approval.requested' },
        },
      }),
    );
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    // The SDK keeps the endpoint's path and adds "/": the server must route "/dev/aws/sns/".
    expect(snsPaths).toEqual(['POST /dev/aws/sns/']);
    const delivered = outbox.list({ topic: APPROVERS });
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      messageId: out.MessageId,
      topicArn: APPROVERS,
      subject: 'Approval needed: prod:debug',
      deliveredTo: 'bob@example.com',
      attributes: { approver: BOB, event: 'approval.requested' },
      links: ['http://127.0.0.1:4000/approve/abc.def'],
    });
    expect(outbox.list({ to: 'carol@example.com' })).toHaveLength(0);
    expect(outbox.list({ to: 'BOB@example.com' })).toHaveLength(1);
  });

  it('records a publish to a topic without subscriptions once, to nobody', async () => {
    const out = await client.send(
      new PublishCommand({ TopicArn: EVENTS, Message: JSON.stringify({ type: 'grant.activated', requestId: 'r1' }) }),
    );
    const events = outbox.list({ topic: EVENTS });
    expect(events).toHaveLength(1);
    expect(events[0]!.messageId).toBe(out.MessageId);
    expect(events[0]!.deliveredTo).toBeUndefined();
  });

  it('drops a message no subscription filter matches (as SNS does)', async () => {
    const before = outbox.size;
    await client.send(
      new PublishCommand({
        TopicArn: APPROVERS,
        Message: 'for nobody',
        MessageAttributes: { approver: { DataType: 'String', StringValue: 'someone-else' } },
      }),
    );
    expect(outbox.size).toBe(before);
  });

  it('PublishBatch delivers each entry and reports invalid ones in Failed', async () => {
    const out = await client.send(
      new PublishBatchCommand({
        TopicArn: APPROVERS,
        PublishBatchRequestEntries: [
          { Id: 'to-bob', Message: 'batch for bob', MessageAttributes: { approver: { DataType: 'String', StringValue: BOB } } },
          { Id: 'to-carol', Message: 'batch for carol', MessageAttributes: { approver: { DataType: 'String', StringValue: CAROL } } },
          { Id: 'bad', Message: 'bad attribute', MessageAttributes: { n: { DataType: 'Number', StringValue: 'NaN-ish' } } },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id).sort()).toEqual(['to-bob', 'to-carol']);
    expect(out.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ParameterValueInvalid', SenderFault: true })]);
    expect(outbox.list({ to: 'carol@example.com' }).map((m) => m.message)).toEqual(['batch for carol']);
  });

  it('answers errors in the awsQuery format the SDK maps to its exceptions', async () => {
    const unknownTopic = await client
      .send(new PublishCommand({ TopicArn: 'arn:aws:sns:local:000000000000:Nope', Message: 'x' }))
      .catch((e: unknown) => e);
    expect(unknownTopic).toBeInstanceOf(NotFoundException);
    expect((unknownTopic as NotFoundException).$metadata.httpStatusCode).toBe(404);

    const empty = await client.send(new PublishCommand({ TopicArn: EVENTS, Message: '' })).catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(InvalidParameterException);
    expect((empty as Error).message).toMatch(/Empty message/);

    const badArn = await client.send(new PublishCommand({ TopicArn: 'not-an-arn', Message: 'x' })).catch((e: unknown) => e);
    expect(badArn).toBeInstanceOf(InvalidParameterException);

    const badAttr = await client
      .send(new PublishCommand({ TopicArn: EVENTS, Message: 'x', MessageAttributes: { a: { DataType: 'Complex', StringValue: 'v' } } }))
      .catch((e: unknown) => e);
    expect(badAttr).toBeInstanceOf(InvalidParameterValueException);

    const noDefault = await client
      .send(new PublishCommand({ TopicArn: EVENTS, Message: '{"email":"x"}', MessageStructure: 'json' }))
      .catch((e: unknown) => e);
    expect(noDefault).toBeInstanceOf(InvalidParameterException);
  });

  it('serves the outbox as JSON (newest first, filtered) and as a page', async () => {
    const all = (await (await fetch(`${base}/dev/outbox`)).json()) as { count: number; messages: { message: string; at: string }[] };
    expect(all.count).toBe(outbox.size);
    expect(all.messages[0]!.message).toBe('batch for carol');
    const bob = (await (await fetch(`${base}/dev/outbox?to=bob@example.com`)).json()) as { messages: { deliveredTo: string }[] };
    expect(bob.messages.map((m) => m.deliveredTo)).toEqual(['bob@example.com', 'bob@example.com']);
    const future = (await (
      await fetch(`${base}/dev/outbox?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)
    ).json()) as {
      count: number;
    };
    expect(future.count).toBe(0);
    expect((await fetch(`${base}/dev/outbox?since=yesterday`)).status).toBe(400);

    const page = await fetch(`${base}/dev/outbox.html`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    // Only this server's own URLs become links; the message names another origin (port 4000), shown as text.
    expect(html).toContain('http://127.0.0.1:4000/approve/abc.def');
    expect(html).not.toContain('<a href="http://127.0.0.1:4000/approve/abc.def"');
    expect(html.indexOf('batch for carol')).toBeLessThan(html.indexOf('batch for bob'));
    expect((await fetch(`${base}/dev/outbox`, { method: 'POST' })).status).toBe(405);
  });

  it('persists the outbox: a new Outbox on the same file sees every record', () => {
    const reopened = new Outbox(file);
    expect(reopened.list()).toEqual(outbox.list());
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(outbox.size);
  });

  it('DELETE /dev/outbox empties it, on disk too', async () => {
    expect((await fetch(`${base}/dev/outbox`, { method: 'DELETE' })).status).toBe(204);
    expect(outbox.size).toBe(0);
    expect(new Outbox(file).size).toBe(0);
  });

  it('in-process publishSns (the state machine path) notifies onMessage listeners', async () => {
    const seen: string[] = [];
    const off = outbox.onMessage((m) => seen.push(m.deliveredTo ?? '-'));
    const out = await sns.publishSns({
      TopicArn: APPROVERS,
      Message: 'from the state machine',
      MessageAttributes: { approver: { DataType: 'String', StringValue: CAROL } },
    });
    off();
    expect(Object.keys(out)).toEqual(['MessageId']);
    expect(seen).toEqual(['carol@example.com']);
    await expect(sns.publishSns({ TopicArn: EVENTS })).rejects.toBeInstanceOf(SnsError);
  });

  it('sends an object Message (a state machine input) as its JSON text, as Step Functions does', async () => {
    const { deliveries } = sns.publish({
      TopicArn: EVENTS,
      Message: { type: 'grant.expiring', requestId: 'r9' } as unknown as string,
      MessageAttributes: { n: { DataType: 'Number', StringValue: 3 as unknown as string } },
    });
    expect(deliveries).toHaveLength(1);
    expect(JSON.parse(deliveries[0]!.message)).toEqual({ type: 'grant.expiring', requestId: 'r9' });
    expect(deliveries[0]!.attributes).toEqual({ n: '3' });
  });
});

describe('SNS filter policies (attribute scope)', () => {
  const attrs = attributesForFiltering({
    approver: { DataType: 'String', StringValue: 'https://idp#bob' },
    amount: { DataType: 'Number', StringValue: '1500' },
    groups: { DataType: 'String.Array', StringValue: '["security-admins","finance"]' },
    blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1]) },
  });
  it.each([
    [{ approver: ['https://idp#bob'] }, true],
    [{ approver: ['https://idp#carol', 'https://idp#bob'] }, true],
    [{ approver: ['https://idp#carol'] }, false],
    [{ approver: [{ prefix: 'https://idp#' }] }, true],
    [{ approver: [{ suffix: '#BOB' }] }, false],
    [{ approver: [{ 'equals-ignore-case': 'HTTPS://IDP#BOB' }] }, true],
    [{ approver: [{ 'anything-but': ['https://idp#carol'] }] }, true],
    [{ approver: [{ 'anything-but': 'https://idp#bob' }] }, false],
    [{ approver: [{ 'anything-but': { prefix: 'https://' } }] }, false],
    [{ missing: [{ 'anything-but': ['x'] }] }, false],
    [{ approver: [{ exists: true }] }, true],
    [{ missing: [{ exists: false }] }, true],
    [{ missing: [{ exists: true }] }, false],
    [{ approver: [{ exists: false }] }, false],
    [{ amount: [{ numeric: ['>', 1000, '<=', 1500] }] }, true],
    [{ amount: [{ numeric: ['<', 1000] }] }, false],
    [{ amount: [1500] }, true],
    [{ amount: ['1500'] }, false],
    [{ groups: ['finance'] }, true],
    [{ groups: ['auditors'] }, false],
    [{ blob: ['AQ=='] }, false],
    [{ blob: [{ exists: true }] }, true],
    [{ approver: ['https://idp#bob'], amount: [{ numeric: ['<', 10] }] }, false],
    [{ $or: [{ approver: ['nobody'] }, { groups: ['finance'] }] }, true],
  ])('%j → %s', (policy, expected) => {
    expect(matchesFilterPolicy(policy, attrs)).toBe(expected);
  });

  it('rejects malformed policies when subscribing', () => {
    const sns = new LocalSns({ outbox: new Outbox() });
    expect(() => sns.subscribe({ topicArn: EVENTS, endpoint: 'x', filterPolicy: { a: 'not-a-list' } })).toThrow(/must be a list/);
    expect(() => sns.subscribe({ topicArn: EVENTS, endpoint: 'x', filterPolicy: { a: [{ regex: '.*' }] } })).toThrow(/unknown condition/);
    expect(() => sns.subscribe({ topicArn: EVENTS, endpoint: 'x', filterPolicy: '{oops' })).toThrow(/not valid JSON/);
  });

  it('MessageBody scope matches the JSON body', () => {
    const outbox = new Outbox();
    const sns = new LocalSns({
      outbox,
      subscriptions: [
        { topicArn: EVENTS, endpoint: 'ops', filterPolicyScope: 'MessageBody', filterPolicy: { type: [{ prefix: 'grant.' }] } },
      ],
    });
    sns.publish({ TopicArn: EVENTS, Message: JSON.stringify({ type: 'grant.ended' }) });
    sns.publish({ TopicArn: EVENTS, Message: JSON.stringify({ type: 'request.created' }) });
    sns.publish({ TopicArn: EVENTS, Message: 'not json' });
    expect(outbox.list().map((m) => JSON.parse(m.message).type)).toEqual(['grant.ended']);
  });
});

describe('outbox rendering', () => {
  it('finds links without trailing punctuation', () => {
    expect(findLinks('see (https://a.example/x?y=1). and http://b.example/p_(q), "https://c.example/z"')).toEqual([
      'https://a.example/x?y=1',
      'http://b.example/p_(q)',
      'https://c.example/z',
    ]);
  });

  it('escapes everything and only links http(s) URLs', () => {
    const html = renderOutboxPage([
      {
        id: '1',
        messageId: 'm',
        at: '2026-01-01T00:00:00.000Z',
        topicArn: EVENTS,
        subject: '<script>alert(1)</script>',
        message: 'javascript:alert(1) <img src=x onerror=alert(1)> https://ok.example/a?b=1&c=2',
        attributes: { '"k"': '<v>' },
        deliveredTo: 'x"@example.com',
        links: ['https://ok.example/a?b=1&c=2'],
      },
    ]);
    expect(html).not.toMatch(/<script>|<img /);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('href="https://ok.example/a?b=1&amp;c=2"');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('x&quot;@example.com');
  });
});
