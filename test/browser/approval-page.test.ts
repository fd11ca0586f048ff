/**
 * The approval page in a real browser: Debian's Chromium (`/usr/bin/chromium`, installed
 * by scripts/install-test-deps.sh) driven by playwright-core, against local mode started
 * as `npm start` does. One browser for the file, a fresh context (no cookies) per test.
 *
 * Every page visited is watched for console errors, Content-Security-Policy violations
 * and page errors: the page must work with its strict CSP and load nothing else.
 *
 * `JITGATE_SCREENSHOT=docs/approval-page-phone.png` (what `npm run screenshot` sets)
 * also saves the phone-sized screenshot linked from the README.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, watchPage } from '../support/browser';
import { Client, freePort, startLocalMode, tempDir, type Running, warmDevIdp } from '../support/local-mode';
import { approverConfig, linkClaims, SSO_ACTION } from '../support/approvers';

// Browser globals, for the functions page.evaluate runs in the page (tsconfig has no DOM lib).
declare const document: any;
declare const window: any;
declare function getComputedStyle(element: any): any;

let local: Running;
let api: Client;
let browser: Browser;
let context: BrowserContext;
/** Console errors, CSP violations and page errors seen in the current test. */
let problems: string[] = [];

beforeAll(async () => {
  const dataDir = tempDir('jitgate-browser-');
  [local, browser] = await Promise.all([
    startLocalMode({ port: await freePort(), dataDir, configPath: approverConfig(dataDir) }),
    launchChromium(),
  ]);
  api = new Client(local.url, dataDir);
  await warmDevIdp(local);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await local?.stop();
});

beforeEach(async () => {
  problems = [];
  context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
});

afterEach(async () => {
  await context?.close();
  expect(problems).toEqual([]);
});

async function newPage(c: BrowserContext = context): Promise<Page> {
  return watchPage(await c.newPage(), problems);
}

async function pendingRequest(as: string, body: Record<string, unknown>) {
  const token = await api.token('alice', { as });
  const created = await api.call('POST', '/v1/requests', { token, body });
  expect(created.status).toBe(201);
  expect(created.json.status).toBe('pending_approval');
  const id = created.json.id as string;
  return { token, id, link: await api.linkFor('bob@example.com', id) };
}

const h1 = (page: Page) => page.locator('h1').innerText();

