/**
 * `npx jitgate request|status|list|approve|deny|cancel|revoke|extend|mfa|watch` against local mode
 * started as `npm start` does: each verb's --json and exit code, the API's refusals in a line
 * or two (exit 1), usage errors with the nearest command or option (exit 2), colour only on a
 * terminal, and `watch` following alice's request as bob approves it.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../cli/cli';
import { DEMO_CONFIG_FILE } from '../support/demo-config';
import { Client, freePort, startLocalMode, tempDir, type Running } from '../support/local-mode';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '../..');
const ANSI = /\u001b\[/;

let local: Running;
let port: number;

beforeAll(async () => {
  port = await freePort();
  // A generous start: on a busy shared machine local mode has taken over 90 s to come up.
  local = await startLocalMode({ port, dataDir: tempDir('jitgate-cli-verbs-'), timeoutMs: 240_000 });
}, 300_000);

afterAll(async () => {
  await local?.stop();
  if (local) rmSync(local.dataDir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as `npx jitgate ...` runs it, against this local mode (PORT), piped unless `tty`. */
function jitgate(args: string[], opts: { env?: Record<string, string>; tty?: boolean; live?: Run } = {}): Promise<Run> & { live: Run } {
  const live: Run = opts.live ?? { code: -1, stdout: '', stderr: '' };
  const stdout = { write: (t: string) => (live.stdout += t), ...(opts.tty ? { isTTY: true } : {}) };
  const env = { PORT: String(port), JITGATE_DATA_DIR: local.dataDir, JITGATE_CONFIG: DEMO_CONFIG_FILE, ...opts.env };
  const done = main(args, { cwd: ROOT, env, stdout, stderr: { write: (t: string) => (live.stderr += t) } }).then((code) => {
    live.code = code;
    return live;
  });
  return Object.assign(done, { live });
}

