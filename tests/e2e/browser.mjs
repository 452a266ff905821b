// Launching Debian's Chromium for the end-to-end tests with playwright-core.
// Never `npx playwright install`: we drive /usr/bin/chromium (scripts/setup.sh installs it).

import { chromium } from 'playwright-core';
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot, defaultRoot, startServer } from './server.mjs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// --no-sandbox: CI runs as root. The rest keeps Chromium off the network.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const ARTIFACTS = path.join(repoRoot, 'tests', 'e2e', 'artifacts');

/** The release build the journeys test: dist/, or the one MAILROOM_DIST names. */
export const DIST = process.env.MAILROOM_DIST ? path.resolve(process.env.MAILROOM_DIST) : defaultRoot;

/**
 * For a test file's `before`: checks that the build holds `files` (or says to build it
 * first), serves it on loopback and launches Chromium. `closeBuild` for its `after`.
 */
export async function openBuild(files = ['index.html']) {
  for (const file of files) {
    try {
      await access(path.join(DIST, file));
    } catch {
      throw new Error(`no ${path.join(DIST, file)}: build the app first (scripts/build.sh)`);
    }
  }
  const server = await startServer({ root: DIST });
  try {
    return { server, browser: await launchBrowser() };
  } catch (err) {
    await server.close();
    throw err;
  }
}

/** Closes what `openBuild` opened (either may be missing if it failed). */
export async function closeBuild({ server, browser }) {
  await browser?.close();
  await server?.close();
}

export async function launchBrowser() {
  // playwright-core gives every launch a fresh temporary --user-data-dir.
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/**
 * Waits until the player shows lesson `lesson` (its file fetched and run): lessons load
 * when opened, so after a change of address the previous one stays until then.
 */
export async function lessonShown(page, lesson, timeout = 15_000) {
  // A lesson of the full build (POP3, IMAP, a teacher's own) opened in the lite app goes to
  // full/ at the same address: the page navigates once, which ends a wait in the old page.
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      await page.waitForFunction(
        (l) => {
          const main = document.querySelector('main[data-testid=player]');
          return !!main && !main.hasAttribute('aria-busy') && main.dataset.lesson === l.toLowerCase();
        },
        lesson,
        { timeout: Math.max(1_000, deadline - Date.now()), polling: 'raf' },
      );
      return;
    } catch (err) {
      if (!/context was destroyed|navigat/i.test(err.message) || Date.now() > deadline) throw err;
      await page.waitForLoadState('load').catch(() => {});
    }
  }
}

export async function artifactPath(name) {
  await mkdir(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/**
 * A browser context whose pages may only talk to `origin`: any other request
 * is aborted and recorded in `offsite` (the app must work offline).
 * Page errors and console errors are recorded in `errors`.
 */
export async function isolatedContext(browser, origin, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, ...options });
  const offsite = [];
  const errors = [];
  await context.route(
    (url) => url.origin !== origin && (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:'),
    (route) => {
      offsite.push(route.request().url());
      return route.abort();
    },
  );
  context.on('page', (page) => watchPage(page, errors));
  return { context, offsite, errors };
}

export function watchPage(page, errors) {
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => {
    // Off-site requests (aborted by the route above) are reported through `offsite`;
    // ERR_ABORTED is a request cut short by a navigation or reload.
    const text = req.failure()?.errorText ?? '';
    if (text !== 'net::ERR_FAILED' && text !== 'net::ERR_ABORTED') errors.push(`requestfailed: ${req.url()} ${text}`);
  });
}

/**
 * One step forward with →. At a question (its "Show me" button on the card) the first →
 * only asks for an answer (the card says so), and a second one passes: both are pressed.
 */
export async function stepRight(page) {
  const asking = await page.locator('[data-testid=predict-skip]').count();
  await page.keyboard.press('ArrowRight');
  if (asking) {
    await page.locator('.predict-nudge').waitFor();
    await page.keyboard.press('ArrowRight');
  }
}
