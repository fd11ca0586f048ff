/**
 * What the browser tests share: Debian's Chromium (`/usr/bin/chromium`, installed by
 * scripts/install-test-deps.sh) launched by playwright-core, and a watch on each page for
 * what would show it broken or blocked.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// What this machine's Chromium needs to start headless, offline and quickly (see scripts/install-test-deps.sh).
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Playwright gives the browser a new, empty profile directory of its own (--user-data-dir). */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run "bash scripts/install-test-deps.sh" (installs Debian's chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Collects into `problems` what would show a broken or blocked page: CSP violations and other
 * console errors, page errors, failed requests and failed subresources. A 4xx on the page
 * itself is expected (refusal pages), and Chrome reports it as "Failed to load resource":
 * that one is left out.
 */
export function watchPage(page: Page, problems: string[]): Page {
  page.on('console', (m) => {
    const text = m.text();
    if (/Content[- ]Security[- ]Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
    else if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(text))
      problems.push(`console: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    // The console's live update polls with fetch; leaving the page cancels a poll in flight (ERR_ABORTED),
    // which is the browser's doing, not a failure of the server or of the page.
    if (r.resourceType() === 'fetch' && r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.resourceType()} ${new URL(r.url()).pathname}: ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'document' && r.status() >= 400)
      problems.push(`subresource ${r.status()}: ${new URL(r.url()).pathname}`);
  });
  return page;
}
