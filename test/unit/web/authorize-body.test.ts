/**
 * POST /v1/authorize reads its body without zod (shared/web/authorize-body.ts); the schema
 * `authorizeBody` is the contract. The reader must accept exactly what the schema accepts,
 * with the same output, and refuse the rest with the same errors the API's `validate` gives.
 */
import fc from 'fast-check';
import { ValidationFailed, type FieldError } from '../../../shared/domain/errors';
import { authorizeBody } from '../../../shared/web/api-schemas';
import { authorizeBodyVerdict } from '../../../shared/web/authorize-body';
import { validate } from '../../../shared/web/http';

/** The schema's verdict as the API reports it: the output, or the errors. */
type Verdict = { data: unknown } | { errors: FieldError[] };

function bySchema(body: unknown): Verdict {
  try {
    return { data: validate(authorizeBody, body, 'body') };
  } catch (err) {
    // Under jest, zod sees plain objects as of another realm and names them by constructor ("received Object");
    // in a function, as under node or tsx, it says "received object", as the reader does.
    if (err instanceof ValidationFailed)
      return { errors: err.errors.map((e) => ({ ...e, message: e.message.replace(/ Object$/, ' object') })) };
    throw err;
  }
}

const byReader = (body: unknown): Verdict => authorizeBodyVerdict(body);

const bodies: unknown[] = [
  { action: 'prod:debug' },
  { action: 'projects:delete', resource: 'projects/42', consume: true },
  { action: 'projects:delete', resource: 'projects/42', consume: false },
  { action: 'a'.repeat(200) },
  { action: 'a'.repeat(201) },
  { action: '' },
  { action: 'prod debug' },
  { action: 'prod:débug' },
  { action: 42 },
  {},
  { resource: 'x' },
  { action: 'prod:debug', resource: '' },
  { action: 'prod:debug', resource: 'a/../b' },
  { action: 'prod:debug', resource: 'a%2Fb' },
  { action: 'prod:debug', resource: 'r'.repeat(1024) },
  { action: 'prod:debug', resource: 'r'.repeat(1025) },
  { action: 'prod:debug', resource: 'a\u202eb' },
  { action: 'prod:debug', resource: null },
  { action: 'prod:debug', consume: 'yes' },
  { action: 'prod:debug', consume: null },
  { action: 'prod:debug', extra: 1 },
  { action: 'prod:debug', extra: 1, acton: 2 },
  { action: { name: 'prod:debug' }, resource: ['a'], consume: 1 },
  JSON.parse('{"action": "prod:debug", "__proto__": {"consume": true}}'),
  [{ action: 'prod:debug' }],
  null,
  'prod:debug',
];

test.each(bodies.map((b) => [JSON.stringify(b), b]))('%s: the reader agrees with the schema', (_text, body) => {
  expect(byReader(body)).toEqual(bySchema(body));
});

test('on generated bodies, near every limit: the same verdict, output and fields, and no error the schema would not give', () => {
  const text = fc.oneof(
    fc.constantFrom('prod:debug', 'projects/42', '', ' ', 'a/../b', 'a%2Fb', 'a\u202eb', 'x'.repeat(200), 'x'.repeat(201)),
    fc.constantFrom('r'.repeat(1024), 'r'.repeat(1025), 'prod débug', 'a//b', '/a', 'a/'),
    fc.string({ maxLength: 12 }),
  );
  const value = fc.oneof(text, fc.boolean(), fc.integer(), fc.constant(null), fc.jsonValue({ maxDepth: 2 }));
  const key = fc.constantFrom('action', 'resource', 'consume', 'acton', 'consum', 'extra', '__proto__');
  const body = fc.oneof(fc.dictionary(key, value, { maxKeys: 5 }), value);
  fc.assert(
    fc.property(body, (generated) => {
      // As the function gets it: parsed from JSON text.
      const b = JSON.parse(JSON.stringify(generated) ?? 'null');
      const [reader, schema] = [byReader(b), bySchema(b)];
      if ('data' in schema || 'data' in reader) return expect(reader).toEqual(schema);
      // Refused by both, on the same fields; what the reader says, the schema says too (zod adds a few
      // oddities of its own, such as a length check on an array given for a string).
      expect(new Set(reader.errors.map((e) => e.path))).toEqual(new Set(schema.errors.map((e) => e.path)));
      expect(schema.errors).toEqual(expect.arrayContaining(reader.errors));
    }),
    { numRuns: 3000 },
  );
});
