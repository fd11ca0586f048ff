import { attachedDynamoDb, dynamoDbSource } from '../../../local/dynamodb-local';

test('a running DynamoDB Local on this machine, with a table of this local mode', async () => {
  expect(attachedDynamoDb({ endpoint: 'http://127.0.0.1:8000', table: 'jitgate-7' })).toEqual({
    endpoint: 'http://127.0.0.1:8000',
    table: 'jitgate-7',
  });
  const source = dynamoDbSource({ attach: { endpoint: 'http://localhost:8000/', table: 'jitgate-7' } });
  expect(source.tableName).toBe('jitgate-7');
  const jvm = await source.start();
  expect(jvm).toMatchObject({ endpoint: 'http://localhost:8000', port: 8000 });
  await jvm.stop(); // not ours: nothing happens
  expect(dynamoDbSource({}).tableName).toBe('jitgate');
});

test.each([
  ['not a URL', 'jitgate-7', /must be a URL/],
  ['https://127.0.0.1:8000', 'jitgate-7', /must be http:\/\/127\.0\.0\.1:<port>/],
  ['http://dynamodb.example.com:8000', 'jitgate-7', /checks no signature/],
  ['http://127.0.0.1', 'jitgate-7', /<port>/],
  ['http://127.0.0.1:8000/some/path', 'jitgate-7', /no path/],
  ['http://127.0.0.1:8000', 'jt', /3 to 255/],
  ['http://127.0.0.1:8000', 'a table', /3 to 255/],
])('refused: endpoint %s, table %s', (endpoint, table, message) => {
  expect(() => attachedDynamoDb({ endpoint, table })).toThrow(message);
});
