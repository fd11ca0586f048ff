/**
 * `npx jitgate subscriptions [confirm <link|token>]`: the approvers' SNS email
 * subscriptions on the deployed approver topic.
 *
 * AWS delivers nothing to an email subscription until its owner confirms it, and the
 * confirmation link AWS emails confirms *without* authentication, which leaves an
 * "unsubscribe" link at the foot of every message that anyone, or any mail scanner
 * following links, can use to silently drop an approver. `confirm` calls
 * ConfirmSubscription with AuthenticateOnUnsubscribe=true, signed with the operator's
 * credentials, so only the topic or subscription owner can unsubscribe
 * (https://docs.aws.amazon.com/sns/latest/api/API_ConfirmSubscription.html).
 *
 * Exit status: 0 every approver confirmed with authentication (or confirm succeeded),
 * 3 some approver needs attention, 2 usage error, 1 failure (AWS refused, bad config).
 */
import {
  ConfirmSubscriptionCommand,
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  type Subscription,
} from '@aws-sdk/client-sns';
import { approvers, deployedConfig } from '../infra/deployed-config';
import { locateConfig, readConfigFile } from '../shared/config/config-file';
import { EXIT, parseOptions, UsageError, type CliIo, type Command } from './command';

export const EXIT_ATTENTION = 3;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}$/;
const PENDING = 'PendingConfirmation';

export type SubscriptionStatus = 'confirmed' | 'unauthenticated' | 'pending' | 'missing' | 'unknown';

export interface ApproverSubscription {
  email: string;
  /** `<issuer URL>#<sub>`; absent for a subscription no approver in the config matches. */
  principalId?: string;
  status: SubscriptionStatus;
  subscriptionArn?: string;
}

const STATUS_TEXT: Record<SubscriptionStatus, string> = {
  confirmed: 'confirmed',
  unauthenticated: 'confirmed, but anyone with a message can unsubscribe: confirm again with `jitgate subscriptions confirm`',
  pending: 'pending confirmation: nothing is delivered until confirmed',
  missing: 'not subscribed (unconfirmed subscriptions are deleted after 48 hours): redeploy, or subscribe the address again',
  unknown: 'not an approver in the config',
};

