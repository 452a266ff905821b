// The sequence diagram in the player, in headless Chromium against the release build in
// dist/: switched on with S (and the top bar's button), it shows one arrow per event up
// to the cursor, the current one marked and in sight inside its panel; stepping on and
// back adds and takes away arrows; presenter mode's PageDown drives it; the choice
// survives a reload; the network diagram comes back. Polls the page, never sleeps.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedContext, artifactPath, lessonShown, stepRight, openBuild, closeBuild } from './browser.mjs';

const FIRST_LOAD_TIMEOUT = 30_000;
const PLAYER = 'main[data-testid=player]';
const PANEL = '[data-testid=sequence-panel]';

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild());
});

after(() => closeBuild({ server, browser }));

/** What the sequence panel shows: its rows' numbers, the current one, whether that one
 * lies inside the panel's visible box (below the sticky host names), and the cursor. */
function seqState(page) {
  return page.evaluate(([player, panel]) => {
    const p = document.querySelector(panel);
    if (!p) return null;
    const rows = [...p.querySelectorAll('[data-testid=seq-row]')];
    const current = p.querySelector('[data-testid=seq-row][aria-current=step]');
    const box = p.getBoundingClientRect();
    const head = p.querySelector('.seq-head').getBoundingClientRect();
    const r = current?.getBoundingClientRect();
    return {
      cursor: Number(document.querySelector(player).dataset.cursor),
      rows: rows.length,
      last: rows.at(-1)?.querySelector('.seq-num').textContent.trim(),
      current: current?.querySelector('.seq-num').textContent.trim() ?? null,
      inSight: r ? r.top >= head.bottom - 1 && r.bottom <= box.bottom + 1 : null,
      hosts: [...p.querySelectorAll('.seq-host strong')].map((h) => h.textContent.trim()),
    };
  }, [PLAYER, PANEL]);
}

/** Waits until the sequence panel agrees with the cursor and its current row is in sight. */
async function inStep(page, cursor) {
  await page.waitForFunction(
    ([player, panel, cursor]) => {
      const p = document.querySelector(panel);
      if (!p || document.querySelector(player).dataset.cursor !== String(cursor)) return false;
      const rows = p.querySelectorAll('[data-testid=seq-row]');
      const current = p.querySelector('[aria-current=step]');
      if (rows.length !== cursor || (cursor > 0) !== !!current) return false;
      if (!current) return true;
      const box = p.getBoundingClientRect();
      const head = p.querySelector('.seq-head').getBoundingClientRect();
      const r = current.getBoundingClientRect();
      return r.top >= head.bottom - 1 && r.bottom <= box.bottom + 1;
    },
    [PLAYER, PANEL, cursor],
    { polling: 'raf', timeout: 10_000 },
  );
  return seqState(page);
}

