/**
 * GET /openapi.json, in process: a real OpenAPI 3.1 validator accepts it, every body is a
 * named component, and each example in it is valid against the schema it illustrates.
 * test/e2e/client.test.ts checks local mode's actual responses against the same document.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020';
import { openApiDocument } from '../../../shared/web/openapi';

const doc = openApiDocument('https://jit.example.com/prod') as any;

test('a real OpenAPI 3.1 validator accepts the document', async () => {
  await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
  expect(doc.openapi).toBe('3.1.0');
  expect(doc.servers).toEqual([{ url: 'https://jit.example.com/prod', description: 'this deployment' }]);
  expect(openApiDocument().servers).toEqual([{ url: '/', description: 'the host serving this document' }]);
});

test('every request and response body is a named component; every /v1 route declares its Problem errors', () => {
  const named = Object.keys(doc.components.schemas);
  expect(named).toEqual(
    expect.arrayContaining([
      'Request',
      'RequestPage',
      'AuthorizeResult',
      'Policy',
      'PolicyList',
      'AuditEvent',
      'AuditPage',
      'VerifyReport',
      'Problem',
      'AuthorizeRequest',
      'CreateRequest',
      'MfaAnswer',
      'Decision',
      'Revoke',
      'Cancel',
    ]),
  );
  for (const [route, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const where = `${method.toUpperCase()} ${route}`;
      for (const media of Object.values<any>(op.requestBody?.content ?? {})) {
        expect([where, media.schema.$ref]).toEqual([where, expect.stringMatching(/^#\/components\/schemas\//)]);
      }
      if (!route.startsWith('/v1/')) continue;
      const success = Object.keys(op.responses).filter((s) => /^2/.test(s));
      for (const s of success) {
        const json = op.responses[s].content['application/json'];
        if (json) expect([where, s, json.schema.$ref]).toEqual([where, s, expect.stringMatching(/^#\/components\/schemas\//)]);
      }
      for (const s of ['401', '503', 'default']) {
        const problem = op.responses[s]?.content['application/problem+json'].schema.$ref;
        expect([where, s, problem]).toEqual([where, s, '#/components/schemas/Problem']);
      }
      expect(op.operationId).toEqual(expect.any(String));
    }
  }
  expect(doc.paths['/v1/requests'].post.responses['429'].headers['Retry-After']).toBeDefined();
  expect(doc.paths['/v1/authorize'].post.responses['401'].headers['WWW-Authenticate']).toBeDefined();
});

test('each example is valid against the schema it illustrates', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'https://jitgate.test/doc', components: doc.components });
  let checked = 0;
  for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
    for (const example of schema.examples ?? []) {
      const validate = ajv.getSchema(`https://jitgate.test/doc#/components/schemas/${name}`)!;
      expect([name, validate(example), validate.errors]).toEqual([name, true, null]);
      checked++;
    }
  }
  expect(checked).toBeGreaterThanOrEqual(5);
});
