/**
 * The cold-start baseline of `npm run bench` (bench/coldstart.ts): the least a function
 * that reads DynamoDB can be, one GetItem with a client made at module scope, as a
 * Lambda function would. Bundled with exactly the deployed functions' options.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});

export async function handler(event: { pk: string; sk: string }): Promise<{ statusCode: number }> {
  const out = await client.send(
    new GetItemCommand({ TableName: process.env.TABLE_NAME, Key: { pk: { S: event.pk }, sk: { S: event.sk } }, ConsistentRead: true }),
  );
  return { statusCode: out.Item ? 200 : 404 };
}
