/**
 * `npx jitgate subscriptions`: the approvers' SNS email subscriptions, listed and
 * confirmed with AuthenticateOnUnsubscribe, through the real SNS client against local
 * mode's SNS endpoint (awsQuery over HTTP), which keeps a pending subscription
 * undelivered until ConfirmSubscription, as AWS does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/cli';
import { readBody } from '../../local/http-util';
import { Outbox } from '../../local/outbox';
import { createSnsEndpoint, LocalSns } from '../../local/sns';
import { DEMO_CONFIG_FILE } from '../support/demo-config';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:Jitgate-ApproverTopic';
const CORP = 'https://corp-idp.jitgate.test';
const DANA = `${CORP}#dana`;
const ERIK = `${CORP}#erik`;
const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const LINK =
  `https://sns.us-east-1.amazonaws.com/confirmation.html?TopicArn=${encodeURIComponent(TOPIC)}` +
  `&Token=${TOKEN}&Endpoint=dana%40example.com`;

let dir: string;
let configFile: string;
let sns: LocalSns;
let server: Server;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jitgate-subscriptions-'));
  const raw = JSON.parse(readFileSync(DEMO_CONFIG_FILE, 'utf8'));
  raw.issuers.corp = { issuer: CORP, audience: ['jitgate-api'], tokenUse: 'access' };
  raw.approverGroups['security-admins'].members.push({ issuer: 'corp', sub: 'dana', email: 'dana@example.com' });
  raw.approverGroups['finance-approvers'].members.push({ issuer: 'corp', sub: 'dana', email: 'dana@example.com' });
  raw.approverGroups.ops = { members: [{ issuer: 'corp', sub: 'erik', email: 'erik@example.com' }] };
  configFile = join(dir, 'jitgate.config.json');
  writeFileSync(configFile, JSON.stringify(raw));

  sns = new LocalSns({
    outbox: new Outbox(join(dir, 'outbox.jsonl')),
    topics: [TOPIC],
    subscriptions: [
      { topicArn: TOPIC, endpoint: 'dana@example.com', protocol: 'email', filterPolicy: { approver: [DANA] }, pendingToken: TOKEN },
      // Confirmed by clicking AWS's link: the unsubscribe link works for anyone.
      {
        topicArn: TOPIC,
        endpoint: 'erik@example.com',
        protocol: 'email',
        filterPolicy: { approver: [ERIK] },
        confirmationWasAuthenticated: false,
      },
      {
        topicArn: TOPIC,
        endpoint: 'mallory@example.com',
        protocol: 'email',
        filterPolicy: { approver: ['https://elsewhere.test#mallory'] },
        confirmationWasAuthenticated: true,
      },
    ],
  });
  const endpoint = createSnsEndpoint(sns);
  server = createServer((req, res) => void readBody(req).then((body) => endpoint(req, res, body.toString('utf8'))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  env = {
    AWS_ENDPOINT_URL_SNS: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`,
    AWS_ACCESS_KEY_ID: 'AKIDJITGATETEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
  };
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

async function jitgate(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    cwd: dir,
    env,
  });
  return { code, stdout, stderr };
}

const deliveredTo = (principal: string) =>
  sns
    .publish({ TopicArn: TOPIC, Message: 'approve?', MessageAttributes: { approver: { DataType: 'String', StringValue: principal } } })
    .deliveries.map((d) => d.deliveredTo);

test('lists each approver of the config as deployed, with the state of their subscription; exit 3 when any needs attention', async () => {
  const { code, stdout } = await jitgate('subscriptions', '--topic', TOPIC, '--config', configFile, '--json');
  expect(JSON.parse(stdout)).toEqual([
    { principalId: DANA, email: 'dana@example.com', status: 'pending' },
    { principalId: ERIK, email: 'erik@example.com', status: 'unauthenticated', subscriptionArn: expect.stringMatching(`^${TOPIC}:`) },
    { email: 'mallory@example.com', status: 'unknown', subscriptionArn: expect.stringMatching(`^${TOPIC}:`) },
  ]);
  expect(code).toBe(3);
});

test('the table says what to do', async () => {
  const { stdout } = await jitgate('subscriptions', '--topic', TOPIC, '--config', configFile);
  expect(stdout).toMatch(/dana@example\.com .*pending confirmation/);
  expect(stdout).toMatch(/erik@example\.com .*anyone with a message can unsubscribe/);
  expect(stdout).toMatch(/3 of 3 need attention/);
});

test('confirm takes the link from the email, confirms with AuthenticateOnUnsubscribe, and only then is the approver reached', async () => {
  expect(deliveredTo(DANA)).toEqual([]);
  const { code, stdout, stderr } = await jitgate('subscriptions', 'confirm', LINK);
  expect([code, stderr]).toEqual([0, 'confirmed; unsubscribing now needs AWS credentials\n']);
  expect(stdout.trim().startsWith(`${TOPIC}:`)).toBe(true);
  expect(deliveredTo(DANA)).toEqual(['dana@example.com']);

  const list = await jitgate('subscriptions', '--topic', TOPIC, '--config', configFile, '--json');
  expect(JSON.parse(list.stdout)[0]).toEqual({
    principalId: DANA,
    email: 'dana@example.com',
    status: 'confirmed',
    subscriptionArn: stdout.trim(),
  });
});

test('a used or unknown token: AWS refuses, the CLI says why (exit 1)', async () => {
  const { code, stderr } = await jitgate('subscriptions', 'confirm', TOKEN.replace(/^a/, 'b'), '--topic', TOPIC);
  expect(code).toBe(1);
  expect(stderr).toMatch(/AWS refused the confirmation \(Invalid parameter: Token\): the link was used already, has expired/);
});

test.each([
  [['subscriptions', '--config', 'x.json'], /name the approver topic: --topic <arn> or \$APPROVER_TOPIC_ARN/],
  [['subscriptions', '--topic', 'Jitgate-ApproverTopic'], /--topic: not an SNS topic ARN \(got "Jitgate-ApproverTopic"\)/],
  [['subscriptions', 'confirm'], /confirm needs the confirmation link from the email/],
  [['subscriptions', 'confirm', 'not-a-token', '--topic', TOPIC], /the token is not one from an SNS confirmation email/],
  [['subscriptions', 'confirm', 'https://sns.us-east-1.amazonaws.com/confirmation.html?TopicArn=x'], /the link has no Token parameter/],
  [
    ['subscriptions', 'confirm', LINK, '--topic', TOPIC.replace('Approver', 'Events')],
    /the link is for topic .*ApproverTopic, not .*EventsTopic/,
  ],
  [['subscriptions', 'list'], /unknown argument "list"/],
])('usage error %j → exit 2 with the fix', async (argv, message) => {
  const { code, stderr } = await jitgate(...argv);
  expect(code).toBe(2);
  expect(stderr).toMatch(message);
});

test('a missing config file: exit 1 naming it', async () => {
  const { code, stderr } = await jitgate('subscriptions', '--topic', TOPIC, '--config', 'nope.json');
  expect(code).toBe(1);
  expect(stderr).toMatch(/no config at .*nope\.json; check the path given to --config/);
});
