// The whole journey with the keyboard alone, in headless Chromium against the release
// build in dist/: from the home page into a lesson (Tab, Enter), stepping, answering a
// prediction, the message inspector opened and closed, the sequence diagram, presenter
// mode with a clicker's keys, and back home to see the progress. At every Tab stop the
// focused element must show a focus indicator and lie inside the window (WCAG 2.4.7,
// 2.4.11). Polls the page, never sleeps.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedContext, lessonShown, stepRight, openBuild, closeBuild } from './browser.mjs';

const FIRST_LOAD_TIMEOUT = 30_000;
const PLAYER = 'main[data-testid=player]';

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild());
});

after(() => closeBuild({ server, browser }));

/** The focused element: a description, whether it shows a focus ring (outline or box
 * shadow) and whether it lies inside the window. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { desc: 'body', ring: false, inWindow: false, testid: null };
    const s = getComputedStyle(el);
    const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
    const r = el.getBoundingClientRect();
    const inWindow = r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth && r.width > 0;
    const label = (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40);
    return { desc: `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''} "${label}"`, ring, inWindow, testid: el.dataset.testid ?? null };
  });
}

/** At a question (the keyboard on its prompt): Tab to the first choice, and Enter. */
async function answerFirst(page) {
  // The focus comes with the render's effects, which may follow the render a moment later.
  await page.waitForFunction(() => document.activeElement?.classList.contains('predict-prompt'));
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=predict-verdict]').waitFor();
}

/** Presses Tab until `done(focus)` holds, checking every stop on the way. */
async function tabUntil(page, what, done, limit = 120) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    // Past the last control Tab leaves the page (the browser's own controls), then
    // comes back to the first.
    if (f.desc === 'body') continue;
    assert.ok(f.ring, `a visible focus ring on ${f.desc}`);
    assert.ok(f.inWindow, `the focused ${f.desc} is inside the window`);
    if (await done(f)) return f;
  }
  throw new Error(`${what}: not reached in ${limit} Tab presses`);
}

const cursor = (page) => page.locator(PLAYER).getAttribute('data-cursor').then(Number);

