/** Small helpers for local mode's HTTP server (node:http, no framework). */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLargeError extends Error {
  readonly statusCode = 413;
  constructor(readonly limit: number) {
    super(`request body over ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads the whole request body; rejects with BodyTooLargeError past `limit` bytes (default 1 MiB). */
export function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
  });
}

/** Writes a complete response with Content-Length. */
export function send(
  res: ServerResponse,
  statusCode: number,
  body: string | Buffer,
  headers: Record<string, string | string[]> = {},
): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = statusCode;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Length', buf.length);
  res.end(res.req?.method === 'HEAD' ? undefined : buf);
}

export function sendJson(res: ServerResponse, statusCode: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, statusCode, JSON.stringify(value), { 'Content-Type': 'application/json; charset=utf-8', ...headers });
}

/** An RFC 9457 problem document. */
export function sendProblem(
  res: ServerResponse,
  status: number,
  title: string,
  detail?: string,
  headers: Record<string, string> = {},
): void {
  send(res, status, JSON.stringify({ type: 'about:blank', title, status, ...(detail ? { detail } : {}) }), {
    'Content-Type': 'application/problem+json',
    ...headers,
  });
}

/** Escapes text for XML element content. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The pathname and query of a request URL (never throws). */
export function parseRequestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://local');
  } catch {
    return new URL('http://local/');
  }
}
