// The IMAP lessons in headless Chromium against the release build (scripts/build.sh): the
// first load is the lite app in dist/, which has no IMAP; opening an IMAP lesson, from the
// lesson picker or by its address, sends the page to the full app in dist/full/ at the
// same address, which plays it and shows the IMAP panel. Parts are found by their titles,
// never by step numbers.
//
// Like pop3.test.mjs it follows the DOM contract (data-testid, ARIA) and polls the page
// (waitForFunction), never sleeps. Screenshots at a laptop's and a projector's full-HD size
// go to tests/e2e/artifacts/ (gitignored), to be looked at.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedContext, artifactPath, lessonShown, openBuild, closeBuild } from './browser.mjs';

const FIRST_LOAD_TIMEOUT = 30_000;
const TIMEOUT = 15_000;
const BOB = 'bob@example.net';

const SEL = {
  player: 'main[data-testid=player]',
  panel: '[data-testid=imap-panel]',
  picker: 'select[data-testid=lesson-picker]',
};

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild(['index.html', 'full/index.html']));
});

after(() => closeBuild({ server, browser }));

async function waitUntil(page, what, predicate, arg, timeout = TIMEOUT) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 'raf' });
  } catch (err) {
    const state = await page
      .evaluate((s) => ({ url: location.href, panel: document.querySelector(s)?.innerText.slice(0, 800) }), SEL.panel)
      .catch(() => '(unavailable)');
    throw new Error(`timed out waiting for ${what}; page: ${JSON.stringify(state)}\n${err.message.split('\n')[0]}`);
  }
}

/** A fresh context at `viewport`, recording the addresses of the full app it asks for. */
async function contextRecordingFull(viewport = { width: 1366, height: 768 }) {
  const { context, errors, offsite } = await isolatedContext(browser, server.url, { viewport });
  context.setDefaultTimeout(TIMEOUT);
  const asked = [];
  context.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/full/' && r.isNavigationRequest()) asked.push(r.url());
  });
  return { context, errors, offsite, asked };
}

/** Waits for the full app to show `lesson`. */
async function inFullApp(page, lesson) {
  await page.waitForURL((u) => u.pathname === '/full/' && u.hash.startsWith(`#/lesson/${lesson}/`), { timeout: FIRST_LOAD_TIMEOUT });
  await page.locator(SEL.player).waitFor({ state: 'visible', timeout: FIRST_LOAD_TIMEOUT });
  await lessonShown(page, lesson, FIRST_LOAD_TIMEOUT);
  await waitUntil(page, 'the IMAP panel', (s) => !!document.querySelector(s), SEL.panel);
}

/** Goes to the start of the part titled `title`, with its button in the parts strip. */
async function gotoPart(page, title) {
  const escaped = title.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const button = page.locator(`[data-testid=narration] nav button[aria-label$=": ${escaped}"]`);
  assert.equal(await button.count(), 1, `one part is titled "${title}"`);
  await button.click();
  await waitUntil(page, `part "${title}"`, (t) => document.querySelector('#narration-title')?.textContent.trim() === t, title);
}

/** What the IMAP panel shows of `user`'s mail. */
function readGroup(page, user) {
  return page.evaluate(
    ([panel, user]) => {
      const g = document.querySelector(`${panel} [data-testid=imap-group][data-user="${user}"]`);
      if (!g) return null;
      const cells = (r) => [...r.querySelectorAll('td')].map((c) => c.textContent.trim());
      return {
        // A line per device: its mail program, then its session on the server.
        devices: [...g.querySelectorAll('[data-testid=imap-device]')].map((d) => d.textContent.trim()),
        tables: [...g.querySelectorAll('[data-testid=imap-table]')].map((t) => ({
          folder: t.dataset.folder,
          caption: t.querySelector('caption')?.textContent.trim(),
          headings: [...t.querySelectorAll('thead th')].map((th) => th.textContent.trim()),
          rows: [...t.querySelectorAll('[data-testid=imap-row]')].map((r) => ({
            uid: r.dataset.uid,
            subject: r.querySelector('th')?.textContent.trim(),
            // UID, then the server's cell, then one per device.
            cells: cells(r),
          })),
        })),
        text: g.innerText,
      };
    },
    [SEL.panel, user],
  );
}

