/**
 * Table access for the functions: exactly the item operations the store (shared/adapters/store.ts
 * and the modules it composes) uses (Get, Query on the table and its two indexes, Put / Update / Delete /
 * ConditionCheck, alone or inside TransactWriteItems, which is authorized as the
 * operations it contains), on the table and its named indexes: no Scan (the api and console functions add one,
 * on the table only, for audit verification: infra/api.ts), no batch
 * operations, no `index/*` wildcard. Plus the table key, for the encrypted items.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';

export const TABLE_INDEXES = ['gsi1', 'gsi2'] as const;

const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

export function grantTableAccess(table: dynamodb.ITable, key: kms.IKey, grantee: iam.IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: READ_ACTIONS,
      resources: [table.tableArn, ...TABLE_INDEXES.map((index) => `${table.tableArn}/index/${index}`)],
    }),
  );
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: WRITE_ACTIONS, resources: [table.tableArn] }));
  key.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
}

/** sns:Publish on one topic, and the topic key (SNS encrypts the message under it on the publisher's behalf). */
export function grantPublish(topic: sns.ITopic, key: kms.IKey, grantee: iam.IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
  key.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
}

/** What a function uses. Each resource comes with its environment variable (the name shared/runtime.ts reads) and its grant. */
export interface Access {
  table: dynamodb.ITable;
  key: kms.IKey;
  approverTopic?: sns.ITopic;
  eventsTopic?: sns.ITopic;
  linkKey?: secretsmanager.ISecret;
}

/** Hands a function what it uses, and nothing else: the variable that names each resource and the right to use it, together. */
export function connect(fn: lambda.Function, access: Access): void {
  fn.addEnvironment('TABLE_NAME', access.table.tableName);
  grantTableAccess(access.table, access.key, fn);
  if (access.approverTopic) {
    fn.addEnvironment('APPROVER_TOPIC_ARN', access.approverTopic.topicArn);
    grantPublish(access.approverTopic, access.key, fn);
  }
  if (access.eventsTopic) {
    fn.addEnvironment('EVENTS_TOPIC_ARN', access.eventsTopic.topicArn);
    grantPublish(access.eventsTopic, access.key, fn);
  }
  if (access.linkKey) {
    fn.addEnvironment('LINK_KEY_SECRET_ARN', access.linkKey.secretArn);
    access.linkKey.grantRead(fn);
  }
}
