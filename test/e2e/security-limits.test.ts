/**
 * Issue 10 "Security", findings 4, 5, 6, 7 and 10: each attack replayed over HTTP
 * against local mode started as `npm start` does, with tokens signed by the
 * development IdP's keys (chosen claims such as `auth_time` included).
 */
import { Client } from '../support/local-mode';
import { SHARED_START_TIMEOUT_MS, sharedLocalMode, type SharedLocalMode } from '../support/shared-local-mode';

let local: SharedLocalMode;
let api: Client;

beforeAll(async () => {
  local = await sharedLocalMode('e2e');
  api = new Client(local.url, local.dataDir);
}, SHARED_START_TIMEOUT_MS);

test('finding 6: dave, denied data:export on datasets/q3-payroll, cannot reach it through dot segments or percent-encoding', async () => {
  const dave = await api.token('dave', { as: 'paths' });
  const direct = await api.call('POST', '/v1/requests', { token: dave, body: { action: 'data:export', resource: 'datasets/q3-payroll' } });
  expect(direct.status).toBe(403);

  const disguised: [string, RegExp][] = [
    ['datasets/public-x/../q3-payroll', /"\.\." segments/],
    ['datasets/public-%2F..%2Fq3-payroll', /percent-encoding/],
    ['datasets/public-x\\..\\q3-payroll', /backslashes/],
    ['datasets/public-\u202eq3-payroll', /bidirectional/],
    ['datasets/public-\u200bq3-payroll', /zero-width/],
    ['datasets/public-x/./q3-payroll', /segments/],
  ];
  for (const [resource, why] of disguised) {
    for (const path of ['/v1/requests', '/v1/authorize']) {
      const res = await api.call('POST', path, { token: dave, body: { action: 'data:export', resource } });
      expect({ path, resource, status: res.status }).toEqual({ path, resource, status: 400 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.json.errors[0]).toMatchObject({ path: 'resource', message: expect.stringMatching(why) });
    }
  }
  // A lone surrogate, as JSON can carry it.
  const lone = await api.call('POST', '/v1/requests', {
    token: dave,
    raw: '{"action":"data:export","resource":"datasets/public-\\ud800"}',
    headers: { 'content-type': 'application/json' },
  });
  expect(lone.status).toBe(400);
  expect(lone.json.errors[0].message).toMatch(/surrogate/);

  // Nothing was granted or even asked for.
  const mine = await api.call('GET', '/v1/requests', { token: dave });
  expect(mine.json.requests).toEqual([]);
  const still = await api.call('POST', '/v1/authorize', { token: dave, body: { action: 'data:export', resource: 'datasets/public-x' } });
  expect(still.json.allowed).toBe(false);
});

/** The audit event types an actor caused, read as the demo auditor audrey. */
async function auditOf(actor: string): Promise<{ type: string; details?: Record<string, unknown> }[]> {
  const res = await api.call('GET', `/v1/audit?actor=${encodeURIComponent(actor)}&limit=1000`, { token: await api.token('audrey') });
  expect(res.status).toBe(200);
  return res.json.events;
}

test(
  'finding 4: wrong TOTP codes count per user across requests; 10 lock MFA (429 + Retry-After) even for the right code; ' +
    'a replayed code is not a guess',
  async () => {
    const alice = await api.token('alice', { as: 'lockout' });
    const aliceId = `${local.url}/dev/idp#alice-lockout`;
    const code = await api.enrolTotp(alice);
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4]) {
      const created = await api.call('POST', '/v1/requests', {
        token: alice,
        body: { action: 'projects:delete', resource: `projects/lock-${n}`, justification: 'cleaning up the lockout test' },
      });
      expect(created.status).toBe(201);
      ids.push(created.json.id);
    }
    const right = code();
    expect((await api.call('POST', `/v1/requests/${ids[0]}/mfa`, { token: alice, body: { code: right } })).status).toBe(200);
    // The same code again: refused with its own message, and not counted.
    const replay = await api.call('POST', `/v1/requests/${ids[1]}/mfa`, { token: alice, body: { code: right } });
    expect(replay.status).toBe(400);
    expect(replay.json.type).toMatch(/mfa-code-reused$/);

    // The attack: wrong codes raced in parallel over three requests (4 each), more than the 10 allowed.
    const guesses = await Promise.all(
      ids
        .slice(1)
        .flatMap((id) =>
          [0, 1, 2, 3].map(() => api.call('POST', `/v1/requests/${id}/mfa`, { token: alice, body: { code: code.wrong() } })),
        ),
    );
    const checked = guesses.filter((g) => g.status === 400);
    const refused = guesses.filter((g) => g.status === 429);
    expect(checked.length + refused.length).toBe(12);
    expect(checked.length).toBeLessThanOrEqual(10);
    expect(refused.length).toBeGreaterThanOrEqual(2);

    // Locked: the right code is refused too, with Retry-After and a document naming the limit.
    const locked = await api.call('POST', `/v1/requests/${ids[3]}/mfa`, { token: alice, body: { code: code() } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(locked.json).toMatchObject({
      type: expect.stringMatching(/mfa-locked$/),
      limit: '10 wrong codes within 15 min lock MFA for 15 min',
      retryAfter: expect.any(Number),
    });
    expect((await api.call('GET', `/v1/requests/${ids[3]}`, { token: alice })).json.status).toBe('pending_mfa');

    // Audited once, told to the user (events topic) and to the security group.
    const locks = (await auditOf(aliceId)).filter((e) => e.type === 'mfa_user_locked');
    expect(locks).toHaveLength(1);
    expect(await api.messages((m) => m.message.includes('"type":"mfa.locked"') && m.attributes?.requester === aliceId)).toHaveLength(1);
    await api.messages((m) => m.message.includes('locked the MFA of Alice'), { to: 'bob@example.com' });
  },
);

test(
  'finding 5: enrolling needs a sign-in at most 10 minutes old; replacing a confirmed authenticator also needs its code; ' +
    'each enrolment is audited',
  async () => {
    const now = Math.floor(Date.now() / 1000);
    const id = `${local.url}/dev/idp#erin-enrol`;
    // A stolen token from an old sign-in cannot bind the thief's authenticator.
    const stale = await api.call('POST', '/v1/mfa/totp', { token: await api.token('erin', { as: 'enrol', authTime: now - 1200 }) });
    expect(stale.status).toBe(401);
    expect(stale.headers.get('www-authenticate')).toMatch(/error="insufficient_user_authentication".*max_age=600/);
    const future = await api.call('POST', '/v1/mfa/totp', { token: await api.token('erin', { as: 'enrol', authTime: now + 600 }) });
    expect(future.status).toBe(401);

    const fresh = await api.token('erin', { as: 'enrol' });
    const first = await api.call('POST', '/v1/mfa/totp', { token: fresh });
    expect(first.status).toBe(201);
    // Not yet confirmed: a fresh sign-in may start again.
    const second = await api.call('POST', '/v1/mfa/totp', { token: fresh });
    expect(second.status).toBe(201);
    expect(second.json.secret).not.toBe(first.json.secret);
    const { currentCode } = await import('../../shared/domain/totp');
    expect(
      (await api.call('POST', '/v1/mfa/totp/verify', { token: fresh, body: { code: currentCode(second.json.secret, new Date()) } })).status,
    ).toBe(200);

    // Confirmed: a fresh sign-in alone is not enough, a wrong code neither.
    const bare = await api.call('POST', '/v1/mfa/totp', { token: fresh });
    expect(bare.status).toBe(409);
    const wrongCode = currentCode(second.json.secret, new Date()) === '000000' ? '111111' : '000000';
    expect((await api.call('POST', '/v1/mfa/totp', { token: fresh, body: { code: wrongCode } })).status).toBe(400);
    const replaced = await api.call('POST', '/v1/mfa/totp', {
      token: fresh,
      body: { code: currentCode(second.json.secret, new Date(Date.now() + 30_000)) },
    });
    expect(replaced.status).toBe(201);

    const enrolments = (await auditOf(id)).filter((e) => e.type === 'totp_enrolled').map((e) => e.details?.replaced);
    expect(enrolments.sort()).toEqual(['confirmed', 'none', 'unconfirmed']);
  },
);

test(
  'finding 7: 15 parallel creates leave exactly 10 pending (429 + Retry-After for the rest); ' +
    'the approver inbox pages through every pending request',
  async () => {
    const erin = await api.token('erin', { as: 'burst' });
    const burst = await Promise.all(
      Array.from({ length: 15 }, (_, n) =>
        api.call('POST', '/v1/requests', { token: erin, body: { action: 'prod:debug', resource: `cluster/burst-${n}` } }),
      ),
    );
    expect(burst.filter((r) => r.status === 201)).toHaveLength(10);
    const refused = burst.filter((r) => r.status === 429);
    expect(refused).toHaveLength(5);
    for (const r of refused) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.json).toMatchObject({ type: expect.stringMatching(/too-many-pending-requests$/), limit: '10 pending requests per user' });
    }

    // alice's real request is in carol's inbox, however many others wait.
    const alice = await api.token('alice', { as: 'inbox' });
    const mine = await api.call('POST', '/v1/requests', { token: alice, body: { action: 'prod:debug', resource: 'cluster/eu-1' } });
    expect(mine.status).toBe(201);
    const carol = await api.token('carol');
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/v1/requests?role=approver&limit=4${cursor ? `&cursor=${cursor}` : ''}`, { token: carol });
      expect(page.status).toBe(200);
      expect(page.json.requests.length).toBeLessThanOrEqual(4);
      seen.push(...page.json.requests.map((r: { id: string }) => r.id));
      cursor = page.json.cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(mine.json.id);
    for (const r of burst.filter((b) => b.status === 201)) expect(seen).toContain(r.json.id);

    // Cursors are checked: forged ones, and one from another query, are 400.
    const requesterPage = await api.call('GET', '/v1/requests?limit=1', { token: erin });
    expect(requesterPage.json.cursor).toEqual(expect.any(String));
    for (const forged of [
      requesterPage.json.cursor,
      Buffer.from(JSON.stringify({ pk: 'REQ#x', sk: 'REQUEST', gsi2pk: 'PENDING', gsi2sk: 1 })).toString('base64url'),
      'not*base64',
    ]) {
      expect((await api.call('GET', `/v1/requests?role=approver&cursor=${encodeURIComponent(forged)}`, { token: carol })).status).toBe(400);
    }
    const audit = await api.call('GET', `/v1/audit?limit=2&cursor=${requesterPage.json.cursor}`, { token: await api.token('audrey') });
    expect(audit.status).toBe(400);

    // Creating is rate-limited per user as well (20 a minute): erin keeps trying.
    let limited;
    for (let i = 0; i < 45 && !limited; i++) {
      const res = await api.call('POST', '/v1/requests', { token: erin, body: { action: 'prod:debug', resource: `cluster/more-${i}` } });
      expect(res.status).toBe(429);
      if (res.json.type.endsWith('/rate-limited')) limited = res;
    }
    expect(limited).toBeDefined();
    expect(Number(limited!.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(limited!.json.limit).toBe('20 new requests per 1 min per user');
  },
);

test(
  'finding 10: hidden characters shown, visible length counted, bare domains defanged, Idempotency-Key bound to its body, ' +
    'strict JSON, Origin required, no leak on decisions, no future auth_time, no foreign links in the outbox',
  async () => {
    const alice = await api.token('alice', { as: 'low' });

    // The approval page shows bidi and zero-width characters; the email defangs a bare domain.
    const sneaky = 'please reset at evil.example.com/login \u202eresu\u200b now';
    const created = await api.call('POST', '/v1/requests', {
      token: alice,
      body: { action: 'prod:debug', resource: 'cluster/low-1', justification: sneaky },
    });
    expect(created.status).toBe(201);
    const id: string = created.json.id;
    const link = await api.linkFor('bob@example.com', id);
    const page = await (await fetch(link)).text();
    expect(page).toContain('[U+202E]resu[U+200B] now');
    expect(page).not.toMatch(/[\u202e\u200b]/);
    const email = (await api.outbox('bob@example.com')).find((m) => m.links.includes(link))!;
    expect(email.message).toContain('evil.example[.]com/login');
    expect(email.message).not.toContain('evil.example.com');

    // Justification length counts what a reader sees.
    for (const padded of ['ab' + '\u200b'.repeat(20), 'a' + '\u0301'.repeat(20), 'a' + ' '.repeat(20) + 'b']) {
      const res = await api.call('POST', '/v1/requests', {
        token: alice,
        body: { action: 'projects:delete', resource: 'projects/low', justification: padded },
      });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].path).toBe('justification');
    }

    // An Idempotency-Key reused with another body is 422; with the same body, the first request.
    const key = { 'idempotency-key': 'low-key-1' };
    const first = await api.call('POST', '/v1/requests', {
      token: alice,
      headers: key,
      body: { action: 'prod:debug', resource: 'cluster/low-2' },
    });
    expect(first.status).toBe(201);
    expect(
      (await api.call('POST', '/v1/requests', { token: alice, headers: key, body: { action: 'prod:debug', resource: 'cluster/low-2' } }))
        .json.id,
    ).toBe(first.json.id);
    const other = await api.call('POST', '/v1/requests', {
      token: alice,
      headers: key,
      body: { action: 'prod:debug', resource: 'cluster/low-3' },
    });
    expect(other.status).toBe(422);
    expect(other.json.type).toMatch(/idempotency-key-reused$/);

    // Duplicate keys and invalid UTF-8 are 400, not read one way or another.
    const dup = await api.call('POST', '/v1/requests', {
      token: alice,
      raw: '{"action":"prod:debug","resource":"cluster/low-4","resource":"cluster/low-5"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(dup.status).toBe(400);
    expect(dup.json.detail).toMatch(/"resource" twice/);
    const bytes = Buffer.concat([
      Buffer.from('{"action":"prod:debug","resource":"cluster/low-'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const invalid = await fetch(`${local.url}/v1/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: bytes,
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { detail: string }).detail).toMatch(/UTF-8/);

    // A decision post with no Origin, or Origin: null, is refused and changes nothing.
    const html = await (await fetch(link)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    for (const origin of [undefined, 'null']) {
      const res = await fetch(link, {
        method: 'POST',
        body: new URLSearchParams({ decision: 'approve', csrf }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) },
      });
      expect(res.status).toBe(403);
    }
    expect((await api.call('GET', `/v1/requests/${id}`, { token: alice })).json.status).toBe('pending_approval');

    // Someone who may not see the request gets 404 on a decision too, not its approver groups.
    const erin = await api.token('erin');
    expect((await api.call('GET', `/v1/requests/${id}`, { token: erin })).status).toBe(404);
    const blind = await api.call('POST', `/v1/requests/${id}/decisions`, { token: erin, body: { decision: 'approve' } });
    expect(blind.status).toBe(404);
    expect(blind.text).not.toContain('security-admins');

    // Step-up refuses an auth_time in the future.
    const future = await api.token('alice', { as: 'low', amr: ['mfa'], authTime: Math.floor(Date.now() / 1000) + 3600 });
    expect((await api.call('POST', '/v1/requests', { token: future, body: { action: 'prod:deploy', resource: 'svc/low' } })).status).toBe(
      401,
    );
    expect((await api.call('POST', '/v1/authorize', { token: future, body: { action: 'prod:deploy', resource: 'svc/low' } })).status).toBe(
      401,
    );

    // The local outbox links jitgate's own URLs only, not one a requester wrote.
    const glass = await api.call('POST', '/v1/requests', {
      token: alice,
      body: {
        action: 'prod:debug',
        resource: 'cluster/low-6',
        breakGlass: true,
        justification: 'outage, see https://evil.example/phish for details',
      },
    });
    expect(glass.status).toBe(201);
    const outbox = await (await fetch(`${local.url}/dev/outbox.html`)).text();
    expect(outbox).toContain('https://evil.example/phish');
    expect(outbox).not.toContain('href="https://evil.example');
    expect(outbox).toContain(`href="${link}"`);
  },
);