async function json(args: string[]): Promise<any> {
  const run = await jitgate([...args, '--json']);
  if (run.code !== 0) throw new Error(`jitgate ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('usage errors: one line, the nearest command or option, the pointer to --help, exit 2', () => {
  it.each([
    [['reqeust', 'prod:debug'], 'jitgate: unknown command "reqeust"; did you mean "request"?\nRun "jitgate --help" for the commands.\n'],
    [['request', 'prod:debug', '--resorce', 'x', '--as', 'alice'], 'jitgate request: unknown option --resorce; did you mean --resource?'],
    [['status', '--as', 'alice'], 'jitgate status: name the id: jitgate status <id>\n'],
    [['approve', 'a', 'b', '--as', 'bob'], 'jitgate approve: unexpected "b"; one <id> at a time\n'],
    [['deny', 'r-1', '--as', 'bob'], 'jitgate deny: --reason is required: tell the requester why\n'],
    [['list', '--inbox', '--pending', '--as', 'bob'], 'jitgate list: --pending and --inbox: choose one\n'],
    [['status', 'r-1', '--as', 'alise'], 'jitgate status: --as: no demo user "alise"; did you mean "alice"?; the demo users are alice'],
    [['status', 'r-1'], 'jitgate status: no token: pass --token, set JITGATE_TOKEN, or --as <demo user> in local mode'],
    [['request', 'prod:debug', '--duration', 'soon', '--as', 'alice'], 'jitgate request: --duration takes a number of seconds'],
  ])('jitgate %j', async (args, message) => {
    const run = await jitgate(args);
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith(message)).toBe(true);
    if (args[0] !== 'reqeust') expect(run.stderr).toMatch(new RegExp(`\nRun "jitgate ${args[0]} --help" for usage.\n$`));
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(2);
    expect(run.stdout).toBe('');
  });
});

test("alice asks for prod:debug; status, list (--mine, --pending, bob's --inbox), then cancel, each with --json", async () => {
  const ask = ['request', 'prod:debug', '--resource', 'cluster/eu-1', '--duration', '10m', '--justification', 'incident 7 debug'];
  const created = await json([...ask, '--as', 'alice']);
  expect(created).toMatchObject({ action: 'prod:debug', resource: 'cluster/eu-1', durationSeconds: 600, status: 'pending_approval' });
  const id: string = created.id;

  expect(await json(['status', id, '--as', 'alice'])).toMatchObject({ id, status: 'pending_approval', justification: 'incident 7 debug' });
  const ids = (page: any) => page.requests.map((r: { id: string }) => r.id);
  expect(ids(await json(['list', '--as', 'alice']))).toContain(id);
  expect(ids(await json(['list', '--mine', '--as', 'alice']))).toContain(id);
  expect(ids(await json(['list', '--pending', '--as', 'alice']))).toContain(id);
  expect(ids(await json(['list', '--inbox', '--as', 'bob']))).toContain(id);
  expect(ids(await json(['list', '--inbox', '--as', 'alice']))).not.toContain(id);

  // Human text: the id, where it stands, who may approve; the next step on stderr.
  // Who may approve is named once AwaitApproval has notified them, a step after the request's creation.
  const text = await waitFor(
    () => jitgate(['status', id, '--as', 'alice']),
    (run) => run.code !== 0 || run.stdout.includes('(Bob, Carol)'),
    { what: `the approvers of ${id} named` },
  );
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/status\s+pending approval, waiting for approval: 1 from security-admins \(Bob, Carol\)/);

  expect(await json(['cancel', id, '--as', 'alice'])).toMatchObject({ id, status: 'cancelled' });
  expect(ids(await json(['list', '--pending', '--as', 'alice']))).not.toContain(id);
  // watch --json: a JSON line per change; an ended request is one line, and watch exits at once.
  const watched = await jitgate(['watch', id, '--as', 'alice', '--json']);
  expect(watched.code).toBe(0);
  expect(
    watched.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l)),
  ).toEqual([expect.objectContaining({ id, status: 'cancelled' })]);
}, 120_000);

test("carol denies alice's request while she waits (--wait exits 1); approving it afterwards is refused in a line, exit 1", async () => {
  const waiting = jitgate(['request', 'prod:debug', '--resource', 'cluster/eu-2', '--wait', '--as', 'alice']);
  await until('created', () => waiting.live.stderr.includes('notified Carol'));
  const id = /created (\S+):/.exec(waiting.live.stderr)![1]!;
  const denied = await json(['deny', id, '--reason', 'not during the freeze', '--as', 'carol']);
  expect(denied).toMatchObject({ id, status: 'denied', reason: 'not during the freeze' });
  const waited = await waiting;
  expect(waited.code).toBe(1);
  expect(waited.stderr).toContain('denied by Carol <carol@example.com> (security-admins) via api: not during the freeze\n');
  expect(waited.stdout).toMatch(new RegExp(`^${id}: denied by Carol <carol@example.com> at \\S+: not during the freeze\n$`));
  const late = await jitgate(['approve', id, '--as', 'bob']);
  expect(late.code).toBe(1);
  expect(late.stderr).toMatch(/^jitgate approve: .+\n(.+\n)?$/);
  expect(late.stderr).toContain('denied');
}, 120_000);

test("watch prints each step of alice's request as bob approves it, and exits when alice revokes it", async () => {
  const { id } = await json(['request', 'prod:debug', '--resource', 'cluster/eu-3', '--duration', '5m', '--as', 'alice']);
  const watching = jitgate(['watch', id, '--as', 'alice']);
  await until('notified', () => watching.live.stdout.includes('notified'));

  const approved = await json(['approve', id, '--reason', 'checked the incident', '--as', 'bob']);
  expect(approved.approvals).toEqual([expect.objectContaining({ decision: 'approve', reason: 'checked the incident' })]);
  await until('active', () => watching.live.stdout.includes('active until'));
  expect(await json(['revoke', id, '--reason', 'done', '--as', 'alice'])).toMatchObject({ id, status: 'revoked' });

  const run = await watching;
  expect(run.code).toBe(0);
  const steps = run.stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.replace(/^\S+\s+/, ''));
  expect(steps).toEqual([
    `created ${id}: Alice <alice@example.com> asks for prod:debug on cluster/eu-3`,
    'notified Bob <bob@example.com> (security-admins)',
    'notified Carol <carol@example.com> (security-admins)',
    'approved by Bob <bob@example.com> (security-admins) via api: checked the incident',
    expect.stringMatching(/^active until \d{4}-/),
    expect.stringMatching(/^revoked by Alice <alice@example.com> at \S+: done$/),
  ]);
  expect(run.stdout).not.toMatch(ANSI);
}, 180_000);

test("mfa answers alice's TOTP challenge (a wrong code says how many attempts are left); watch shows each step", async () => {
  const api = new Client(local.url, local.dataDir);
  const code = await api.enrolTotp(await api.token('alice'));
  const ask = ['request', 'projects:delete', '--resource', 'projects/42', '--justification', 'customer asked, ticket 881'];
  const { id, status } = await json([...ask, '--as', 'alice']);
  expect(status).toBe('pending_mfa');
  const watching = jitgate(['watch', id, '--as', 'alice']);
  await until('waiting for MFA', () => watching.live.stdout.includes('waiting for MFA'));

  const wrong = await jitgate(['mfa', id, code.wrong(), '--as', 'alice']);
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toMatch(/^jitgate mfa: .+\n(.+\n)?$/);
  expect(wrong.stderr).toMatch(/4 attempt/);
  await until('4 attempts left', () => watching.live.stdout.includes('4 attempt(s) left'));
  expect(await json(['mfa', id, code(), '--as', 'alice'])).toMatchObject({ id });
  await until('notified', () => watching.live.stdout.includes('notified Carol'));
  expect(await json(['cancel', id, '--as', 'alice'])).toMatchObject({ id, status: 'cancelled' });

  const run = await watching;
  expect(run.code).toBe(0);
  const steps = run.stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.replace(/^\S+\s+/, ''));
  expect(steps[0]).toBe(`created ${id}: Alice <alice@example.com> asks for projects:delete on projects/42 ("customer asked, ticket 881")`);
  expect(steps[1]).toMatch(new RegExp(`^waiting for MFA \\(totp, 5 attempt\\(s\\) left, until \\S+\\): jitgate mfa ${id} <code>$`));
  expect(steps[2]).toMatch(/^waiting for MFA \(totp, 4 attempt\(s\) left/);
  expect(steps).toEqual(expect.arrayContaining(['MFA passed', 'notified Carol <carol@example.com> (security-admins)']));
  expect(steps.at(-1)).toMatch(/^cancelled at /);
}, 180_000);

test('request --wait follows an auto-approved request to active, exit 0', async () => {
  const waited = await jitgate(['request', 'reports:read', '--resource', 'reports/q3', '--wait', '--as', 'alice']);
  expect(waited.code).toBe(0);
  expect(waited.stdout).toMatch(/: active until /);
  expect(waited.stderr).toContain('auto-approved');
  const last = await json(['request', 'reports:read', '--resource', 'reports/q4', '--wait', '--as', 'alice']);
  expect(last.status).toBe('active');
  expect(await json(['revoke', last.id, '--as', 'alice'])).toMatchObject({ status: 'revoked' });
}, 120_000);

test('extend: more time on an active window grant, approved as the grant was (here: auto); past the maximum, what is left', async () => {
  const grant = await json(['request', 'reports:read', '--resource', 'reports/extend', '--duration', '10m', '--wait', '--as', 'alice']);
  expect(grant.status).toBe('active');
  const missing = await jitgate(['extend', grant.id, '--as', 'alice']);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain('--duration 15m');

  const asked = await jitgate(['extend', grant.id, '--duration', '15m', '--justification', 'the quarter close runs late', '--as', 'alice']);
  expect(asked.code).toBe(0);
  expect(asked.stdout).toMatch(/^asked \S+: reports:read on reports\/extend, /);
  const later = new Date(Date.parse(grant.expiresAt) + 900_000).toISOString();
  const deadline = Date.now() + 30_000;
  let now = await json(['status', grant.id, '--as', 'alice']);
  while (now.expiresAt !== later && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    now = await json(['status', grant.id, '--as', 'alice']);
  }
  expect(now).toMatchObject({ status: 'active', expiresAt: later });

  const tooLong = await jitgate(['extend', grant.id, '--duration', '8h', '--as', 'alice']);
  expect(tooLong.code).toBe(1);
  expect(tooLong.stderr).toMatch(/at most 28800 s from activation .*27300 s left/);
  expect(await json(['revoke', grant.id, '--as', 'alice'])).toMatchObject({ status: 'revoked' });
}, 120_000);

describe("the API's refusals: title and detail in one or two lines, exit 1; --json prints the problem document", () => {
  it('a policy denies dave', async () => {
    const ask = ['request', 'projects:delete', '--resource', 'projects/42', '--justification', 'tidy up now'];
    const run = await jitgate([...ask, '--as', 'dave']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('contractors may not delete projects');
    expect(run.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(2);
    const asJson = await jitgate(['request', 'projects:delete', '--resource', 'projects/42', '--as', 'dave', '--json']);
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ type: 'https://jitgate.dev/problems/policy-denied', status: 403 });
  });

  it('a step-up policy says how to sign in again with MFA', async () => {
    const run = await jitgate(['request', 'prod:deploy', '--as', 'alice']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^jitgate request: .+\n.*max_age=900.*npx jitgate token alice --amr mfa/);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(2);
  });

  it('no such request; a wrong MFA code; an approver deciding their own request', async () => {
    const missing = await jitgate(['status', 'no-such-request', '--as', 'alice', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ status: 404 });
    const badCode = await jitgate(['mfa', 'no-such-request', '12', '--as', 'alice']);
    expect(badCode.code).toBe(1);
    expect(badCode.stderr).toContain('six digits');
    const { id } = await json(['request', 'prod:debug', '--resource', 'cluster/self', '--as', 'carol']);
    const self = await jitgate(['approve', id, '--as', 'carol']);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/^jitgate approve: .+/);
    expect(await json(['cancel', id, '--as', 'carol'])).toMatchObject({ status: 'cancelled' });
  });

  it('nothing listening: says how to start local mode or point elsewhere', async () => {
    const run = await jitgate(['status', 'r-1', '--as', 'alice', '--url', `http://127.0.0.1:${await freePort()}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^jitgate status: cannot reach http:\/\/127\.0\.0\.1:\d+ .*npm start.*--url/);
  });
});

test('colour on a terminal only: none with NO_COLOR or when piped; --url reaches local mode on its port', async () => {
  const { id } = await json(['request', 'prod:debug', '--resource', 'cluster/colour', '--as', 'alice']);
  const args = ['status', id, '--as', 'alice'];
  expect((await jitgate(args, { tty: true })).stdout).toMatch(ANSI);
  expect((await jitgate(args, { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(ANSI);
  const piped = await jitgate(args);
  expect(piped.code).toBe(0);
  expect(piped.stdout).not.toMatch(ANSI);
  expect((await jitgate(['list', '--as', 'alice'], { env: { NO_COLOR: '1' }, tty: true })).stdout).not.toMatch(ANSI);
  // Without PORT: --url names the port, and --as signs for the issuer on that port.
  const viaUrl = await jitgate(['cancel', id, '--as', 'alice', '--url', local.url, '--json'], { env: { PORT: '' } });
  expect(viaUrl.code).toBe(0);
  expect(JSON.parse(viaUrl.stdout)).toMatchObject({ id, status: 'cancelled' });
}, 120_000);
