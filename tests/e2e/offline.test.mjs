// Offline and installing, in headless Chromium against the release build (scripts/build.sh):
// after one visit the app loads and plays a lesson with the network cut off (dist/sw.js, the
// service worker); a network that does not answer falls back to the cached app; a new
// version takes over on the next visit and says so; the manifest makes the app installable;
// and without service workers the app works as before.
//
// Like the other journeys it follows the DOM contract (data-testid, data-* attributes, ARIA)
// and polls the page, never sleeps. Each test has its own browser context, so its own
// service worker and caches, and its own server (a new port: a new origin).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, defaultRoot } from './server.mjs';
import { chromium } from 'playwright-core';
import { launchBrowser, isolatedContext, artifactPath, lessonShown, watchPage, CHROMIUM_PATH, CHROMIUM_ARGS } from './browser.mjs';

const DIST = process.env.MAILROOM_DIST ? path.resolve(process.env.MAILROOM_DIST) : defaultRoot;
const FIRST_LOAD_TIMEOUT = 30_000;
const TIMEOUT = 15_000;
const IMAP_LESSON = 'reading-mail-with-imap';

const SEL = {
  player: 'main[data-testid=player]',
  home: '[data-testid=home]',
  picker: 'select[data-testid=lesson-picker]',
  updateSlot: '[data-testid=update-slot]',
  updateNotice: '[data-testid=update-notice]',
};

let browser;