test('open a link, see the details, approve by clicking: the request becomes active; the used link says "already decided"', async () => {
  const { token, id, link } = await pendingRequest('click', {
    action: 'prod:debug',
    resource: 'cluster/eu-1',
    durationSeconds: 900,
    justification: 'elevated 5xx on checkout, incident INC-4821',
  });
  const page = await newPage();
  const response = await page.goto(link);
  expect(response!.status()).toBe(200);
  expect(await h1(page)).toBe('Approve prod:debug?');
  const text = await page.locator('main').innerText();
  expect(text).toContain('cluster/eu-1');
  expect(text).toContain('Alice');
  expect(text).toContain('alice@example.com');
  expect(text).toContain('elevated 5xx on checkout, incident INC-4821');
  expect(text).toContain('15 minutes, from approval');
  // Labelled controls, found the way assistive technology finds them.
  await expect(page.getByLabel('Reason (optional)').count()).resolves.toBe(1);
  await expect(page.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(1);
  await expect(page.getByRole('button', { name: 'Deny' }).count()).resolves.toBe(1);
  // Looking changed nothing.
  expect((await api.call('GET', `/v1/requests/${id}`, { token })).json.status).toBe('pending_approval');
  // The watcher does see CSP violations: an injected image from elsewhere is refused and reported (then forgotten).
  await page.evaluate(() => {
    const img = document.createElement('img');
    img.src = 'https://example.com/tracker.png';
    document.body.appendChild(img);
  });
  for (let i = 0; i < 50 && !problems.some((p) => p.startsWith('CSP:')); i++) await page.waitForTimeout(20);
  await page.evaluate(() => document.querySelector('img').remove());
  await page.waitForTimeout(100);
  expect(problems).toContainEqual(expect.stringMatching(/^CSP: .*tracker\.png.*img-src/));
  expect(problems.filter((p) => !p.includes('tracker.png'))).toEqual([]);
  problems = [];

  await page.getByLabel('Reason (optional)').fill('on call, checked the dashboards');
  await Promise.all([page.waitForURL(link), page.getByRole('button', { name: 'Approve' }).click()]);
  expect(await h1(page)).toBe('Approved');
  expect(await page.getByRole('status').innerText()).toContain('You approved prod:debug for Alice');
  const active = await api.waitForStatus(token, id, 'active');
  expect(active.approvals[0]).toMatchObject({ decision: 'approve', reason: 'on call, checked the dashboards', via: 'link' });

  const again = await page.goto(link);
  expect(again!.status()).toBe(409);
  expect(await h1(page)).toBe('Already decided');
  expect(await page.locator('main').innerText()).toContain('this link works once');
  await expect(page.getByRole('button').count()).resolves.toBe(0);
});

test('a forged link gets a clear error page and no form', async () => {
  const { link } = await pendingRequest('forged', { action: 'prod:debug', resource: 'cluster/forged', durationSeconds: 600 });
  const claims = linkClaims(link);
  const forgedPayload = Buffer.from(JSON.stringify({ ...claims, a: `${local.url}/dev/idp#mallory` })).toString('base64url');
  const forged = `${local.url}/approve/${forgedPayload}.${link.split('.').pop()}`;
  const page = await newPage();
  const response = await page.goto(forged);
  expect(response!.status()).toBe(400);
  expect(await h1(page)).toBe('This link is not valid');
  expect(await page.getByRole('alert').innerText()).toContain('This link was not issued by jitgate.');
  expect(await page.locator('main').innerText()).toContain('Nothing was changed');
  await expect(page.locator('form, button, textarea').count()).resolves.toBe(0);
});

test('break-glass review: open the review link, give a reason, click Flag; the used link says "already reviewed"', async () => {
  const token = await api.token('alice', { as: 'glass' });
  const glass = await api.call('POST', '/v1/requests', {
    token,
    body: { action: 'prod:debug', resource: 'cluster/glass', breakGlass: true, justification: 'checkout is down, INC-4821' },
  });
  expect(glass.status).toBe(201);
  // The state machine activates it (the API answers before that): wait for it, as a caller would.
  await api.waitForStatus(token, glass.json.id, 'active');
  const link = await api.linkFor('carol@example.com', glass.json.id);
  const page = await newPage();
  expect((await page.goto(link))!.status()).toBe(200);
  expect(await h1(page)).toBe('Break-glass: prod:debug');
  expect(await page.locator('main').innerText()).toContain('checkout is down, INC-4821');
  await page.getByLabel('Reason (needed to flag)').fill('no such incident');
  await page.getByRole('button', { name: 'Flag' }).click();
  expect(await h1(page)).toBe('Flagged');
  expect((await api.call('GET', `/v1/requests/${glass.json.id}`, { token })).json.reviews).toEqual([
    expect.objectContaining({ outcome: 'flagged', reason: 'no such incident' }),
  ]);
  expect((await page.goto(link))!.status()).toBe(409);
  expect(await h1(page)).toBe('Already reviewed');
});

test('keyboard only: Tab to the reason, type, Tab to Approve (visible focus), Enter', async () => {
  const { token, id, link } = await pendingRequest('keyboard', {
    action: 'prod:debug',
    resource: 'cluster/keyboard',
    durationSeconds: 600,
  });
  const page = await newPage();
  await page.goto(link);
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return {
        tag: el.tagName.toLowerCase(),
        id: el.id,
        text: el.innerText ?? '',
        outline: `${style.outlineStyle} ${style.outlineWidth}`,
        visible: el.matches(':focus-visible'),
      };
    });

  await page.keyboard.press('Tab');
  expect(await focused()).toMatchObject({ tag: 'textarea', id: 'reason', outline: 'solid 3px', visible: true });
  await page.keyboard.type('approved from the keyboard');
  await page.keyboard.press('Tab');
  expect(await focused()).toMatchObject({ tag: 'button', text: 'Approve', outline: 'solid 3px', visible: true });
  await page.keyboard.press('Tab');
  expect(await focused()).toMatchObject({ tag: 'button', text: 'Deny', outline: 'solid 3px', visible: true });
  await page.keyboard.press('Shift+Tab');
  expect(await focused()).toMatchObject({ tag: 'button', text: 'Approve' });
  // The focus ring stands out from the button: a 3 px outline, offset from it, in the focus colour.
  const ring = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return { color: s.outlineColor, offset: s.outlineOffset, background: s.backgroundColor };
  });
  expect(ring.offset).toBe('3px');
  expect(ring.color).not.toBe(ring.background);

  await Promise.all([page.waitForURL(link), page.keyboard.press('Enter')]);
  expect(await h1(page)).toBe('Approved');
  const active = await api.waitForStatus(token, id, 'active');
  expect(active.approvals[0]).toMatchObject({ decision: 'approve', reason: 'approved from the keyboard' });
});

