/** `npx jitgate audit` talks to the API through the typed client and the request verbs' connection options. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { main } from '../../../cli/cli';

let server: Server;
let url: string;
const seen: { path?: string; authorization?: string; accept?: string }[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    seen.push({ path: req.url, authorization: req.headers.authorization, accept: req.headers.accept });
    if (req.url?.startsWith('/v1/audit/export')) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end('{"kind":"head"}\n{"kind":"event"}\n');
      return;
    }
    const problem = { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'only auditors read the audit trail' };
    res.writeHead(403, { 'content-type': 'application/problem+json' }).end(JSON.stringify(problem));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function audit(args: string[], env: Record<string, string>) {
  let stdout = '';
  let stderr = '';
  const code = await main(['audit', ...args], {
    cwd: __dirname,
    env,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

test('export: the JSON lines as the API sent them, from $JITGATE_URL with $JITGATE_TOKEN', async () => {
  const r = await audit(['export', '--since', '2026-01-01T00:00:00Z'], { JITGATE_URL: url, JITGATE_TOKEN: 'tok' });
  expect(r).toMatchObject({ code: 0, stdout: '{"kind":"head"}\n{"kind":"event"}\n' });
  expect(seen.at(-1)).toEqual({
    path: '/v1/audit/export?since=2026-01-01T00%3A00%3A00.000Z',
    authorization: 'Bearer tok',
    accept: 'application/x-ndjson',
  });
});

test("a refusal: exit 1, the route, the problem document and that an auditor's token is needed", async () => {
  const r = await audit(['verify', '--url', url, '--token', 'tok'], {});
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('jitgate audit: /v1/audit/verify answered 403: Forbidden: only auditors read the audit trail');
  expect(r.stderr).toContain("an auditor's token is needed");
});

test('nothing listening: exit 1 saying how to start local mode; no token: a usage error', async () => {
  const closed = await audit(['verify', '--url', 'http://127.0.0.1:9', '--token', 'tok'], {});
  expect(closed.code).toBe(1);
  expect(closed.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9 .*npm start/);
  const anonymous = await audit(['verify', '--url', url], {});
  expect(anonymous.code).toBe(2);
  expect(anonymous.stderr).toContain('no token');
});