before(async () => {
  for (const file of ['index.html', 'full/index.html', 'sw.js', 'manifest.webmanifest']) {
    try {
      await access(path.join(DIST, file));
    } catch {
      throw new Error(`no ${path.join(DIST, file)}: build the app first (scripts/build.sh)`);
    }
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/**
 * Waits until the service worker controls `page` and is activated: it has installed, so the
 * lite app and every lesson are in its cache.
 */
async function controlled(page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === 'activated', null, {
    timeout: FIRST_LOAD_TIMEOUT,
    polling: 100,
  });
}

/** The version of the service worker that serves `page`, as the page has heard it. */
async function versionHeard(page) {
  await page.locator(`${SEL.updateSlot}[data-version]`).waitFor({ state: 'attached', timeout: TIMEOUT });
  return page.locator(SEL.updateSlot).getAttribute('data-version');
}

const cursorOf = (page) => page.locator(SEL.player).getAttribute('data-cursor');

/** One step forward with the keyboard: data-cursor moves on by one. */
async function stepForward(page) {
  const before = Number(await cursorOf(page));
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(
    ([s, n]) => document.querySelector(s)?.dataset.cursor === String(n),
    [SEL.player, before + 1],
    { timeout: TIMEOUT },
  );
}

/** The cache names of the page's origin. */
const cacheNames = (page) => page.evaluate(() => caches.keys());

test('after one visit the app loads and plays a lesson with the network cut off', { timeout: 180_000 }, async () => {
  const server = await startServer({ root: DIST });
  const { context, errors, offsite } = await isolatedContext(browser, server.url);
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/#/lesson/a-bounce`);
    await lessonShown(page, 'a-bounce', FIRST_LOAD_TIMEOUT);
    await controlled(page);
    assert.equal(await page.locator(SEL.updateNotice).count(), 0, 'no update notice on a first visit');

    // The network cut off. Chromium's offline mode covers the service worker's own fetches
    // too: the server sees nothing from here on (checked below).
    await context.setOffline(true);
    const seen = server.requests.length;

    await page.reload();
    await lessonShown(page, 'a-bounce', FIRST_LOAD_TIMEOUT);
    assert.equal(await cursorOf(page), '0');
    await stepForward(page);
    await stepForward(page);

    // Another lesson of the lite app from the lesson picker: its file was precached.
    await page.locator(SEL.picker).selectOption('greylisting');
    await lessonShown(page, 'greylisting', TIMEOUT);
    await stepForward(page);

    // The home page.
    await page.goto(`${server.url}/`);
    await page.locator(SEL.home).waitFor({ timeout: FIRST_LOAD_TIMEOUT });

    // An IMAP lesson needs the full app, which is cached when first used: never opened, a
    // page says so instead of an app that cannot start.
    await page.goto(`${server.url}/#/lesson/${IMAP_LESSON}`);
    await page.getByRole('heading', { name: 'This lesson is not on this device yet' }).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    assert.match(page.url(), /\/full\/#\/lesson\/reading-mail-with-imap/);
    await page.getByRole('link', { name: 'Back to the other lessons' }).click();
    await page.locator(SEL.home).waitFor({ timeout: FIRST_LOAD_TIMEOUT });

    assert.deepEqual(server.requests.slice(seen), [], 'nothing reached the server while offline');

    // Online again: the IMAP lesson opens, and the full app is kept for offline.
    await context.setOffline(false);
    await page.goto(`${server.url}/#/lesson/${IMAP_LESSON}`);
    await lessonShown(page, IMAP_LESSON, FIRST_LOAD_TIMEOUT);
    assert.match(page.url(), /\/full\/#\/lesson\//);
    // What the page downloaded is kept once the service worker has stored it: every file of
    // the full app that sw.js lists.
    const sw = await readFile(path.join(DIST, 'sw.js'), 'utf8');
    const full = JSON.parse(/^const FULL = (.*);$/m.exec(sw)[1]);
    assert.ok(full.some((f) => f.endsWith('.wasm')), `sw.js lists the full app's files: ${full}`);
    await page.waitForFunction(
      async (files) => {
        const cache = await caches.open('mailroom-full');
        const kept = (await cache.keys()).map((r) => new URL(r.url).pathname.slice(1));
        return files.every((f) => kept.includes(f));
      },
      full,
      { timeout: TIMEOUT, polling: 100 },
    );

    // The guide for lesson writers, read once online, is kept too.
    const guide = await context.newPage();
    await guide.goto(`${server.url}/full/guide.html`);
    await guide.locator('h1#writing-a-lesson').waitFor();
    await guide.waitForFunction(
      async () => !!(await caches.match('full/guide.html')),
      null,
      { timeout: TIMEOUT, polling: 100 },
    );

    await context.setOffline(true);
    const seenAgain = server.requests.length;
    await page.reload();
    await lessonShown(page, IMAP_LESSON, FIRST_LOAD_TIMEOUT);
    await stepForward(page);
    // The full app plays the other lessons too, offline: their files are shared.
    await page.locator(SEL.picker).selectOption('two-failures');
    await lessonShown(page, 'two-failures', TIMEOUT);
    await guide.reload();
    await guide.locator('h1#writing-a-lesson').waitFor();
    assert.deepEqual(server.requests.slice(seenAgain), [], 'nothing reached the server while offline');
    await context.setOffline(false);

    assert.deepEqual(offsite, [], 'requests to anything but the local server');
    // The page that says the IMAP lessons are not on this device comes with a 503 (it is not
    // the page asked for), which Chromium logs; nothing else.
    const unavailable = 'console.error: Failed to load resource: the server responded with a status of 503 ()';
    assert.deepEqual(errors, [unavailable], 'no page errors');
  } finally {
    await context.close();
    await server.close();
  }
});

test('a network that does not answer: the cached app after a short wait', { timeout: 120_000 }, async () => {
  const server = await startServer({ root: DIST });
  const { context, errors } = await isolatedContext(browser, server.url);
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/#/lesson/a-bounce`);
    await lessonShown(page, 'a-bounce', FIRST_LOAD_TIMEOUT);
    await controlled(page);

    // Connected, but nothing comes back (a saturated link, a captive portal): the page and
    // the lesson wait 3 s for the network each (sw.js, TIMEOUT_MS), then come from the cache.
    server.stall();
    const started = Date.now();
    await page.reload();
    await lessonShown(page, 'a-bounce', FIRST_LOAD_TIMEOUT);
    await stepForward(page);
    const waited = Date.now() - started;
    assert.ok(waited >= 2 * 3000, `the network was given its time first, for the page and the lesson (${waited} ms)`);
    server.resume();
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    server.resume();
    await context.close();
    await server.close();
  }
});

test('a new version takes over on the next visit and says so', { timeout: 180_000 }, async () => {
  // A copy of the build, so that its sw.js can change as a new build's would.
  const root = await mkdtemp(path.join(os.tmpdir(), 'mailroom-offline-'));
  await cp(DIST, root, { recursive: true });
  const server = await startServer({ root });
  const { context, errors } = await isolatedContext(browser, server.url);
  try {
    let page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.locator(SEL.home).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    await controlled(page);
    const first = await versionHeard(page);
    assert.match(first, /^[0-9a-f]{16}$/);
    assert.equal(await page.locator(SEL.updateNotice).count(), 0, 'no update notice on a first visit');

    // The same version again: nothing to say.
    await page.reload();
    await page.locator(SEL.home).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    assert.equal(await versionHeard(page), first);
    assert.equal(await page.locator(SEL.updateNotice).count(), 0, 'no update notice without an update');

    // A new build on the server: scripts/make-sw.mjs gives sw.js a new VERSION whenever a
    // file of the build changes.
    const swPath = path.join(root, 'sw.js');
    const sw = await readFile(swPath, 'utf8');
    const next = first.split('').reverse().join('');
    assert.ok(sw.includes(`const VERSION = "${first}";`), 'sw.js names its VERSION');
    await writeFile(swPath, sw.replace(`const VERSION = "${first}";`, `const VERSION = "${next}";`));

    // The next visit: the tab was closed, a new one opens a lesson. The new version installs,
    // takes over, and the page says so, politely.
    await page.close();
    page = await context.newPage();
    await page.goto(`${server.url}/#/lesson/a-bounce`);
    await lessonShown(page, 'a-bounce', FIRST_LOAD_TIMEOUT);
    const notice = page.locator(SEL.updateNotice);
    await notice.waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    assert.equal((await notice.locator('span').innerText()).trim(), 'Mailroom was updated.');
    assert.equal(await versionHeard(page), next);
    assert.equal(await page.locator(SEL.updateSlot).getAttribute('role'), 'status');
    await page.screenshot({ path: await artifactPath('update-notice-lesson-1366.png') });
    // Once the new version is activated, the old one's cache is gone.
    await controlled(page);
    assert.deepEqual((await cacheNames(page)).filter((n) => n !== 'mailroom-full'), [`mailroom-${next}`]);

    // The player keeps its keys while the notice shows, then the notice is dismissed.
    await stepForward(page);
    await notice.getByRole('button', { name: 'Dismiss this notice' }).click();
    await notice.waitFor({ state: 'detached', timeout: TIMEOUT });

    // The home page with the notice, for a look at the layout.
    await page.evaluate(() => localStorage.setItem('mailroom.version', 'an older one'));
    await page.goto(`${server.url}/`);
    await page.locator(SEL.home).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    await notice.waitFor({ timeout: TIMEOUT });
    await page.screenshot({ path: await artifactPath('update-notice-home-1366.png') });

    // The visit after: nothing more to say. And the new version works offline.
    await context.setOffline(true);
    await page.reload();
    await page.locator(SEL.home).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    assert.equal(await versionHeard(page), next);
    assert.equal(await notice.count(), 0, 'the notice is said once');
    await context.setOffline(false);

    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    await context.close();
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
});

test('installable: a web app manifest that Chromium accepts', { timeout: 120_000 }, async () => {
  // Not in a playwright context: those are incognito, where Chromium offers no install.
  const server = await startServer({ root: DIST });
  const profile = await mkdtemp(path.join(os.tmpdir(), 'mailroom-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1366, height: 768 },
  });
  const errors = [];
  try {
    const page = await context.newPage();
    watchPage(page, errors);
    await page.goto(`${server.url}/`);
    await page.locator(SEL.home).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    await controlled(page);
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.equal(manifest.url, `${server.url}/manifest.webmanifest`);
    assert.deepEqual(manifest.errors, [], 'the manifest parses without errors');
    const parsed = JSON.parse(manifest.data);
    assert.equal(parsed.short_name, 'Mailroom');
    assert.equal(parsed.display, 'standalone');
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, [], 'Chromium would offer to install the app');
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    await context.close();
    await server.close();
    await rm(profile, { recursive: true, force: true });
  }
});

test('without service workers the app works as before', { timeout: 120_000 }, async () => {
  const server = await startServer({ root: DIST });
  const { context, errors } = await isolatedContext(browser, server.url, { serviceWorkers: 'block' });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/#/lesson/a-bounce`);
    await lessonShown(page, 'a-bounce', FIRST_LOAD_TIMEOUT);
    await stepForward(page);
    await page.locator(SEL.picker).selectOption('greylisting');
    await lessonShown(page, 'greylisting', TIMEOUT);
    assert.equal(await page.evaluate(() => navigator.serviceWorker?.controller ?? null), null);
    assert.equal(await page.locator(SEL.updateNotice).count(), 0);
    assert.deepEqual(errors, [], 'no page errors');
  } finally {
    await context.close();
    await server.close();
  }
});
