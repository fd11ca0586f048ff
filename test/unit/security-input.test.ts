/** Input that means one thing to a reader and another to a machine: made visible, counted as seen, or refused. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { renderOutboxPage, type OutboxMessage } from '../../local/outbox';
import { parseBody } from '../../shared/web/http';
import { clean } from '../../shared/domain/notification';
import { signedInWithin } from '../../shared/domain/sign-in';
import { showHidden, visibleLength } from '../../shared/domain/visible';

test('hidden characters are shown by code point', () => {
  expect(showHidden('a\u202eb\u200bc\u2066d\ufeff')).toBe('a[U+202E]b[U+200B]c[U+2066]d[U+FEFF]');
  expect(showHidden('plain text, été')).toBe('plain text, été');
});

test('visible length: graphemes, without hidden characters, controls or padding whitespace', () => {
  expect(visibleLength('customer asked')).toBe(14);
  expect(visibleLength('ab' + '\u200b'.repeat(20))).toBe(2);
  expect(visibleLength('a' + '\u0301'.repeat(20))).toBe(1);
  expect(visibleLength('a' + ' '.repeat(20) + 'b')).toBe(3);
  expect(visibleLength('\u{1F468}\u200d\u{1F469}\u200d\u{1F467} ok')).toBe(4);
});

test('bare domains are defanged in notification text, other dotted words are not', () => {
  expect(clean('reset at evil.example.com/login')).toBe('reset at evil.example[.]com/login');
  expect(clean('https://a.example/x')).toBe('https[:]//a[.]example/x');
  expect(clean('version 1.2.3, e.g. this')).toBe('version 1.2.3, e.g. this');
});

test('a sign-in time in the future is no sign-in time', () => {
  const now = new Date('2026-11-26T08:00:00Z');
  const t = now.getTime() / 1000;
  expect(signedInWithin({ authTime: t - 60 }, now, 600)).toBe(true);
  expect(signedInWithin({ authTime: t - 601 }, now, 600)).toBe(false);
  expect(signedInWithin({ authTime: t + 30 }, now, 600, 60)).toBe(true);
  expect(signedInWithin({ authTime: t + 3600 }, now, 600, 60)).toBe(false);
  expect(signedInWithin({}, now, 600)).toBe(false);
});

describe('JSON bodies', () => {
  const schema = z.object({ action: z.string() }).strict();
  const event = (body: string, isBase64Encoded = false) =>
    ({ body, isBase64Encoded, headers: { 'content-type': 'application/json' } }) as unknown as APIGatewayProxyEvent;

  test('duplicate keys are refused, however they are spelled', () => {
    expect(() => parseBody(event('{"action":"a","action":"b"}'), schema)).toThrow(/"action" twice/);
    expect(() => parseBody(event('{"action":"a","\\u0061ction":"b"}'), schema)).toThrow(/twice/);
    expect(parseBody(event('{"action":"a"}'), schema)).toEqual({ action: 'a' });
  });

  test('invalid UTF-8 is refused, valid UTF-8 passes', () => {
    const bad = Buffer.concat([Buffer.from('{"action":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]).toString('base64');
    expect(() => parseBody(event(bad, true), schema)).toThrow(/not valid UTF-8/);
    expect(parseBody(event(Buffer.from('{"action":"été"}').toString('base64'), true), schema)).toEqual({ action: 'été' });
  });
});

test('the outbox page links only its own origin', () => {
  const message: OutboxMessage = {
    id: '1',
    messageId: '1',
    at: '2026-11-26T08:00:00.000Z',
    topicArn: 'arn:aws:sns:local:000000000000:events',
    attributes: {},
    message: 'approve at http://127.0.0.1:4000/approve/abc or see https://evil.example/phish',
    links: ['http://127.0.0.1:4000/approve/abc', 'https://evil.example/phish'],
  };
  const html = renderOutboxPage([message], { origin: 'http://127.0.0.1:4000' });
  expect(html).toContain('href="http://127.0.0.1:4000/approve/abc"');
  expect(html).not.toContain('href="https://evil.example');
  expect(html).toContain('https://evil.example/phish');
});