test('approverAuth "sso": sign in through the development IdP, pick the user, approve', async () => {
  const { token, id, link } = await pendingRequest('sso', {
    action: SSO_ACTION,
    resource: 'vault/prod',
    durationSeconds: 600,
    justification: 'rotate the root keys after incident 7',
  });
  const page = await newPage();
  await page.goto(link);
  expect(await h1(page)).toBe(`Approve ${SSO_ACTION}?`);
  await expect(page.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
  const signIn = page.getByRole('link', { name: 'Sign in to decide' });
  expect(await signIn.count()).toBe(1);

  await Promise.all([page.waitForURL(/\/dev\/idp\/interaction\//), signIn.click()]);
  expect(await page.locator('h1').innerText()).toContain('development sign-in');
  await Promise.all([page.waitForURL(link), page.getByRole('button', { name: 'Sign in as Bob' }).click()]);
  expect(await page.getByRole('status').first().innerText()).toContain('Signed in as Bob');
  expect((await api.call('GET', `/v1/requests/${id}`, { token })).json.status).toBe('pending_approval');

  await page.getByLabel('Reason (optional)').fill('keys rotated with me on the call');
  await Promise.all([page.waitForURL(link), page.getByRole('button', { name: 'Approve' }).click()]);
  expect(await h1(page)).toBe('Approved');
  const active = await api.waitForStatus(token, id, 'active');
  expect(active.approvals[0]).toMatchObject({ decision: 'approve', approver: expect.objectContaining({ sub: 'bob' }) });
});

test('on a phone (390x844): readable, no sideways scrolling, large buttons', async () => {
  const { link } = await pendingRequest('phone', {
    action: 'prod:debug',
    resource: 'cluster/eu-1',
    durationSeconds: 1800,
    justification: 'Checkout returns 502 for ~3% of EU customers since 09:40 (INC-4821); need to attach a debugger to the payment pods.',
  });
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  try {
    const page = await newPage(phone);
    await page.goto(link);
    const layout = await page.evaluate(() => {
      const box = (sel: string) => document.querySelector(sel).getBoundingClientRect();
      return {
        scrollWidth: document.documentElement.scrollWidth,
        width: window.innerWidth,
        bodyFont: parseFloat(getComputedStyle(document.body).fontSize),
        approve: box('button.approve'),
        deny: box('button.deny'),
        title: box('h1'),
      };
    });
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.width);
    expect(layout.bodyFont).toBeGreaterThanOrEqual(16);
    for (const b of [layout.approve, layout.deny]) {
      expect(b.height).toBeGreaterThanOrEqual(48);
      expect(b.width).toBeGreaterThanOrEqual(300);
    }
    // Stacked on a phone: Approve above Deny, both full width.
    expect(layout.deny.top).toBeGreaterThan(layout.approve.bottom);
    expect(layout.title.top).toBeLessThan(150);
    const out = process.env.JITGATE_SCREENSHOT;
    if (out) {
      const file = path.resolve(out);
      mkdirSync(path.dirname(file), { recursive: true });
      await page.screenshot({ path: file, fullPage: true });
    }
  } finally {
    await phone.close();
  }
});