test('the whole journey with the keyboard alone, focus always visible', { timeout: 180_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.locator('[data-testid=home]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });

  // Home: the big button starts the first lesson.
  await tabUntil(page, 'the Start button', (f) => f.testid === 'continue');
  await page.keyboard.press('Enter');
  await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);

  // A button reached with Tab keeps Space, as on any page: Step forward steps, it does
  // not play (Space plays only on the page itself or after a mouse click).
  await tabUntil(page, 'Step forward', (f) => f.testid === 'step-forward');
  const start = await cursor(page);
  await page.keyboard.press('Space');
  await page.waitForFunction(([p, c]) => document.querySelector(p).dataset.cursor === String(c + 1), [PLAYER, start]);
  assert.equal(await page.locator('[data-testid=play]').getAttribute('aria-pressed'), 'false', 'Space on Step forward does not play');

  // Step until the first question takes the keyboard: its prompt has it (a choice with the
  // focus ring would read as a hint); Tab goes to the first choice; Space, the key that
  // presses a button, answers (Enter does too, below).
  for (let i = 0; i < 80; i++) {
    if ((await page.locator('[data-testid=predict] .choice').count()) > 0) break;
    await page.keyboard.press('ArrowRight');
  }
  await page.waitForFunction(() => document.activeElement?.classList.contains('predict-prompt'));
  let f = await focused(page);
  assert.ok(f.ring && f.inWindow, `the question shows the focus: ${f.desc}`);
  assert.equal(await page.locator('[data-testid=predict] .choice:focus').count(), 0, 'no choice has the focus');
  await page.keyboard.press('Tab');
  f = await focused(page);
  assert.ok(f.ring && (await page.evaluate(() => document.activeElement === document.querySelector('[data-testid=predict] .choice'))), `Tab goes to the first choice: ${f.desc}`);
  const before = await cursor(page);
  await page.keyboard.press('Space');
  await page.locator('[data-testid=predict-verdict]').waitFor();
  assert.equal(await page.locator('[data-testid=play]').getAttribute('aria-pressed'), 'false', 'Space answered, it did not play');
  assert.equal(await cursor(page), before + 1, 'answering shows the event');

  // On to the message: its explanation offers the inspector.
  for (let i = 0; i < 80 && (await page.locator('[data-testid=inspect-message]').count()) === 0; i++) {
    await page.keyboard.press('ArrowRight');
    if ((await page.locator('[data-testid=predict] .choice').count()) > 0) await answerFirst(page);
  }
  await tabUntil(page, 'Inspect this message', (f) => f.testid === 'inspect-message');
  await page.keyboard.press('Enter');
  const dialog = page.locator('[data-testid=message-dialog]');
  await dialog.waitFor();
  assert.ok(await page.evaluate(() => !!document.activeElement?.closest('[data-testid=message-dialog]')), 'the focus is in the dialog');
  await tabUntil(page, 'a view of the inspector', (f) => f.desc.includes('Header and hops'), 10);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=inspect-view]').waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  f = await focused(page);
  assert.equal(f.testid, 'inspect-message', 'the focus is back on what opened the dialog');

  // The sequence diagram and back.
  await page.keyboard.press('s');
  await page.locator('[data-testid=sequence-panel]').waitFor();
  const at = await cursor(page);
  await page.keyboard.press('ArrowRight');
  if ((await page.locator('[data-testid=predict] .choice').count()) > 0) await answerFirst(page);
  await page.waitForFunction(([p, c]) => Number(document.querySelector(p).dataset.cursor) > c, [PLAYER, at]);
  await page.keyboard.press('s');
  await page.locator('svg[data-testid=diagram]').waitFor();

  // Presenter mode: PageDown and PageUp, then P again.
  await page.keyboard.press('p');
  await page.waitForFunction(() => document.documentElement.hasAttribute('data-presenting'));
  const here = await cursor(page);
  await page.keyboard.press('PageUp');
  await page.waitForFunction(([p, c]) => document.querySelector(p).dataset.cursor === String(c - 1), [PLAYER, here]);
  await page.keyboard.press('PageDown');
  await page.waitForFunction(([p, c]) => document.querySelector(p).dataset.cursor === String(c), [PLAYER, here]);
  await page.keyboard.press('p');
  await page.waitForFunction(() => !document.documentElement.hasAttribute('data-presenting'));

  // On the timeline too, a clicker's PageUp and PageDown step one back and one on (the
  // slider's own would jump a tenth of the lesson).
  await page.locator('[data-testid=timeline]').focus();
  await page.keyboard.press('PageUp');
  await page.waitForFunction(([p, c]) => document.querySelector(p).dataset.cursor === String(c - 1), [PLAYER, here]);
  await page.keyboard.press('PageDown');
  await page.waitForFunction(([p, c]) => document.querySelector(p).dataset.cursor === String(c), [PLAYER, here]);

  // Home by the brand link, reached with Shift+Tab (it comes first on the page).
  for (let i = 0; i < 150 && (await focused(page)).testid !== 'home-link'; i++) {
    await page.keyboard.press('Shift+Tab');
    f = await focused(page);
    if (f.desc === 'body') continue;
    assert.ok(f.ring, `a visible focus ring on ${f.desc}`);
    assert.ok(f.inWindow, `the focused ${f.desc} is inside the window`);
  }
  assert.equal((await focused(page)).testid, 'home-link');
  const step = await cursor(page);
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=home]').waitFor();
  const status = page.locator('.lesson-card[data-lesson=sending-an-email] [data-testid=lesson-status]');
  assert.match(await status.innerText(), new RegExp(`^Reached step ${step} of \\d+$`));
  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
});