/**
 * How much of the column shows: whether the explanation's title lies inside the card, and
 * for each panel (`selectors`) how many pixels of its first table row's top line show
 * inside the panel's own box (which scrolls) and the window.
 */
function sideLayout(page, selectors) {
  return page.evaluate((selectors) => {
    const inside = (b, box) => b.top >= box.top - 0.5 && b.bottom <= box.bottom + 0.5;
    const card = document.querySelector('[data-testid=explanation]').getBoundingClientRect();
    const title = document.querySelector('#explanation-title').getBoundingClientRect();
    const panels = selectors.map((sel) => {
      const panel = document.querySelector(sel);
      if (!panel) return null;
      const box = panel.getBoundingClientRect();
      const row = panel.querySelector('tbody tr')?.getBoundingClientRect();
      const bottom = Math.min(box.bottom, innerHeight);
      return { height: Math.round(box.height), firstRowShows: row ? Math.round(bottom - row.top) : null };
    });
    return { title: inside(title, card) && title.bottom <= innerHeight, panels };
  }, selectors);
}

async function shoot(page, name) {
  await page.screenshot({ path: await artifactPath(`imap-${name}.png`) });
}

async function finish(context, errors, offsite) {
  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
}

test('Reading mail with IMAP, chosen in the lite page\'s picker, plays in the full app', { timeout: 180_000 }, async () => {
  const { context, errors, offsite, asked } = await contextRecordingFull();
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/sending-an-email`);
  await page.locator(SEL.player).waitFor({ state: 'visible', timeout: FIRST_LOAD_TIMEOUT });
  await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
  // The lite app lists the IMAP lessons in its picker.
  await page.locator(SEL.picker).selectOption({ label: 'Reading mail with IMAP' });
  // (While the full app is on its way the lite page says "Loading the IMAP simulator…":
  // too brief to catch here; src/state.rs tests it.)
  await inFullApp(page, 'reading-mail-with-imap');
  // One navigation (the request has no hash; inFullApp checked the address's).
  assert.equal(asked.length, 1, 'the page went to full/ once');

  await gotoPart(page, 'What the list shows');
  let g = await readGroup(page, BOB);
  assert.equal(g.tables[0].folder, 'INBOX');
  assert.match(g.tables[0].caption, /^INBOX · UIDVALIDITY \d+ · UIDNEXT 3$/);
  assert.deepEqual(g.tables[0].headings, ['UID', 'Message', 'On mx', "On Bob's laptop"]);
  // The first `* FETCH` of the list: UID 1 known to the laptop, with the `\Recent` the FETCH
  // said (a flag of its session, not stored); message 2 not yet (only SELECT's `* 2 EXISTS`).
  // One row per message on the server.
  assert.deepEqual(g.tables[0].rows.map((r) => [r.uid, r.cells.slice(1)]), [
    ['1', ['no flags', '\\Recent']],
    ['2', ['no flags', 'told it exists (* EXISTS), not fetched yet']],
  ]);

  await gotoPart(page, 'Read: \\Seen');
  g = await readGroup(page, BOB);
  const read = g.tables[0].rows.find((r) => r.cells[1] === '\\Seen');
  assert.ok(read, `a message is \\Seen on the server: ${JSON.stringify(g.tables[0].rows)}`);
  assert.match(read.cells[2], /\\Seen.*opened/, 'the laptop has it \\Seen and opened');
  assert.match(g.devices[0], /^Bob's laptop: INBOX open.* · on mx: INBOX selected$/);
  await shoot(page, 'reading-1366x768');

  // Stepping back is exact: one step before, the server had set \Seen (the FETCH of the
  // body) but its answer had not reached the laptop yet.
  await page.keyboard.press('ArrowLeft');
  g = await readGroup(page, BOB);
  assert.deepEqual(g.tables[0].rows[0].cells.slice(1), ['\\Seen', '\\Recent'], JSON.stringify(g.tables[0].rows));
  // The browser's Back goes back to the lite page's lesson the picker was used over.
  await page.goBack();
  await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
  assert.equal(new URL(page.url()).pathname, '/', 'the lite page again');
  await finish(context, errors, offsite);
});

for (const viewport of [{ width: 1366, height: 768 }, { width: 1920, height: 1080 }]) {
  const size = `${viewport.width}x${viewport.height}`;
  test(`Two devices, one mailbox, by its address on the lite page: the IDLE push on both devices (${size})`, { timeout: 180_000 }, async () => {
    const { context, errors, offsite, asked } = await contextRecordingFull(viewport);
    const page = await context.newPage();
    await page.goto(`${server.url}/#/lesson/two-devices-imap/step/3`);
    await inFullApp(page, 'two-devices-imap');
    assert.equal(asked.length, 1, 'the page went to full/ once');
    assert.equal(await page.evaluate((s) => document.querySelector(s).dataset.cursor, SEL.player), '3', 'at the same step');

    // The laptop is told first, then the phone: `* n EXISTS` in IDLE, no UID yet. The row is
    // the server's message (UID 3): no row of its own, as many rows as messages.
    await gotoPart(page, 'Pushed at once');
    let g = await readGroup(page, BOB);
    let inbox = g.tables.find((t) => t.folder === 'INBOX');
    assert.ok(!inbox.rows.some((r) => r.uid === '0'), `no row without UID: ${JSON.stringify(inbox.rows)}`);
    let dessert = inbox.rows.find((r) => r.uid === '3');
    assert.deepEqual(dessert.cells.slice(1), ['no flags', 'told it exists (* EXISTS), not fetched yet', 'not known']);

    await gotoPart(page, 'And to the phone');
    g = await readGroup(page, BOB);
    inbox = g.tables.find((t) => t.folder === 'INBOX');
    assert.deepEqual(inbox.headings, ['UID', 'Message', 'On mx', "On Bob's laptop", "On Bob's phone"]);
    dessert = inbox.rows.find((r) => r.subject.startsWith('Dessert?'));
    assert.ok(dessert, JSON.stringify(inbox.rows));
    assert.deepEqual(
      dessert.cells.slice(1),
      ['no flags', 'told it exists (* EXISTS), not fetched yet', 'told it exists (* EXISTS), not fetched yet'],
      'on the server, by UID 3',
    );
    assert.ok(!inbox.rows.some((r) => r.uid === '0'), `no row without UID: ${JSON.stringify(inbox.rows)}`);
    const lunch = inbox.rows.find((r) => r.subject.startsWith('Lunch on Friday?'));
    // The same flags everywhere; `\\Recent` only for the laptop, whose session was the first to
    // see the message (RFC 3501 §2.3.2).
    assert.deepEqual(lunch.cells.slice(1).map((c) => c.replace('opened (body downloaded)', '').trim()), [
      '\\Seen \\Flagged',
      '\\Seen \\Flagged \\Recent',
      '\\Seen \\Flagged',
    ]);
    // Two sessions on the server at once, one per device, each with INBOX selected.
    assert.equal(g.devices.length, 2, JSON.stringify(g.devices));
    assert.match(g.devices[0], /^Bob's laptop: INBOX open.* · on mx: INBOX selected$/);
    assert.match(g.devices[1], /^Bob's phone: INBOX open.* · on mx: INBOX selected$/);
    // The panel is on screen, not cut off: its last row is inside the window.
    const box = await page.locator(`${SEL.panel} [data-testid=imap-row]`).last().boundingBox();
    assert.ok(box && box.y >= 0, 'the panel\'s rows are laid out');
    // The explanation keeps its title; the panel shows its first row (the rest scrolls).
    const layout = await sideLayout(page, [SEL.panel]);
    assert.ok(layout.title, `the explanation's title is on screen: ${JSON.stringify(layout)}`);
    assert.ok(layout.panels[0].firstRowShows >= 16, `the panel's first row shows: ${JSON.stringify(layout)}`);
    await shoot(page, `two-devices-${size}`);
    await finish(context, errors, offsite);
  });
}

test('A question answered on a laptop: the verdict in the column, and the panel it speaks of keeps a row in sight', { timeout: 180_000 }, async () => {
  const { context, errors, offsite } = await contextRecordingFull();
  const page = await context.newPage();
  await page.goto(`${server.url}/full/#/lesson/two-devices-imap/step/0`);
  await inFullApp(page, 'two-devices-imap');
  // The part asks who tells the phone (its button goes to the question); its text then
  // points at the panel's list.
  await page.locator('[data-testid=narration] nav button[aria-label$=": The phone hears of it"]').click();
  await waitUntil(page, 'the question', () => document.activeElement?.matches('.predict-prompt'));
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=predict-verdict]').waitFor();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const layout = await sideLayout(page, [SEL.panel]);
  assert.ok(layout.title, `the explanation's title is on screen: ${JSON.stringify(layout)}`);
  assert.ok(layout.panels[0].firstRowShows >= 16, `the panel's first row shows: ${JSON.stringify(layout)}`);
  await shoot(page, 'two-devices-answered-1366');
  await finish(context, errors, offsite);
});