export const subscriptionsCommand: Command = {
  summary: "list the approvers' SNS email subscriptions, or confirm one so unsubscribing needs AWS credentials",
  help: `Usage: jitgate subscriptions [--topic <arn>] [--config <file>] [--json]
       jitgate subscriptions confirm <confirmation link | token> [--topic <arn>]

Approvers get nothing until their SNS email subscription is confirmed. Ask each
approver NOT to click "Confirm subscription" in AWS's email but to send you the
link (right-click, copy link address); then run \`jitgate subscriptions confirm <link>\`
with AWS credentials for the account. It calls ConfirmSubscription with
AuthenticateOnUnsubscribe=true: the "unsubscribe" link at the foot of each message
then no longer works without AWS credentials (mail scanners follow links).

Without "confirm", lists each approver of the config (development issuers left
out, as on AWS) with the state of their subscription: confirmed, confirmed without
authentication, pending confirmation, or not subscribed.

Options:
  --topic <arn>      the approver topic (default $APPROVER_TOPIC_ARN); \`cdk deploy\` prints
                     it as the stack output ApproverTopicArn; a confirmation link carries it
  --config <file>    the config the stack was deployed with (default $JITGATE_CONFIG or ./jitgate.config.json)
  --json             print the list as JSON

AWS credentials and region come from the usual AWS environment; the region
defaults to the topic's. $AWS_ENDPOINT_URL_SNS points it at another endpoint (local mode).

Exit status: 0 all confirmed with authentication (or confirmed now), 3 some approver
needs attention, 2 usage error, 1 AWS refused or the config is not valid.
`,
  run,
};

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseOptions({
    args,
    allowPositionals: true,
    strict: true,
    options: { topic: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } },
  });
  const { values, positionals } = parsed;
  if (positionals[0] === 'confirm') {
    if (positionals.length !== 2)
      throw new UsageError(
        positionals.length < 2
          ? 'confirm needs the confirmation link from the email (or its token)'
          : `one link at a time (got ${positionals.length - 1})`,
      );
    const { topicArn, token } = parseConfirmation(positionals[1]!, values.topic ?? io.env.APPROVER_TOPIC_ARN);
    const out = await snsClient(topicArn, io)
      .send(new ConfirmSubscriptionCommand({ TopicArn: topicArn, Token: token, AuthenticateOnUnsubscribe: 'true' }))
      .catch((err: Error) => {
        if (err.name === 'InvalidParameterException' || err.name === 'NotFoundException') {
          throw new Error(
            `AWS refused the confirmation (${err.message}): the link was used already, has expired (48 hours), ` +
              `or is for another topic; \`jitgate subscriptions\` shows who is still pending`,
          );
        }
        throw err;
      });
    io.stdout.write(`${out.SubscriptionArn ?? ''}\n`);
    io.stderr.write('confirmed; unsubscribing now needs AWS credentials\n');
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unknown argument "${positionals[0]}" (did you mean "confirm"?)`);

  const topicArn = checkTopic(values.topic ?? io.env.APPROVER_TOPIC_ARN);
  const expected = configuredApprovers(io, values.config);
  const rows = await approverSubscriptions(snsClient(topicArn, io), topicArn, expected);
  if (values.json) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else io.stdout.write(renderTable(rows));
  return rows.every((r) => r.status === 'confirmed') ? EXIT.ok : EXIT_ATTENTION;
}

function checkTopic(topic: string | undefined): string {
  if (!topic) throw new UsageError('name the approver topic: --topic <arn> or $APPROVER_TOPIC_ARN (the stack output ApproverTopicArn)');
  if (!TOPIC_ARN.test(topic))
    throw new UsageError(`--topic: not an SNS topic ARN (got "${topic}"); it looks like arn:aws:sns:<region>:<account>:<name>`);
  return topic;
}

/** The topic and token of a confirmation link (`...?TopicArn=...&Token=...`), or a bare token with the topic given. */
export function parseConfirmation(text: string, topic: string | undefined): { topicArn: string; token: string } {
  const value = text.trim();
  if (/^https?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new UsageError('the confirmation link is not a valid URL; copy the whole link from the email');
    }
    const token = url.searchParams.get('Token');
    const linkTopic = url.searchParams.get('TopicArn');
    if (!token) throw new UsageError('the link has no Token parameter; copy the whole "Confirm subscription" link from the email');
    if (topic && linkTopic && topic !== linkTopic) throw new UsageError(`the link is for topic ${linkTopic}, not ${topic}`);
    return { topicArn: checkTopic(linkTopic ?? topic), token: checkToken(token) };
  }
  return { topicArn: checkTopic(topic), token: checkToken(value) };
}

function checkToken(token: string): string {
  // AWS's tokens are long hex strings; anything else is a copy-paste accident.
  if (!/^[0-9a-f]{16,2048}$/i.test(token))
    throw new UsageError('the token is not one from an SNS confirmation email (a long hexadecimal string); paste the whole link instead');
  return token;
}

function snsClient(topicArn: string, io: CliIo): SNSClient {
  const region = io.env.AWS_REGION || TOPIC_ARN.exec(topicArn)![1]!;
  const endpoint = io.env.AWS_ENDPOINT_URL_SNS;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = io.env;
  return new SNSClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    // The default chain (profiles, SSO, instance roles) unless the environment given names keys.
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } } : {}),
  });
}

function configuredApprovers(io: CliIo, configPath: string | undefined): { principalId: string; email: string }[] {
  // The config the stack was deployed with: never the demo, which deploys no approver.
  const config = readConfigFile(locateConfig({ cwd: io.cwd, env: io.env, flag: configPath, demo: false }), 'local');
  // As deployed: development issuers and their members are not subscribed on AWS.
  return approvers(deployedConfig(config).config);
}

/** Each configured approver with their subscription's state, then subscriptions no approver matches. */
export async function approverSubscriptions(
  client: SNSClient,
  topicArn: string,
  expected: { principalId: string; email: string }[],
): Promise<ApproverSubscription[]> {
  const subs: Subscription[] = [];
  let next: string | undefined;
  do {
    const page = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, ...(next ? { NextToken: next } : {}) }));
    subs.push(...(page.Subscriptions ?? []));
    next = page.NextToken;
  } while (next);

  // A confirmed subscription names its approver in its filter policy; a pending one only by address.
  const found: { sub: Subscription; principals: string[]; authenticated: boolean }[] = [];
  for (const sub of subs) {
    if (!sub.SubscriptionArn || sub.SubscriptionArn === PENDING) {
      found.push({ sub, principals: [], authenticated: false });
      continue;
    }
    const { Attributes: a = {} } = await client.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }));
    found.push({ sub, principals: approverPrincipals(a.FilterPolicy), authenticated: a.ConfirmationWasAuthenticated === 'true' });
  }

  const used = new Set<(typeof found)[number]>();
  const rows: ApproverSubscription[] = expected.map((approver) => {
    const sameEmail = found.filter((f) => !used.has(f) && f.sub.Endpoint?.toLowerCase() === approver.email.toLowerCase());
    const match = sameEmail.find((f) => f.principals.includes(approver.principalId)) ?? sameEmail.find((f) => f.principals.length === 0);
    if (!match) return { ...approver, status: 'missing' };
    used.add(match);
    const pending = match.sub.SubscriptionArn === PENDING;
    return {
      ...approver,
      status: pending ? 'pending' : match.authenticated ? 'confirmed' : 'unauthenticated',
      ...(pending ? {} : { subscriptionArn: match.sub.SubscriptionArn }),
    };
  });
  for (const f of found) {
    if (!used.has(f))
      rows.push({
        email: f.sub.Endpoint ?? '',
        status: 'unknown',
        ...(f.sub.SubscriptionArn && f.sub.SubscriptionArn !== PENDING ? { subscriptionArn: f.sub.SubscriptionArn } : {}),
      });
  }
  return rows;
}

/** The principals an approver subscription's filter policy admits (`{"approver": ["<principal>"]}`). */
function approverPrincipals(policy: string | undefined): string[] {
  if (!policy) return [];
  try {
    const approver = (JSON.parse(policy) as { approver?: unknown }).approver;
    return Array.isArray(approver) ? approver.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

function renderTable(rows: ApproverSubscription[]): string {
  if (rows.length === 0) return 'no approver in the config and no subscription on the topic\n';
  const width = Math.max(...rows.map((r) => r.email.length), 5);
  const lines = rows.map((r) => `${r.email.padEnd(width)}  ${r.principalId ?? '-'}  ${STATUS_TEXT[r.status]}`);
  const waiting = rows.filter((r) => r.status !== 'confirmed').length;
  const summary = waiting === 0 ? 'every approver is confirmed' : `${waiting} of ${rows.length} need attention`;
  return `${'email'.padEnd(width)}  principal  status\n${lines.join('\n')}\n\n${summary}\n`;
}