// On a slow machine a step takes longer than a frame, and the renderer gives the browser
// the thread back on the way (yew's scheduler yields after 16 ms): a frame may be painted
// there. Each such state must be whole: the transcript's current row is the player's step,
// never none (a step back showed none) and never two (a step on showed two). A mutation
// observer sees the page at every point where script gave the thread back.
test('on a slow laptop the page is never painted half-stepped: one current row, the player’s', { timeout: 240_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/sending-an-email/step/0`);
  await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
  await page.evaluate((player) => {
    window.__halfStepped = [];
    const check = () => {
      const at = Number(document.querySelector(player)?.dataset.cursor);
      const current = [...document.querySelectorAll('[data-testid=transcript-row][aria-current=step]')].map((r) => Number(r.dataset.index));
      const whole = at === 0 ? current.length === 0 : current.length === 1 && current[0] === at - 1;
      if (!whole) window.__halfStepped.push(`cursor ${at}, current rows [${current}]`);
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    // The scheduler yields with setTimeout(…, 0) (looked up at each call by the glue): counted,
    // so that the check cannot pass on a machine too fast ever to yield.
    window.__yields = 0;
    const setTimeoutWas = window.setTimeout;
    window.setTimeout = (f, ms, ...rest) => {
      if (!ms) window.__yields += 1;
      return setTimeoutWas(f, ms, ...rest);
    };
  }, PLAYER);
  const reach = (n) => page.waitForFunction(([p, c]) => document.querySelector(p).dataset.cursor === String(c), [PLAYER, n], { timeout: 30_000 });
  const total = Number(await page.locator(PLAYER).getAttribute('data-total'));
  await page.keyboard.press('End');
  await reach(total);
  // Slow enough that every step runs past the scheduler's 16 ms (it failed at 6× already).
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 8 });
  for (let i = 1; i <= 4; i++) {
    await page.keyboard.press('ArrowLeft');
    await reach(total - i);
  }
  for (let i = 3; i >= 0; i--) {
    await stepRight(page);
    await page.waitForFunction(([p, c]) => Number(document.querySelector(p).dataset.cursor) >= c, [PLAYER, total - i], { timeout: 30_000 });
  }
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  assert.ok((await page.evaluate(() => window.__yields)) > 0, 'the renderer gave the thread back during the steps');
  assert.deepEqual(await page.evaluate(() => window.__halfStepped), [], 'every state the browser could paint is a whole step');
  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
});

test('? lists the keys: they drive the lesson with the list open; Esc, Close or a click elsewhere closes it', { timeout: 120_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/sending-an-email/step/6`);
  await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
  const list = page.locator('[data-testid=keys-help]');
  const open = () => list.evaluate((l) => l.matches(':popover-open'));
  assert.equal(await open(), false);
  await page.keyboard.press('?');
  await page.waitForFunction(() => document.querySelector('[data-testid=keys-help]').matches(':popover-open'));
  // The keys as the list names them (tied to the player's shortcuts by a unit test).
  assert.deepEqual(await list.locator('dt').allInnerTexts(), ['→ or Page Down', '← or Page Up', 'Shift+→  Shift+←', 'Space', 'Home  End', '↑ ↓', 'S', 'P or F5', '?']);
  assert.equal(await page.getByRole('region', { name: 'Keys' }).count(), 1, 'a region named Keys');
  // It has the focus, on its Close button, where a screen reader starts reading it.
  let f = await focused(page);
  assert.match(f.desc, /^button "Close"/);
  assert.ok(f.ring && f.inWindow, JSON.stringify(f));
  // A key tried with the list in sight does what it says.
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((sel) => document.querySelector(sel).dataset.cursor === '7', PLAYER);
  assert.equal(await open(), true, 'still open');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid=keys-help]').matches(':popover-open'));
  // Opened with nothing focused, it gives the focus to its button, not back to the page's start.
  assert.equal((await focused(page)).testid, 'keys-button', 'the focus on the ? button');
  // The button opens it too; Enter on Close closes it, and the focus goes back to the button.
  await page.locator('[data-testid=keys-button]').click();
  assert.equal(await open(), true);
  f = await focused(page);
  assert.match(f.desc, /^button "Close"/);
  await page.keyboard.press('Enter');
  assert.equal(await open(), false, 'Close closed it');
  assert.equal((await focused(page)).testid, 'keys-button');
  // A click elsewhere closes it.
  await page.keyboard.press('?');
  await page.mouse.click(5, 300);
  assert.equal(await open(), false);
  // Presenting, Esc closes the list first: the presentation goes on.
  await page.keyboard.press('p');
  await page.locator('html[data-presenting]').waitFor({ state: 'attached' });
  await page.keyboard.press('?');
  await page.waitForFunction(() => document.querySelector('[data-testid=keys-help]').matches(':popover-open'));
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('[data-testid=keys-help]').matches(':popover-open'));
  assert.equal(await page.locator('html[data-presenting]').count(), 1, 'still presenting');
  assert.deepEqual(errors, []);
  assert.deepEqual(offsite, []);
  await context.close();
});
