/**
 * The web console in a real browser (Debian's Chromium, driven by playwright-core, as in
 * approval-page.test.ts), against local mode started as `npm start` does with the demo
 * config: sign-in through the development IdP's picker, approving from the inbox (with the
 * mouse and with the keyboard alone), the inbox updating itself with focus kept, asking from
 * the form and watching the request become active without a reload, the audit page's filter
 * and export, what erin is offered; every
 * page at 390 px without horizontal scroll and with its primary control above the fold, and
 * axe-core on every page with no serious or critical violation.
 *
 * Every page is watched for console errors, CSP violations and failed subresources: the
 * console's one script must run under its strict CSP.
 *
 * `JITGATE_CONSOLE_SCREENSHOTS=docs` (what `npm run screenshot` sets) saves each page's
 * phone-sized screenshot as docs/console-<page>.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, watchPage } from '../support/browser';
import { Client, freePort, startLocalMode, tempDir, type Running, warmDevIdp } from '../support/local-mode';

// Browser globals, for the functions page.evaluate runs in the page (tsconfig has no DOM lib).
declare const document: any;
declare const window: any;
declare const axe: any;

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PHONE = { width: 390, height: 844 };

let local: Running;
let api: Client;
let browser: Browser;
let context: BrowserContext;
let problems: string[] = [];

beforeAll(async () => {
  const dataDir = tempDir('jitgate-console-browser-');
  [local, browser] = await Promise.all([startLocalMode({ port: await freePort(), dataDir }), launchChromium()]);
  api = new Client(local.url, dataDir);
  await warmDevIdp(local);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await local?.stop();
});

beforeEach(() => {
  problems = [];
});

afterEach(async () => {
  await context?.close();
  expect(problems).toEqual([]);
});

async function newPage(viewport = { width: 1024, height: 800 }): Promise<Page> {
  context = await browser.newContext({ viewport, acceptDownloads: true });
  return watchPage(await context.newPage(), problems);
}

/** Signs `user` in through the console's button and the development IdP's picker; lands on `next` or the root. */
async function signIn(page: Page, user: string, next = ''): Promise<void> {
  await page.goto(`${local.url}/${next}`);
  await Promise.all([page.waitForURL(/\/dev\/idp\/interaction\//), page.getByRole('link', { name: 'Sign in' }).click()]);
  const name = user.charAt(0).toUpperCase() + user.slice(1);
  await Promise.all([page.waitForURL(`${local.url}/${next}`), page.getByRole('button', { name: `Sign in as ${name}` }).click()]);
}

async function pendingFromAlice(resource: string): Promise<{ id: string; token: string }> {
  const token = await api.token('alice');
  const created = await api.call('POST', '/v1/requests', { token, body: { action: 'prod:debug', resource } });
  expect(created.status).toBe(201);
  return { id: created.json.id, token };
}

/** axe-core's serious and critical violations on the page as it is now. */
async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() => axe.run(document, { resultTypes: ['violations'] }));
  return (results.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('bob signs in and approves from the inbox, with a reason; the request becomes active', async () => {
  const { id, token } = await pendingFromAlice('cluster/browser-inbox');
  const page = await newPage();
  await signIn(page, 'bob', 'console/inbox');
  expect(await page.locator('h1').innerText()).toBe('Inbox');
  const card = page.getByRole('article').filter({ has: page.locator(`#approve-${id}`) });
  expect(await card.innerText()).toContain('1 approval from security-admins');
  await card.getByLabel('Reason (optional)').fill('looks right');
  await Promise.all([page.waitForURL(/\/console\/inbox\?done=approved$/), card.getByRole('button', { name: 'Approve' }).click()]);
  expect(await page.getByRole('status').innerText()).toContain('You approved it');
  expect(await page.locator(`#approve-${id}`).count()).toBe(0);
  await api.waitForStatus(token, id, 'active');
});

test('the inbox updates itself while open: a new request appears, focus stays where it was', async () => {
  const first = await pendingFromAlice('cluster/browser-live-1');
  const page = await newPage();
  await signIn(page, 'bob', 'console/inbox');
  await page.evaluate(() => (window.sameDocument = true));
  await page.locator(`#approve-${first.id}`).focus();
  const second = await pendingFromAlice('cluster/browser-live-2');
  await page.locator(`#approve-${second.id}`).waitFor({ timeout: 30_000 });
  expect(await page.evaluate(() => document.activeElement?.id)).toBe(`approve-${first.id}`);
  expect(await page.evaluate(() => window.sameDocument)).toBe(true);
});

test('alice asks for prod:debug from the form and watches it become active without reloading', async () => {
  const page = await newPage();
  await signIn(page, 'alice');
  await page.getByRole('radio', { name: /^prod:debug/ }).check();
  await page.locator('#resource').fill('cluster/browser-form');
  await page.locator('#justification').fill('watching the console update itself');
  await Promise.all([page.waitForURL(/\/console\/requests\/[^/?]+\?done=created$/), page.getByRole('button', { name: 'Ask' }).click()]);
  const id = /\/console\/requests\/([^/?]+)/.exec(page.url())![1]!;
  expect(await page.locator('#live').innerText()).toContain('pending approval');
  // A mark on this document: a reload or a navigation would lose it.
  await page.evaluate(() => (window.sameDocument = true));
  const bob = await api.token('bob');
  expect((await api.call('POST', `/v1/requests/${id}/decisions`, { token: bob, body: { decision: 'approve' } })).status).toBe(200);
  await page
    .locator('#live')
    .getByText(/Active until/)
    .waitFor({ timeout: 30_000 });
  expect(await page.locator('#live').innerText()).toContain('Approved by Bob');
  expect(await page.evaluate(() => window.sameDocument)).toBe(true);
});

test('audrey filters the audit trail by request and exports it as JSON lines', async () => {
  const { id } = await pendingFromAlice('cluster/browser-audit');
  const page = await newPage();
  await signIn(page, 'audrey', 'console/audit');
  await page.getByLabel('Request id').fill(id);
  await Promise.all([page.waitForURL(/requestId=/), page.getByRole('button', { name: 'Filter' }).click()]);
  const rows = page.locator('#live tbody tr');
  expect(await rows.count()).toBeGreaterThan(0);
  for (const row of await rows.all()) expect(await row.innerText()).toContain(id);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export JSON lines' }).click()]);
  const lines = readFileSync((await download.path())!, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines.map((e) => e.type)).toEqual(await api.auditTypes(id));
  expect(new Set(lines.map((e) => e.requestId))).toEqual(new Set([id]));
});

test('erin is offered only what erin may ask, and no audit page', async () => {
  const page = await newPage();
  await signIn(page, 'erin');
  const offered = await page.locator('input[name=policy] + label code:first-child').allInnerTexts();
  const policies = (await api.call('GET', '/v1/policies', { token: await api.token('erin') })).json.policies;
  expect(offered).toEqual(policies.filter((p: { mayRequest: boolean }) => p.mayRequest).map((p: { action: string }) => p.action));
  expect(offered).not.toContain('reports:read');
  expect(await page.getByRole('link', { name: 'Audit' }).count()).toBe(0);
});

test('keyboard only: bob tabs to a request in the inbox, types a reason and approves with Enter', async () => {
  const { id, token } = await pendingFromAlice('cluster/browser-keyboard');
  const page = await newPage();
  await signIn(page, 'bob', 'console/inbox');
  const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '');
  for (let i = 0; i < 200 && (await focusedId()) !== `reason-${id}`; i++) await page.keyboard.press('Tab');
  expect(await focusedId()).toBe(`reason-${id}`);
  await page.keyboard.type('checked by keyboard');
  await page.keyboard.press('Tab');
  expect(await focusedId()).toBe(`approve-${id}`);
  await Promise.all([page.waitForURL(/done=approved$/), page.keyboard.press('Enter')]);
  const approved = await api.waitForStatus(token, id, 'active');
  expect(approved.approvals[0]).toMatchObject({ reason: 'checked by keyboard', decision: 'approve' });
});

/** Each page, who sees it, and its primary control (which must be above the fold on a phone). */
const PAGES: { name: string; user: string; path: (id: string) => string; primary: string }[] = [
  { name: 'requests', user: 'alice', path: () => '', primary: '#to-ask' },
  { name: 'inbox', user: 'bob', path: () => 'console/inbox', primary: 'button.approve' },
  { name: 'request', user: 'alice', path: (id) => `console/requests/${id}`, primary: 'button.secondary[id^=cancel-]' },
  { name: 'audit', user: 'audrey', path: () => 'console/audit', primary: '#filter' },
  { name: 'policies', user: 'erin', path: () => 'console/policies', primary: 'nav a[aria-current=page]' },
];

test('every page at 390 px: no horizontal scroll, primary control above the fold, nothing serious for axe', async () => {
  const { id } = await pendingFromAlice('cluster/browser-phone');
  const shots = process.env.JITGATE_CONSOLE_SCREENSHOTS;
  if (shots) mkdirSync(shots, { recursive: true });
  const check = async (page: Page, name: string, primary: string) => {
    expect([name, await page.evaluate(() => document.documentElement.scrollWidth)]).toEqual([name, PHONE.width]);
    const box = await page.locator(primary).first().boundingBox();
    expect([name, box !== null && box.y + box.height <= PHONE.height]).toEqual([name, true]);
    expect([name, await seriousViolations(page)]).toEqual([name, []]);
    if (shots) await page.screenshot({ path: path.join(shots, `console-${name}.png`) });
  };
  const signedOut = await newPage(PHONE);
  await signedOut.goto(`${local.url}/`);
  await check(signedOut, 'signin', 'a.button');
  await context.close();
  // One sign-in per person, then each of their pages.
  for (const user of [...new Set(PAGES.map((p) => p.user))]) {
    const page = await newPage(PHONE);
    await signIn(page, user);
    for (const p of PAGES.filter((x) => x.user === user)) {
      await page.goto(`${local.url}/${p.path(id)}`);
      await check(page, p.name, p.primary);
    }
    await context.close();
  }
}, 120_000);