for (const viewport of [{ width: 1366, height: 768 }, { width: 1920, height: 1080 }]) {
  const size = `${viewport.width}x${viewport.height}`;
  test(`POP3 or IMAP?: the IMAP panel and the POP3 mail program panel, both on screen (${size})`, { timeout: 180_000 }, async () => {
    const { context, errors, offsite } = await contextRecordingFull(viewport);
    const page = await context.newPage();
    await page.goto(`${server.url}/#/lesson/pop3-or-imap/step/0`);
    await inFullApp(page, 'pop3-or-imap');
    const pop3 = '[data-testid=mail-programs]';
    // The parts whose narration is longest at 1366x768 (the panels have least room there),
    // and the one where the phone hears that the laptop's QUIT emptied its INBOX.
    for (const part of ['Download', "Marked, in POP3's way", "The phone's INBOX empties"]) {
      await gotoPart(page, part);
      const layout = await sideLayout(page, [SEL.panel, pop3]);
      assert.ok(layout.title, `${part}: the explanation's title is on screen: ${JSON.stringify(layout)}`);
      for (const [i, name] of ['IMAP panel', 'POP3 panel'].entries()) {
        assert.ok(layout.panels[i], `${part}: the ${name} is there`);
        assert.ok(layout.panels[i].firstRowShows >= 16, `${part}: the ${name}'s first row shows: ${JSON.stringify(layout)}`);
      }
    }
    const g = await readGroup(page, BOB);
    assert.deepEqual(g.devices, ["Bob's phone: INBOX open, in IDLE · on mx: INBOX selected"], 'the phone works with IMAP, the laptop with POP3');
    await shoot(page, `pop3-or-imap-${size}`);
    await finish(context, errors, offsite);
  });
}

