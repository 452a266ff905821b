// Issue 11, "the player, ready for a real class": what a newcomer tripped on, each as a
// check in headless Chromium against the release build in dist/ (scripts/build.sh).
// Window sizes: 1366x768 and 1024x768 (a laptop and a projector), 125 % and 150 % zoom
// (a smaller CSS viewport with a larger deviceScaleFactor), and a 375 px phone.
//
// Like journey.test.mjs it follows the DOM contract (data-testid, ARIA) and polls the
// page (waitForFunction), never sleeps. Screenshots of every part go to
// tests/e2e/artifacts/ (gitignored) to be looked at.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedContext, artifactPath, lessonShown, stepRight, openBuild, closeBuild } from './browser.mjs';

const FIRST_LOAD_TIMEOUT = 30_000;
const TIMEOUT = 15_000;
const LESSONS = ['sending-an-email', 'a-bounce', 'retrieving-mail-with-pop3', 'keeping-mail-on-the-server', 'connection-drops-before-quit', 'the-pop3-lock', 'the-whole-journey', 'full-mailbox', 'too-big', 'unknown-domain', 'no-mx', 'logging-in', 'end-of-data', 'starttls', 'when-starttls-fails', 'greylisting', 'days-later', 'two-failures', 'relaying', 'bcc', 'trusted-network', 'reading-a-bounce', 'dns-and-mx', 'email-myths', 'anatomy-of-a-message'];

const SIZES = {
  laptop: { viewport: { width: 1366, height: 768 } },
  projector: { viewport: { width: 1024, height: 768 } },
  zoom125: { viewport: { width: 1093, height: 614 }, deviceScaleFactor: 1.25 },
  zoom150: { viewport: { width: 911, height: 512 }, deviceScaleFactor: 1.5 },
  phone: { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2 },
};

const SEL = {
  player: 'main[data-testid=player]',
  play: '[data-testid=play]',
  stepForward: '[data-testid=step-forward]',
  narration: '[data-testid=narration]',
  narrationBody: '[data-testid=narration-body]',
  partCounter: '[data-testid=part-counter]',
  announcer: '[data-testid=part-announcer]',
  picker: 'select[data-testid=lesson-picker]',
  speed: 'select[data-testid=speed]',
  stopAtParts: 'input[data-testid=stop-at-parts]',
  diagram: 'svg[data-testid=diagram]',
  dialog: '[data-testid=message-dialog]',
  messageText: '[data-testid=message-text]',
  row: '[data-testid=transcript-row]',
};

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild());
});

after(() => closeBuild({ server, browser }));

/** A fresh page of a fresh context (no settings kept) at `size`, opened at `hash`. */
async function open(size, hash, extra = {}) {
  const { context, errors } = await isolatedContext(browser, server.url, { ...SIZES[size], ...extra });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await page.goto(`${server.url}/${hash}`);
  await page.locator(SEL.player).waitFor({ state: 'visible', timeout: FIRST_LOAD_TIMEOUT });
  await page.locator(`${SEL.player}:not([aria-busy])`).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  return { page, context, errors };
}

async function waitUntil(page, what, predicate, arg, timeout = TIMEOUT) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 'raf' });
  } catch (err) {
    const state = await page
      .evaluate((s) => ({ hash: location.hash, cursor: document.querySelector(s)?.dataset.cursor, active: document.activeElement?.outerHTML.slice(0, 120) }), SEL.player)
      .catch(() => '(unavailable)');
    throw new Error(`timed out waiting for ${what}; page: ${JSON.stringify(state)}\n${err.message.split('\n')[0]}`);
  }
}

const cursorOf = (page) => page.evaluate((s) => Number(document.querySelector(s).dataset.cursor), SEL.player);
const waitCursor = (page, n) =>
  waitUntil(page, `cursor ${n}`, ([s, n]) => document.querySelector(s)?.dataset.cursor === String(n), [SEL.player, n]);
const waitPlaying = (page, playing) =>
  waitUntil(page, `aria-pressed=${playing}`, ([s, p]) => document.querySelector(s)?.getAttribute('aria-pressed') === p, [SEL.play, String(playing)]);

/** Where every part of the lesson starts: read from the parts strip's buttons. */
async function partCount(page) {
  return page.locator(`${SEL.narration} nav li button`).count();
}

/** Goes to the start of part `i` (0-based) with its chip in the parts strip, and waits for it. */
async function gotoPart(page, i) {
  await page.locator(`${SEL.narration} nav li button`).nth(i).click();
  // A part whose question is not answered yet stops at the question: "Show me" passes it.
  await passQuestion(page, i, () => page.locator('[data-testid=predict-skip]').click());
}

/** Waits for part `i` (from 0), or its question first, which `pass` then passes. */
async function passQuestion(page, i, pass) {
  const at = ([s, n]) => (document.querySelector(s)?.textContent ?? '').startsWith(`Part ${n} `);
  await waitUntil(page, `part ${i + 1} or its question`, ([s, n]) => (document.querySelector(s)?.textContent ?? '').startsWith(`Part ${n} `) || !!document.querySelector('[data-testid=predict-skip]'), [SEL.partCounter, i + 1]);
  const asked = () => page.locator('[data-testid=predict-skip]').count();
  const stopped = !(await page.evaluate(at, [SEL.partCounter, i + 1]));
  if (stopped) await pass();
  await waitUntil(page, `part ${i + 1}`, at, [SEL.partCounter, i + 1]);
  // A question may also be due at the end of the part reached (its event is the next one):
  // true when a question is, or was, asked on the way.
  return stopped || (await asked()) > 0;
}

/**
 * Is `selector` wholly on screen: inside the window and not cut by any scrolling or
 * clipping ancestor? Returns a reason when not.
 */