test('the sequence view follows the cursor, step by step, and survives a reload', { timeout: 120_000 }, async () => {
  for (const viewport of [{ width: 1366, height: 768 }, { width: 1920, height: 1080 }]) {
    const { context, errors, offsite } = await isolatedContext(browser, server.url, { viewport });
    const page = await context.newPage();
    await page.goto(`${server.url}/#/lesson/sending-an-email/step/0`);
    await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
    assert.equal(await page.locator(PANEL).count(), 0, 'the network diagram first');
    await page.keyboard.press('s');
    await page.locator(PANEL).waitFor();
    assert.equal(await page.locator('svg[data-testid=diagram]').count(), 0, 'in place of the network diagram');
    assert.equal(await page.locator('[data-testid=sequence-button]').getAttribute('aria-pressed'), 'true');
    let s = await inStep(page, 0);
    assert.deepEqual(s.hosts, ["Alice's laptop", "Alice's provider", 'DNS resolver', "Bob's provider"]);
    assert.match(await page.locator(PANEL).innerText(), /Nothing has happened yet/);

    // Forward one step at a time, well past what the panel holds without scrolling.
    for (let i = 1; i <= 30; i++) {
      await stepRight(page);
      s = await inStep(page, i);
      assert.equal(s.current, String(i));
      assert.equal(s.last, String(i), 'nothing after the cursor is shown');
    }
    // The arrow of step 14 (the EHLO answer after STARTTLS) goes from the provider to the laptop.
    const row14 = page.locator(`${PANEL} [data-testid=seq-row]`).nth(13);
    assert.match(await row14.innerText(), /250-smtp\.example\.org greets laptop\.example\.org/);
    assert.equal(await row14.locator('.seq-arrow.left').count(), 1);
    await page.screenshot({ path: await artifactPath(`sequence-${viewport.width}x${viewport.height}.png`) });

    // Back, to the start, to the end.
    await page.keyboard.press('ArrowLeft');
    s = await inStep(page, 29);
    await page.keyboard.press('Home');
    s = await inStep(page, 0);
    await page.keyboard.press('End');
    const total = Number(await page.locator(PLAYER).getAttribute('data-total'));
    s = await inStep(page, total);

    // Presenter mode: the clicker's PageUp/PageDown drive it too.
    await page.keyboard.press('p');
    await page.waitForFunction(() => document.documentElement.hasAttribute('data-presenting'));
    await page.keyboard.press('PageUp');
    s = await inStep(page, total - 1);
    await page.keyboard.press('PageDown');
    s = await inStep(page, total);
    await page.keyboard.press('p');

    // The choice is kept: after a reload the sequence is still shown; S again, the network.
    await page.reload();
    await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
    await page.locator(PANEL).waitFor();
    await page.locator('[data-testid=sequence-button]').click();
    await page.locator('svg[data-testid=diagram]').waitFor();
    assert.equal(await page.locator(PANEL).count(), 0);
    await context.close();
    assert.deepEqual(errors, [], 'no errors in the page');
    assert.deepEqual(offsite, [], 'no request leaves the site');
  }
});

test('on a trace of 10,000 events the page holds a window of rows; earlier ones on demand', { timeout: 180_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}/?messages=213#/lesson/sending-an-email/step/5000`);
  await page.waitForFunction((p) => document.querySelector(p)?.dataset.cursor === '5000', PLAYER, { timeout: 120_000 });
  const rows = () => page.locator('[data-testid=transcript] > li').count();
  // WINDOW rows before the current one, from the start of a CHUNK (src/components/transcript.rs).
  const [WINDOW, CHUNK] = [64, 32];
  const first = await rows();
  assert.ok(first >= WINDOW && first < WINDOW + CHUNK, `a window of rows, not 5,000: ${first}`);
  const more = page.locator('[data-testid=earlier-rows]');
  assert.equal(await more.innerText(), `Show ${WINDOW} earlier steps`);
  await more.click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=transcript] > li').length > n, first);
  assert.equal(await rows(), first + WINDOW);
  // The current row is still the last one, and in sight.
  assert.equal(await page.locator('[data-testid=transcript] > li').last().getAttribute('aria-current'), 'step');
  // The sequence diagram keeps a window too, and says where the rest is.
  await page.keyboard.press('s');
  await page.locator(PANEL).waitFor();
  const arrows = await page.locator(`${PANEL} [data-testid=seq-row]`).count();
  assert.ok(arrows >= WINDOW && arrows < WINDOW + CHUNK, `a window of arrows: ${arrows}`);
  assert.match(await page.locator(`${PANEL} .seq-earlier`).innerText(), /^\d+ earlier steps: see the transcript$/);
  // Bob's mailbox lists its newest messages and counts them all.
  const bob = page.locator('[data-testid=mailbox][data-owner="bob@example.net"]');
  const held = Number(await bob.getAttribute('data-count'));
  assert.ok(held > 12, `Bob holds ${held}`);
  assert.equal(await bob.locator('.messages > li').count(), 12);
  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
});

test('in presenter mode at 1366x768 no host name runs into the next host\'s', { timeout: 60_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/sending-an-email/step/15`);
  await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
  await page.keyboard.press('p');
  await page.waitForFunction(() => document.documentElement.hasAttribute('data-presenting'));
  await page.keyboard.press('s');
  await page.locator(PANEL).waitFor();
  // Each host's label and name: whole in its column, or cut there (an ellipsis), never
  // drawn over the next column.
  const spilled = await page.evaluate(
    (panel) =>
      [...document.querySelectorAll(`${panel} .seq-host > *`)]
        .filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible')
        .map((e) => e.textContent),
    PANEL,
  );
  assert.deepEqual(spilled, []);
  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
});