test('Only the text: the BODYSTRUCTURE inspected as a MIME tree, by keyboard, then only part 1 is fetched', { timeout: 180_000 }, async () => {
  const { context, errors, offsite } = await contextRecordingFull();
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/attachments-over-imap/step/0`);
  await inFullApp(page, 'attachments-over-imap');
  await gotoPart(page, 'The structure');
  const open = page.locator('[data-testid=inspect-message]');
  assert.equal((await open.textContent()).trim(), 'Inspect the structure ›');
  await open.focus();
  await page.keyboard.press('Enter');
  const dialog = page.locator('[data-testid=message-dialog]');
  await dialog.waitFor({ state: 'visible' });
  const parts = await dialog.locator('[data-testid=structure-tree] li').evaluateAll((lis) =>
    lis.map((li) => `${li.querySelector('.part-no').textContent.trim()} ${li.querySelector('code').textContent.trim()}`),
  );
  assert.deepEqual(parts, ['whole multipart/mixed', '1 text/plain', '2 text/csv']);
  assert.match(await dialog.locator('[data-testid=structure-tree]').innerText(), /attachment “menu\.csv”/);
  await shoot(page, 'structure-1366x768');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  // The focus is back on what opened it.
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'inspect-message');
  await gotoPart(page, 'Only part 1');
  assert.match(await page.locator('.explanation-wire').innerText(), /UID FETCH 1 \(BODY\[1\]\)/);
  assert.match(await page.locator('[data-testid=explanation]').innerText(), /BODY\[n\]: One part of the message/);
  await finish(context, errors, offsite);
});
