/**
 * DNS rebinding: a page from evil.example re-resolves its own name to 127.0.0.1 and,
 * being same-origin with itself, reads whatever local mode answers. The browser still
 * sends `Host: evil.example:<port>`, so local mode's development endpoints answer only
 * requests addressed to the loopback address by name or number.
 * https://www.rfc-editor.org/rfc/rfc9110#section-7.2 (Host), RFC 9110 §15.5.20 (421).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendProblem } from './http-util';

/** `127.0.0.1:<port>`, `localhost:<port>` or `[::1]:<port>`, case-insensitively, nothing else. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
}

/** Answers 421 (and returns true) unless the request's Host is the loopback address on `port`. */
export function refuseForeignHost(req: IncomingMessage, res: ServerResponse, port: number): boolean {
  if (isLoopbackHost(req.headers.host, port)) return false;
  sendProblem(
    res,
    421,
    'Misdirected request',
    `local mode's development endpoints answer only Host 127.0.0.1:${port}, localhost:${port} or [::1]:${port}; ` +
      `got ${JSON.stringify(req.headers.host ?? '')}`,
  );
  return true;
}
