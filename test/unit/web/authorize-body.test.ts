/**
 * POST /v1/authorize reads its body without zod when the body is plainly valid
 * (shared/web/authorize-body.ts); the schema decides everything else. The shortcut must
 * accept nothing the schema refuses, and give what the schema would give.
 */
import { authorizeBody } from '../../../shared/web/api-schemas';
import { plainAuthorizeBody } from '../../../shared/web/authorize-body';

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
  JSON.parse('{"action": "prod:debug", "__proto__": {"consume": true}}'),
  [{ action: 'prod:debug' }],
  null,
  'prod:debug',
];

test.each(bodies.map((b) => [JSON.stringify(b), b]))('%s: the shortcut agrees with the schema', (_text, body) => {
  const plain = plainAuthorizeBody(body);
  const parsed = authorizeBody.safeParse(body);
  if (plain !== undefined) expect(parsed).toEqual({ success: true, data: plain });
  // Refused by the shortcut: the schema decides (and here, for every body but the valid ones above, refuses).
  else expect(parsed.success).toBe(false);
});