function visibility(page, selector) {
  return page.evaluate((selector) => {
    const el = document.querySelector(selector);
    if (!el) return 'missing';
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return 'no size';
    const fuzz = 1;
    if (r.top < -fuzz || r.left < -fuzz || r.bottom > innerHeight + fuzz || r.right > innerWidth + fuzz) {
      return `outside the window: ${JSON.stringify(r)} in ${innerWidth}x${innerHeight}`;
    }
    for (let a = el; a && a !== document.documentElement; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.display === 'contents') continue;
      if (a !== el && style.overflowY !== 'visible') {
        const c = a.getBoundingClientRect();
        if (r.top < c.top - fuzz || r.bottom > c.bottom + fuzz) return `cut by ${a.className || a.tagName}: ${r.top}-${r.bottom} in ${c.top}-${c.bottom}`;
      }
      if (a.scrollHeight > a.clientHeight + 1 && style.overflowY !== 'visible' && a === el) {
        return `scrolls inside: ${a.scrollHeight} > ${a.clientHeight}`;
      }
      // A modal dialog is drawn in the top layer: nothing around it clips it.
      if (a.tagName === 'DIALOG') break;
    }
    return 'ok';
  }, selector);
}

/** Waits until `selector` has kept the same scroll position for ten frames (keyboard scrolling is animated). */
function settled(page, selector) {
  return waitUntil(
    page,
    `${selector} to stop scrolling`,
    (s) => {
      const top = document.querySelector(s).scrollTop;
      const w = (window.__settle ??= { top: -1, frames: 0 });
      w.frames = w.top === top ? w.frames + 1 : 0;
      w.top = top;
      return w.frames >= 10;
    },
    selector,
  );
}

/** SVG text elements that reach outside the diagram's box (with their text). */
function textOutsideDiagram(page) {
  return page.evaluate((s) => {
    const svg = document.querySelector(s);
    const box = svg.getBoundingClientRect();
    return [...svg.querySelectorAll('text')]
      .map((t) => ({ t, r: t.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5))
      .map(({ t, r }) => `${t.textContent} [${Math.round(r.left)}..${Math.round(r.right)} in ${Math.round(box.left)}..${Math.round(box.right)}]`);
  }, SEL.diagram);
}

// ---------------------------------------------------------------------- 1 --

for (const size of ['laptop', 'projector', 'zoom150']) {
  test(`1. the whole bounce can be read in the dialog (${size})`, async () => {
    const { page, context, errors } = await open(size, '#/lesson/a-bounce/step/999');
    await page.locator('[data-testid=mailbox][data-owner="alice@example.org"] button').first().click();
    await page.locator(SEL.dialog).waitFor({ state: 'visible' });
    assert.equal(await visibility(page, SEL.dialog), 'ok', 'the dialog fits the window');
    assert.equal(await visibility(page, `${SEL.dialog} button`), 'ok', 'its Close button is on screen');
    // Read it with PageDown to the end, noting every line that was wholly in sight.
    const seen = new Set();
    const look = async () => {
      const lines = await page.evaluate((s) => {
        const text = document.querySelector(s);
        const box = text.getBoundingClientRect();
        return [...text.querySelectorAll('.msg-line')]
          .filter((l) => {
            const r = l.getBoundingClientRect();
            return r.top >= box.top - 1 && r.bottom <= box.bottom + 1 && r.bottom <= innerHeight;
          })
          .map((l) => l.textContent.trim());
      }, SEL.messageText);
      lines.forEach((l) => seen.add(l.split(':')[0]));
    };
    await look();
    for (let i = 0; i < 40; i++) {
      const atEnd = await page.evaluate((s) => {
        const t = document.querySelector(s);
        return t.scrollTop + t.clientHeight >= t.scrollHeight - 1;
      }, SEL.messageText);
      if (atEnd) break;
      const before = await page.evaluate((s) => document.querySelector(s).scrollTop, SEL.messageText);
      await page.keyboard.press('PageDown');
      await waitUntil(page, 'PageDown to scroll the message', ([s, b]) => document.querySelector(s).scrollTop > b, [SEL.messageText, before]);
      await settled(page, SEL.messageText);
      await look();
    }
    for (const field of ['Final-Recipient', 'Action', 'Status', 'Return-Path']) {
      assert.ok(seen.has(field), `${field} was in sight at some point (seen: ${[...seen].join(', ')})`);
    }
    // Home goes back up, and the wheel scrolls too.
    await page.keyboard.press('Home');
    await waitUntil(page, 'Home to scroll up', (s) => document.querySelector(s).scrollTop === 0, SEL.messageText);
    const box = await page.locator(SEL.messageText).boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 300);
    await waitUntil(page, 'the wheel to scroll the message', (s) => document.querySelector(s).scrollTop > 0, SEL.messageText);
    if (size === 'projector') await page.screenshot({ path: await artifactPath(`dialog-bounce-${size}.png`) });
    // The inspector's views, one after the other: the tabs stay where they were clicked
    // (the dialog was as tall as each view, and moved them by 160 px).
    const tabs = page.locator(`${SEL.dialog} .inspect-tabs`);
    const top = async () => Math.round((await tabs.boundingBox()).y);
    const first = await top();
    for (const button of await tabs.locator('button').all()) {
      await button.click();
      await page.waitForFunction((b) => b.getAttribute('aria-pressed') === 'true', await button.elementHandle());
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.equal(await top(), first, `the tabs stayed put after ${await button.innerText()}`);
      assert.doesNotMatch(await page.locator('#message-dialog-note').innerText(), /Scroll to read/);
    }
    await page.keyboard.press('Escape');
    await page.locator(SEL.dialog).waitFor({ state: 'detached' });
    const total = Number(await page.locator(SEL.player).getAttribute('data-total'));
    assert.equal(await cursorOf(page), total, 'the page did not move while reading');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

// ---------------------------------------------------------------------- 2 --

test('2. after choosing a lesson in the picker, → ← and Space drive the lesson', async () => {
  const { page, context } = await open('laptop', '#/lesson/sending-an-email/step/0');
  await page.locator(SEL.picker).focus();
  // The arrows on the closed picker do nothing (Space or Alt+↓ opens its list): they do
  // not load lesson after lesson (the value would change, and the lesson with it, at each press).
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Escape');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await page.locator(SEL.picker).inputValue(), 'sending-an-email');
  assert.ok((await page.evaluate(() => location.hash)).startsWith('#/lesson/sending-an-email'), 'still the first lesson');
  await page.locator(SEL.picker).focus();
  await page.locator(SEL.picker).selectOption('a-bounce');
  await waitUntil(page, 'the bounce lesson', () => location.hash.includes('a-bounce') && document.title.includes('bounce'));
  await page.keyboard.press('ArrowRight');
  await waitCursor(page, 1);
  await page.keyboard.press('ArrowRight');
  await waitCursor(page, 2);
  await page.keyboard.press('ArrowLeft');
  await waitCursor(page, 1);
  await waitUntil(page, 'still the bounce lesson', () => location.hash === '#/lesson/a-bounce/step/1');
  await page.keyboard.press('Space');
  await waitPlaying(page, true);
  await page.keyboard.press('Space');
  await waitPlaying(page, false);
  assert.equal(await page.locator(SEL.picker).inputValue(), 'a-bounce');
  await context.close();
});

// ------------------------------------------------------------------- 3, 5 --

for (const size of ['laptop', 'projector']) {
  test(`3. every part's narration is wholly on screen (${size}), with screenshots`, async () => {
    const { page, context } = await open(size, '#/lesson/sending-an-email/step/0');
    for (const lesson of LESSONS) {
      await page.goto(`${server.url}/#/lesson/${lesson}/step/0`);
      await lessonShown(page, lesson);
      const parts = await partCount(page);
      assert.ok(parts > 5);
      for (let i = 0; i < parts; i++) {
        await gotoPart(page, i);
        const why = await visibility(page, SEL.narrationBody);
        await page.screenshot({ path: await artifactPath(`part-${lesson}-${String(i + 1).padStart(2, '0')}-${size}.png`) });
        assert.equal(why, 'ok', `${lesson} part ${i + 1} at ${size}`);
        assert.equal(await visibility(page, `${SEL.narration} h2`), 'ok', `title of ${lesson} part ${i + 1}`);
        assert.equal(await visibility(page, SEL.partCounter), 'ok', `part counter of ${lesson} part ${i + 1}`);
      }
    }
    await context.close();
  });
}

// A part that sends the class to a mailbox keeps it in sight beside its whole narration on
// a school laptop: the column used to overflow, the mailbox below its fold.
test('3. the mailbox a part talks about is in sight beside its narration (laptop)', async () => {
  const { page, context } = await open('laptop', '#/lesson/relaying/step/0');
  const cases = [
    // "Open it and read the Received: lines": the button that opens it.
    ['relaying', 9, '.mailbox[data-owner="bob@example.net"] .message-open'],
    // "Watch the panel Bob's mail under the explanation": the panel, whole.
    ['retrieving-mail-with-pop3', 1, '[data-testid=mail-programs]'],
  ];
  for (const [lesson, part, selector] of cases) {
    await page.goto(`${server.url}/#/lesson/${lesson}/step/0`);
    await lessonShown(page, lesson);
    await gotoPart(page, part - 1);
    assert.equal(await visibility(page, SEL.narrationBody), 'ok', `${lesson} part ${part}: its narration`);
    assert.equal(await visibility(page, selector), 'ok', `${lesson} part ${part}: ${selector}`);
  }
  await context.close();
});

for (const size of ['zoom125', 'zoom150']) {
  test(`5. at ${size} the header, diagram, narration and controls are in view`, async () => {
    const { page, context } = await open(size, '#/lesson/sending-an-email/step/23');
    await waitCursor(page, 23);
    // The transcript scrolls to the current row: the page itself must not scroll.
    await waitUntil(page, 'the current row in view', () => !!document.querySelector('[aria-current=step]'));
    assert.equal(await page.evaluate(() => scrollY), 0, 'the page is not scrolled');
    for (const sel of ['header', SEL.diagram, SEL.narrationBody, SEL.play, SEL.speed]) {
      assert.equal(await visibility(page, sel), 'ok', `${sel} at ${size}`);
    }
    // Part by part with the keyboard (⇧→), as a presenter would.
    await page.keyboard.press('Home');
    await waitCursor(page, 0);
    const parts = await partCount(page);
    let questions = 0;
    for (let i = 0; i < parts; i++) {
      // ⇧→ stops at a question first; a second ⇧→ passes it.
      if (i > 0) await page.keyboard.press('Shift+ArrowRight');
      if (await passQuestion(page, i, () => page.keyboard.press('Shift+ArrowRight'))) questions += 1;
      assert.equal(await visibility(page, SEL.narrationBody), 'ok', `part ${i + 1} at ${size}`);
      assert.equal(await visibility(page, SEL.partCounter), 'ok', `part counter of part ${i + 1} at ${size}`);
      assert.equal(await visibility(page, SEL.play), 'ok', `Play at part ${i + 1} at ${size}`);
      if (i === 11) await page.screenshot({ path: await artifactPath(`zoom-${size}-part12.png`) });
    }
    assert.equal(questions, 2, 'both questions of the lesson asked on the way, none jumped over');
    const sizes = await page.evaluate(() => {
      const px = (s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize);
      return { row: px('[data-testid=transcript-row] .wire'), time: px('.row-time'), part: px('.outline-step') };
    });
    assert.ok(sizes.row >= 17 && sizes.time >= 15 && sizes.part >= 14, JSON.stringify(sizes));
    await context.close();
  });
}

for (const [size, presenting] of [['laptop', false], ['projector', true]]) {
  test(`5. answering a question by keys moves nothing: the page stays put (${size}${presenting ? ', presenting' : ''})`, async () => {
    const { page, context } = await open(size, '#/lesson/a-bounce/step/0');
    if (presenting) {
      await page.keyboard.press('p');
      await waitUntil(page, 'presenter mode', () => document.documentElement.hasAttribute('data-presenting'));
    }
    for (let i = 0; i < 80 && !(await page.locator('[data-testid=predict-skip]').count()); i++) {
      await page.keyboard.press('ArrowRight');
    }
    // The question has the focus: Tab goes to the first choice, Enter answers, and the
    // explanation of the event (with its RFC link) comes in the column.
    await waitUntil(page, 'the focus on the question', () => !!document.activeElement?.matches('.predict-prompt'));
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await waitUntil(page, 'the verdict', () => !!document.querySelector('[data-testid=predict-verdict]'));
    await settled(page, 'html');
    const page_ = await page.evaluate(() => ({ y: scrollY, tall: document.scrollingElement.scrollHeight - innerHeight }));
    assert.deepEqual(page_, { y: 0, tall: 0 }, 'the page neither scrolled nor grew taller than the window');
    if (presenting) {
      // On with the clicker: the card goes, and its focus to the narration, not to Play,
      // which would bring the controls up over the projected page.
      const cursor = await cursorOf(page);
      await page.keyboard.press('ArrowRight');
      await waitCursor(page, cursor + 1);
      await waitUntil(page, 'the focus on the narration', (s) => !!document.activeElement?.matches(s), SEL.narration);
      await page.keyboard.press('ArrowRight');
      await waitCursor(page, cursor + 2);
      assert.equal(await page.evaluate(() => !!document.querySelector('.controls:focus-within')), false, 'the controls keep out of the way');
    }
    await context.close();
  });
}

for (const size of ['projector', 'laptop']) {
  test(`5. at ${size} size no lesson's top bar runs off the window: its title gives way`, async () => {
    const { page, context } = await open(size, '#/lesson/sending-an-email/step/0');
    for (const lesson of LESSONS) {
      await page.goto(`${server.url}/#/lesson/${lesson}/step/0`);
      await lessonShown(page, lesson);
      const wide = await page.evaluate(() => document.scrollingElement.scrollWidth - innerWidth);
      assert.equal(wide, 0, `${lesson}: nothing wider than the window`);
      for (const sel of ['.step-counter', '[data-testid=present]']) {
        assert.equal(await visibility(page, sel), 'ok', `${lesson}: ${sel} at ${size}`);
      }
      // The summary takes only what the title leaves: the title as wide with it as without.
      const title = await page.evaluate(() => {
        const width = () => document.querySelector('.lesson-picker select').getBoundingClientRect().width;
        const summary = document.querySelector('.lesson-summary');
        const [shown, stub] = [width(), summary && getComputedStyle(summary).display !== 'none' ? summary.getBoundingClientRect().width : null];
        if (summary) summary.style.display = 'none';
        const alone = width();
        if (summary) summary.style.display = '';
        return { shown, alone, stub };
      });
      assert.ok(Math.abs(title.shown - title.alone) < 1, `${lesson} at ${size}: the title gives way to the summary: ${JSON.stringify(title)}`);
    }
    // A title cut by the bar is marked as cut (…), not just clipped.
    assert.equal(await page.locator('.lesson-picker select').evaluate((s) => getComputedStyle(s).textOverflow), 'ellipsis');
    await context.close();
  });
}

test('5. presenting on a 1024 px projector, the lesson\'s title is shown whole', async () => {
  const { page, context } = await open('projector', '#/lesson/sending-an-email/step/0');
  await page.locator('[data-testid=present]').click();
  await page.locator('html[data-presenting]').waitFor({ state: 'attached' });
  // Its width as shown, against the width it takes with all the room it wants.
  const title = await page.evaluate(() => {
    const select = document.querySelector('.lesson-picker select');
    const shown = select.getBoundingClientRect().width;
    const saved = select.style.cssText;
    select.style.cssText += ';flex:none;width:auto;max-width:none;min-width:max-content';
    const whole = select.getBoundingClientRect().width;
    select.style.cssText = saved;
    return { shown, whole, overflow: document.scrollingElement.scrollWidth - innerWidth };
  });
  assert.ok(title.shown >= title.whole - 1, `the title cut: ${JSON.stringify(title)}`);
  assert.equal(title.overflow, 0, 'nothing wider than the window');
  // The logo stands for the name on screen; the link is still called Mailroom.
  assert.equal(await page.getByRole('link', { name: /^Mailroom\s*:\s*all lessons$/ }).count(), 1, await page.locator('[data-testid=home-link]').evaluate((a) => a.textContent));
  await context.close();
});

test('5. presenting on a 1280x720 projector, a transcript row\'s line has the column\'s width, the eavesdropper\'s box beside the title', async () => {
  const { page, context } = await open('projector', '#/lesson/sending-an-email/step/6', { viewport: { width: 1280, height: 720 } });
  await page.keyboard.press('p');
  await page.locator('html[data-presenting]').waitFor({ state: 'attached' });
  const box = (s) => page.locator(s).first().evaluate((e) => e.getBoundingClientRect().toJSON());
  const list = await box('.transcript');
  const wire = await box(`${SEL.row}.current .wire`);
  // Time and route above the line (they took half the column, and EHLO's line broke in two).
  assert.ok(wire.width > list.width * 0.8, `the line's width ${wire.width} of ${list.width}`);
  assert.ok(wire.height < 40, `"EHLO laptop.example.org" on one line: ${wire.height} px`);
  const title = await box('#transcript-heading');
  const toggle = await box('.eavesdropper-toggle');
  assert.ok(toggle.top < title.bottom && toggle.bottom > title.top, `on the title's line: ${JSON.stringify({ title, toggle })}`);
  await page.screenshot({ path: await artifactPath('presenting-1280x720.png') });
  // Not presenting, the same window keeps one line a row (the column is wide enough).
  await page.keyboard.press('p');
  await page.locator('html:not([data-presenting])').waitFor({ state: 'attached' });
  const time = await box(`${SEL.row}.current .row-time`);
  const line = await box(`${SEL.row}.current .wire`);
  assert.ok(Math.abs(time.top - line.top) < 8, `time and line side by side: ${JSON.stringify({ time, line })}`);
  await context.close();
});

// Presenter mode's large type on a 1366x768 projector: a long part's text alone filled the
// column, and the explanation and the POP3 or IMAP panel it talks about went below its fold.
test('5. presenting on a 1366x768 projector, a long part gives way: the explanation and the mail panel stay in sight', async () => {
  for (const [lesson, cursor, panel] of [
    ['retrieving-mail-with-pop3', 14, '[data-testid=mail-programs] .mail-group'],
    ['two-devices-imap', 30, '[data-testid=imap-panel] .mail-group'],
  ]) {
    const { page, context } = await open('laptop', `#/lesson/${lesson}/step/${cursor}`);
    await lessonShown(page, lesson);
    await waitCursor(page, cursor);
    await page.keyboard.press('p');
    await page.locator('html[data-presenting]').waitFor({ state: 'attached' });
    const side = await page.locator('.side').evaluate((e) => ({ scroll: e.scrollHeight, client: e.clientHeight }));
    assert.ok(side.scroll <= side.client + 1, `${lesson}: the column scrolls: ${JSON.stringify(side)}`);
    for (const sel of [`${SEL.narration} .narration-title`, '[data-testid=explanation] .explanation-head', `${panel} > :first-child`]) {
      assert.equal(await visibility(page, sel), 'ok', `${lesson}: ${sel}`);
    }
    // The narration's text (these parts are long) keeps some lines, scrolls inside, and can
    // be reached by Tab to scroll it by keys.
    const body = await page.locator(SEL.narrationBody).evaluate((e) => ({ shown: e.clientHeight, scroll: e.scrollHeight, overflow: getComputedStyle(e).overflowY, tab: e.tabIndex }));
    assert.ok(body.shown > 90, `${lesson}: ${JSON.stringify(body)}`);
    assert.ok(body.scroll > body.shown && body.overflow === 'auto' && body.tab === 0, `${lesson}: ${JSON.stringify(body)}`);
    await page.screenshot({ path: await artifactPath(`presenting-1366-${lesson}.png`) });
    await context.close();
  }
});

test('5. at 375 px nothing scrolls sideways, narration and controls in view', async () => {
  const { page, context } = await open('phone', '#/lesson/sending-an-email/step/0');
  for (const step of [0, 14, 39]) {
    await page.goto(`${server.url}/#/lesson/sending-an-email/step/${step}`);
    await waitCursor(page, step);
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(widths.scroll <= widths.client, `no sideways scroll at step ${step}: ${JSON.stringify(widths)}`);
    assert.equal(await visibility(page, SEL.play), 'ok', `Play in view at step ${step}`);
    assert.equal(await visibility(page, `${SEL.narration} h2`), 'ok', `the narration's title in view at step ${step}`);
  }
  await page.screenshot({ path: await artifactPath('phone-375.png') });
  await context.close();
});

// ---------------------------------------------------------------------- 4 --

test('4. play stops at the start of each new part; the setting plays straight through', async () => {
  const { page, context } = await open('laptop', '#/lesson/a-bounce/step/0');
  await page.locator(SEL.speed).selectOption('4');
  const values = await page.locator(`${SEL.speed} option`).evaluateAll((o) => o.map((x) => x.value));
  assert.ok(values.includes('0.25'), `a slow speed: ${values}`);
  await page.locator(SEL.play).click();
  await waitPlaying(page, true);
  await waitPlaying(page, false);
  // Part 2 of the bounce starts at step 20 (the reply to RCPT, after STARTTLS and AUTH).
  assert.equal(await cursorOf(page), 20);
  assert.match(await page.locator(SEL.partCounter).textContent(), /^Part 2 of/);
  await page.locator(SEL.play).click();
  await waitPlaying(page, true);
  await waitPlaying(page, false);
  assert.equal(await cursorOf(page), 29, 'stopped again at part 3');
  await page.locator(SEL.stopAtParts).uncheck();
  await page.locator(SEL.play).click();
  await waitUntil(page, 'the end', (s) => document.querySelector(s).dataset.cursor === document.querySelector(s).dataset.total, SEL.player, 60_000);
  await waitPlaying(page, false);
  await context.close();
});

// ---------------------------------------------------------------------- 7 --

for (const size of ['laptop', 'projector', 'zoom125', 'zoom150']) {
  test(`7. no diagram text outside the diagram, at every step (${size})`, async () => {
    const { page, context } = await open(size, '#/lesson/sending-an-email/step/0', { reducedMotion: 'reduce' });
    for (const lesson of LESSONS) {
      await page.goto(`${server.url}/#/lesson/${lesson}/step/0`);
      await lessonShown(page, lesson);
      const total = Number(await page.locator(SEL.player).getAttribute('data-total'));
      for (let n = 0; n <= total; n++) {
        if (n > 0) {
          await stepRight(page);
          await waitCursor(page, n);
        }
        const outside = await textOutsideDiagram(page);
        assert.deepEqual(outside, [], `${lesson} step ${n} at ${size}`);
      }
    }
    await context.close();
  });
}

// A local event's badge names it ("note", "queued", "delivered"): the ring that pulses
// around its host, at its largest, stays clear of the badge's edge, at every size.
for (const size of ['laptop', 'projector', 'zoom150']) {
  test(`7. no local event's pulse reaches its badge (${size})`, async () => {
    const { page, context, errors } = await open(size, '#/lesson/sending-an-email/step/0');
    const total = Number(await page.locator(SEL.player).getAttribute('data-total'));
    const seen = [];
    for (let n = 1; n <= total; n++) {
      await stepRight(page);
      await waitCursor(page, n);
      const gap = await page.evaluate(() => {
        const ring = document.querySelector('.token-sprite.pulse .pulse-ring');
        const badge = document.querySelector('.token-local .badge');
        if (!ring || !badge) return null;
        for (const a of document.getAnimations()) a.finish();
        // The shapes' boxes leave their strokes out: half of each is added, in pixels.
        const [r, b] = [ring.getBoundingClientRect(), badge.getBoundingClientRect()];
        const ringEdge = r.top - (r.width / (2 * Number(ring.getAttribute('r')))) * 2;
        const badgeEdge = b.bottom + (b.width / Number(badge.getAttribute('width'))) * 1.25;
        return { gap: Math.round((ringEdge - badgeEdge) * 100) / 100, label: badge.nextElementSibling?.textContent };
      });
      if (gap) seen.push({ step: n, ...gap });
    }
    await context.close();
    assert.ok(seen.length >= 3, `local events seen: ${seen.length}`);
    assert.deepEqual(seen.filter((s) => s.gap <= 0), [], `pulse rings that reach their badge (gap in pixels) at ${size}`);
    assert.deepEqual(errors, []);
  });
}

// ---------------------------------------------------------------------- 6 --

test('6. the transcript labels are explained on screen; the queue in words', async () => {
  const { page, context } = await open('projector', '#/lesson/sending-an-email/step/25');
  const legend = page.locator('[data-testid=transcript-legend]');
  assert.equal(await visibility(page, '[data-testid=transcript-legend]'), 'ok');
  const text = (await legend.textContent()).replace(/\s+/g, ' ');
  for (const part of ['C: client', 'S: server', 'Q: DNS question', 'A: DNS answer', '·· inside one host']) {
    assert.ok(text.includes(part), `${part} in "${text}"`);
  }
  const svgText = await page.locator(SEL.diagram).evaluate((svg) => svg.textContent);
  assert.ok(svgText.includes('1 waiting to be relayed'), svgText);
  assert.ok(!/queue 1/.test(svgText));
  await context.close();
});

// ---------------------------------------------------------------------- 8 --

test('8. the dot-stuffed line is shown and its extra dot marked', async () => {
  const { page, context } = await open('laptop', '#/lesson/sending-an-email/step/23');
  await waitCursor(page, 23);
  const line = page.locator('[aria-current=step] [data-testid=stuffed-line]').first();
  await line.waitFor({ state: 'visible' });
  assert.equal(await line.locator('mark').textContent(), '.');
  assert.equal(await visibility(page, '[aria-current=step] [data-testid=stuffed-line]'), 'ok', 'in view without expanding');
  // Selected (a click on the row), the message shows whole.
  await page.locator('[data-testid=transcript-row][aria-current=step]').click();
  await waitUntil(page, 'the whole message', () => {
    const row = document.querySelector('[data-testid=transcript-row][aria-current=step]');
    return row?.getAttribute('aria-selected') === 'true' && !row.querySelector('.wire-gap');
  });
  // The empty line that ends the header (and those of the body) stands a line high.
  const heights = await page.evaluate(() => {
    const lines = [...document.querySelectorAll('[aria-current=step] .wire-line')];
    const height = (l) => l.getBoundingClientRect().height;
    const empty = lines.filter((l) => l.textContent === '').map(height);
    return { empty, line: Math.min(...lines.filter((l) => l.textContent !== '').map(height)) };
  });
  assert.ok(heights.empty.length > 0 && heights.empty.every((h) => h >= heights.line - 1), JSON.stringify(heights));
  await waitUntil(page, 'the stuffed line still in view', () => {
    const l = document.querySelector('[aria-current=step] [data-testid=stuffed-line]');
    const list = document.querySelector('[data-testid=transcript]');
    const r = l.getBoundingClientRect();
    const c = list.getBoundingClientRect();
    return r.top >= c.top - 1 && r.bottom <= c.bottom + 1;
  });
  await context.close();
});

// ---------------------------------------------------------------------- 9 --

test('9. parts say which steps they cover; ?messages is said and capped', async () => {
  const { page, context } = await open('laptop', '#/lesson/a-bounce/step/4');
  assert.match(await page.locator(SEL.partCounter).textContent(), /^Part 1 of \d+ · steps 0–19$/);
  await page.goto(`${server.url}/?messages=27#/lesson/sending-an-email/step/39`);
  await page.locator('[data-testid=messages-note]').waitFor();
  assert.match(await page.locator('[data-testid=messages-note]').textContent(), /27 times/);
  await page.goto(`${server.url}/?messages=999999#/lesson/sending-an-email/step/0`);
  await page.locator('[data-testid=notice]').waitFor();
  assert.match(await page.locator('[data-testid=notice]').textContent(), /999999.*250/);
  // A link cut short in its step: the lesson it names from its start, said so (not the home page).
  await page.goto(`${server.url}/#/lesson/a-bounce/step/`);
  await page.reload();
  await page.locator('[data-testid=notice]').getByText('The step in the address could not be read').waitFor();
  assert.equal(await page.locator('[data-testid=lesson-picker]').inputValue(), 'a-bounce');
  // Typed over the lesson shown: it stays at its step, and says so.
  await page.locator('[data-testid=notice] button').click();
  await page.keyboard.press('ArrowRight');
  await waitCursor(page, 1);
  await page.evaluate(() => { location.hash = '#/lesson/a-bounce/step/two'; });
  await page.locator('[data-testid=notice]').getByText('so the lesson stays at this step').waitFor();
  assert.equal(await page.locator(SEL.player).getAttribute('data-cursor'), '1');
  assert.equal(await page.evaluate(() => location.hash), '#/lesson/a-bounce/step/1');
  // A lesson that does not exist, its step unread too: what is said is that it does not exist.
  await page.evaluate(() => { location.hash = '#/lesson/nope/step/x'; });
  await page.locator('[data-testid=notice]').getByText('There is no lesson called “nope”').waitFor();
  assert.doesNotMatch(await page.locator('[data-testid=notice]').textContent(), /step in the address/);
  // It stays at its step, and the address names it again (a reload opens what is shown).
  assert.equal(await page.locator(SEL.player).getAttribute('data-cursor'), '1');
  await page.waitForFunction(() => location.hash === '#/lesson/a-bounce/step/1');
  await page.locator('[data-testid=notice] button').click();
  await page.evaluate(() => { location.hash = '#/lesson/nope/step/0'; });
  await page.locator('[data-testid=notice]').getByText('There is no lesson called “nope”').waitFor();
  await page.waitForFunction(() => location.hash === '#/lesson/a-bounce/step/1');
  assert.equal(await page.locator(SEL.player).getAttribute('data-cursor'), '1');
  // A lesson of the full build, its step unread: the full build opens it from its
  // beginning, and says so (the redirect keeps the address as it was).
  await page.evaluate(() => { location.hash = '#/lesson/two-devices-imap/step/two'; });
  await lessonShown(page, 'two-devices-imap', FIRST_LOAD_TIMEOUT);
  assert.match(new URL(page.url()).pathname, /\/full\/$/);
  await page.locator('[data-testid=notice]').getByText(/step in the address could not be read, so the lesson starts from its beginning/).waitFor();
  assert.equal(await page.locator(SEL.player).getAttribute('data-cursor'), '0');
  // A teacher's lesson this browser does not keep, typed over the player: the lesson shown
  // stays at its step, and the address names it again once the load has failed.
  await page.locator('[data-testid=notice] button').click();
  await page.keyboard.press('ArrowRight');
  await waitCursor(page, 1);
  await page.waitForFunction(() => location.hash === '#/lesson/two-devices-imap/step/1');
  await page.evaluate(() => { location.hash = '#/lesson/my-typo/step/3'; });
  await page.locator('[data-testid=notice]').getByText('There is no lesson “my-typo” kept in this browser').waitFor();
  await page.waitForFunction(() => location.hash === '#/lesson/two-devices-imap/step/1');
  assert.equal(await page.locator(SEL.player).getAttribute('data-cursor'), '1');
  await context.close();
});

// --------------------------------------------------------------------- 10 --

test('10. Space plays after a button click; PageDown/PageUp step; Shift+→ jumps a part', async () => {
  const { page, context } = await open('laptop', '#/lesson/sending-an-email/step/0');
  await page.locator(SEL.stepForward).click();
  await waitCursor(page, 1);
  await page.keyboard.press('Space');
  await waitPlaying(page, true);
  await page.keyboard.press('Space');
  await waitPlaying(page, false);
  await page.goto(`${server.url}/#/lesson/a-bounce/step/0`);
  await lessonShown(page, 'a-bounce');
  await waitCursor(page, 0);
  await page.keyboard.press('PageDown');
  await waitCursor(page, 1);
  await page.keyboard.press('PageDown');
  await waitCursor(page, 2);
  await page.keyboard.press('PageUp');
  await waitCursor(page, 1);
  await page.keyboard.press('Shift+ArrowRight');
  await waitCursor(page, 20);
  await page.keyboard.press('Shift+ArrowLeft');
  await waitCursor(page, 0);
  await context.close();
});

test('10. the live region reads a new part; the selected row is aria-selected', async () => {
  const { page, context } = await open('laptop', '#/lesson/a-bounce/step/19');
  await page.keyboard.press('ArrowRight');
  await waitCursor(page, 20);
  await waitUntil(page, 'the part read out', (s) => /Part 2 of \d+: Her own server accepts it\./.test(document.querySelector(s).textContent), SEL.announcer);
  const row = page.locator(SEL.row).nth(3);
  await row.click();
  await waitUntil(page, 'aria-selected', (s) => document.querySelectorAll(s)[3].getAttribute('aria-selected') === 'true', SEL.row);
  const selected = await page.locator(`${SEL.row}[aria-selected=true]`).count();
  assert.equal(selected, 1);
  // Esc on it: back to following the current step (the card says "Now" again).
  await page.keyboard.press('Escape');
  await waitUntil(page, 'nothing selected', (s) => !document.querySelector(`${s}[aria-selected=true]`), SEL.row);
  assert.match(await page.locator('[data-testid=explanation] .eyebrow').innerText(), /^now$/i);
  await context.close();
});

test('3. the end of a lesson leads on: to the next lesson of the path, after the last to the list', async () => {
  const { page, context } = await open('laptop', '#/lesson/sending-an-email/step/999');
  // The path's order is the picker's.
  const ids = await page.locator(`${SEL.picker} option`).evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  const next = ids[ids.indexOf('sending-an-email') + 1];
  const title = await page.locator(`${SEL.picker} option[value="${next}"]`).textContent();
  const link = page.locator('[data-testid=next-lesson] a');
  assert.equal(await link.innerText(), `Next lesson: “${title}” ›`);
  assert.equal(await visibility(page, '[data-testid=next-lesson] a'), 'ok');
  // Not before the end.
  await page.keyboard.press('ArrowLeft');
  await page.locator('[data-testid=next-lesson]').waitFor({ state: 'detached' });
  await page.keyboard.press('End');
  await link.click();
  await lessonShown(page, next);
  assert.equal(await cursorOf(page), 0);
  // After the last lesson of the path: the list of all of them.
  const last = ids.at(-1);
  await page.goto(`${server.url}/#/lesson/${last}/step/9999`);
  await page.locator('[data-testid=next-lesson] a').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.equal(await page.locator('[data-testid=next-lesson] a').innerText(), 'All lessons ›');
  assert.equal(await page.locator('[data-testid=next-lesson] a').getAttribute('href'), '#/');
  await context.close();
});

test('3. the part strip fades out where it is cut: more parts lie that way', async () => {
  const { page, context } = await open('laptop', '#/lesson/sending-an-email/step/0');
  const strip = page.locator('.outline ol');
  // How much each end's fade shows (its opacity), and whether the strip is cut.
  const fades = () => page.evaluate(() => {
    const nav = document.querySelector('.outline');
    const ol = nav.querySelector('ol');
    const shown = (pseudo) => Number(getComputedStyle(nav, pseudo).opacity);
    return { start: shown('::before'), end: shown('::after'), cut: ol.scrollWidth > ol.clientWidth };
  });
  const until = async (what, test) => {
    for (let i = 0; i < 60; i++) {
      if (test(await fades())) return;
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    }
    assert.fail(`${what}: ${JSON.stringify(await fades())}`);
  };
  // 30 parts in the laptop's column: cut at the end, not at the start.
  let f = await fades();
  assert.ok(f.cut, 'the strip is cut');
  assert.deepEqual([f.start, f.end], [0, 1], `at the start: ${JSON.stringify(f)}`);
  await strip.evaluate((ol) => (ol.scrollLeft = (ol.scrollWidth - ol.clientWidth) / 2));
  await until('the middle: both ends faded', (x) => x.start === 1 && x.end === 1);
  await strip.evaluate((ol) => (ol.scrollLeft = ol.scrollWidth));
  await until('at the end: only the start faded', (x) => x.start === 1 && x.end === 0);
  // A strip that fits fades nowhere.
  await page.goto(`${server.url}/#/lesson/bcc`);
  await lessonShown(page, 'bcc');
  f = await fades();
  assert.ok(!f.cut && f.start === 0 && f.end === 0, `a strip that fits: ${JSON.stringify(f)}`);
  await context.close();
});

test('10. focus is kept when its control goes away; capitals in the address', async () => {
  const { page, context } = await open('laptop', '#/lesson/a-bounce/step/999');
  await page.locator('[data-testid=mailbox][data-owner="alice@example.org"] button').first().focus();
  await page.keyboard.press('Home');
  await waitCursor(page, 0);
  await waitUntil(page, 'the focus on Play', (s) => document.activeElement === document.querySelector(s), SEL.play);
  // The last "Next part": the button is disabled under the focus.
  const parts = await partCount(page);
  await gotoPart(page, parts - 2);
  await page.locator(`${SEL.narration} button[aria-label^="Next part"]`).click();
  await waitUntil(page, 'the last part', ([s, n]) => document.querySelector(s).textContent.startsWith(`Part ${n} `), [SEL.partCounter, parts]);
  await waitUntil(page, 'the focus not on the body', () => document.activeElement && document.activeElement !== document.body);
  await page.goto(`${server.url}/#/lesson/A-BOUNCE/step/3`);
  await lessonShown(page, 'a-bounce');
  await waitUntil(page, 'the bounce lesson from capitals', () => document.title.includes('bounce'));
  assert.equal(await cursorOf(page), 3);
  // While a question waits, the question has the explanation card's place; a row selected
  // brings the card, and its "back to the current step" (which goes with it) leaves the
  // focus on the question's prompt, not on the page's body.
  for (let i = 0; i < 80 && !(await page.locator('[data-testid=predict-skip]').count()); i++) {
    await page.keyboard.press('ArrowRight');
  }
  await waitUntil(page, 'the focus on the question', () => !!document.activeElement?.matches('.predict-prompt'));
  assert.equal(await page.locator('[data-testid=explanation]').count(), 0, 'no card while the question waits');
  await page.locator(SEL.row).nth(1).click();
  // The chosen line has a row of its own under "Selected: step 2" and the way back (it was
  // squeezed between them, a word a line, in a narrow column).
  const head = await page.locator('[data-testid=explanation] .explanation-head').evaluate((h) => {
    const top = (s) => h.querySelector(s).getBoundingClientRect().top;
    return { eyebrow: top('.eyebrow'), back: top('button'), wire: top('.explanation-wire') };
  });
  assert.ok(head.wire > head.eyebrow && Math.abs(head.back - head.eyebrow) < 8, JSON.stringify(head));
  await page.locator('[data-testid=explanation]').getByRole('button', { name: 'back to the current step' }).click();
  await waitUntil(page, 'the card gone again', () => !document.querySelector('[data-testid=explanation]'));
  await waitUntil(page, 'the focus back on the question', () => !!document.activeElement?.matches('.predict-prompt'));
  // Space there (Play) asks for an answer, as → does: it neither plays and stops at once
  // nor passes the question; a second Space passes it and plays on.
  const asked = await cursorOf(page);
  const pressed = await page.evaluate((s) => {
    const seen = [];
    const play = document.querySelector(s);
    const watch = new MutationObserver(() => seen.push(play.getAttribute('aria-pressed')));
    watch.observe(play, { attributes: true, attributeFilter: ['aria-pressed'] });
    window.__pressed = { seen, watch };
    return play.getAttribute('aria-pressed');
  }, SEL.play);
  assert.equal(pressed, 'false');
  await page.keyboard.press(' ');
  await page.locator('.predict-nudge').waitFor();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await cursorOf(page), asked, 'the question still waits');
  assert.deepEqual(await page.evaluate(() => (window.__pressed.watch.disconnect(), window.__pressed.seen)), [], 'Play never pressed');
  assert.match(await page.locator('[data-testid=announcer]').textContent(), /Choose an answer first, or step again/);
  await page.keyboard.press(' ');
  await waitUntil(page, 'past the question, playing', ([s, n]) => Number(document.querySelector('main[data-testid=player]').dataset.cursor) > n && document.querySelector(s).getAttribute('aria-pressed') === 'true', [SEL.play, asked]);
  await context.close();
});
