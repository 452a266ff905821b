// The learner's journey through "Sending an email", in headless Chromium
// against the release build in dist/ (scripts/build.sh).
//
// It follows the UI's DOM contract only (data-testid attributes, ARIA state,
// the URL hash), never CSS classes or layout. Every check polls the page
// (waitForFunction / locator.waitFor): no fixed sleeps.
//
//   node --test tests/e2e/            (scripts/test.sh runs it)
//   MAILROOM_DIST=some/dir node --test tests/e2e/journey.test.mjs
//
// Screenshots land in tests/e2e/artifacts/ (gitignored), with a
// failure-*.png when a step fails.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { isolatedContext, artifactPath, ARTIFACTS, lessonShown, openBuild, closeBuild } from './browser.mjs';

const LESSON = 'sending-an-email';
const BOB = 'bob@example.net';
const SUBJECT = 'Lunch on Friday?';

const FIRST_LOAD_TIMEOUT = 30_000; // fetch + compile the wasm on a slow CI machine
const TIMEOUT = 15_000; // any other state change
const PLAY_TIMEOUT = 60_000; // playback at the default speed

const hashFor = (n) => `#/lesson/${LESSON}/step/${n}`;

const SEL = {
  player: 'main[data-testid=player]',
  toStart: '[data-testid=to-start]',
  stepBack: '[data-testid=step-back]',
  play: '[data-testid=play]',
  stepForward: '[data-testid=step-forward]',
  toEnd: '[data-testid=to-end]',
  speed: 'select[data-testid=speed]',
  counter: '[data-testid=step-counter]',
  transcript: '[data-testid=transcript]',
  currentRow: '[data-testid=transcript] [data-testid=transcript-row][aria-current=step]',
  narration: '[data-testid=narration]',
  bobMailbox: `[data-testid=mailbox][data-owner="${BOB}"]`,
  diagram: '[data-testid=diagram]',
};

// ---------------------------------------------------------------- helpers --

/** Everything the journey looks at, read in the page (for assertions and for error messages). */
async function readState(page) {
  return page.evaluate((SEL) => {
    const q = (s) => document.querySelector(s);
    const player = q(SEL.player);
    const mailbox = q(SEL.bobMailbox);
    const rows = [...document.querySelectorAll(SEL.currentRow)];
    return {
      hash: location.hash,
      cursor: player?.getAttribute('data-cursor') ?? null,
      total: player?.getAttribute('data-total') ?? null,
      counter: q(SEL.counter)?.textContent.replace(/\s+/g, ' ').trim() ?? null,
      playing: q(SEL.play)?.getAttribute('aria-pressed') ?? null,
      bobCount: mailbox?.getAttribute('data-count') ?? null,
      bobText: mailbox ? mailbox.textContent.replace(/\s+/g, ' ').trim().slice(0, 200) : null,
      currentRows: rows.map((r) => r.textContent.replace(/\s+/g, ' ').trim()),
      active: document.activeElement ? document.activeElement.tagName.toLowerCase() + (document.activeElement.dataset?.testid ? `[data-testid=${document.activeElement.dataset.testid}]` : '') : null,
    };
  }, SEL);
}

/** Poll `predicate(arg)` in the page until true; on timeout, fail with `what` and the page state. */
async function waitUntil(page, what, predicate, arg, timeout = TIMEOUT) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 'raf' });
  } catch (err) {
    let state;
    try {
      state = JSON.stringify(await readState(page), null, 2);
    } catch {
      state = '(page state unavailable)';
    }
    throw new Error(`timed out after ${timeout} ms waiting for ${what}\npage state: ${state}\n${err.message.split('\n')[0]}`);
  }
}

function waitAttr(page, selector, attr, value, timeout) {
  return waitUntil(
    page,
    `${selector} ${attr}="${value}"`,
    ([s, a, v]) => document.querySelector(s)?.getAttribute(a) === v,
    [selector, attr, String(value)],
    timeout,
  );
}

/**
 * Wait until the player shows step `n` of `total`: data-cursor, the URL hash,
 * the step counter and (after the first event) exactly one highlighted transcript row.
 */
async function expectStep(page, n, total, timeout = TIMEOUT) {
  await waitAttr(page, SEL.player, 'data-cursor', n, timeout);
  await waitUntil(page, `hash ${hashFor(n)}`, (h) => location.hash === h, hashFor(n));
  await waitUntil(
    page,
    `step counter "Step ${n} of ${total}"`,
    ([s, n, t]) => new RegExp(`\\bStep ${n} of ${t}\\b`).test((document.querySelector(s)?.textContent ?? '').replace(/\s+/g, ' ')),
    [SEL.counter, n, total],
  );
  const state = await readState(page);
  assert.equal(state.total, String(total), 'data-total must not change while stepping');
  if (n > 0) {
    assert.equal(state.currentRows.length, 1, `exactly one transcript row has aria-current="step" at step ${n}`);
    assert.ok(state.currentRows[0].length > 0, 'the highlighted transcript row has text');
  }
  return state;
}

async function cursorOf(page) {
  const c = Number((await readState(page)).cursor);
  assert.ok(Number.isInteger(c), 'data-cursor is an integer');
  return c;
}

/** Press a shortcut key with nothing focused, so it goes to the page's handler (not a button or the select). */
async function pressKey(page, key) {
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.keyboard.press(key);
}

async function expectBobHas(page, count) {
  await waitAttr(page, SEL.bobMailbox, 'data-count', count);
}

// ------------------------------------------------------------------ setup --

let server;
let browser;
let context;
let offsite;
let errors;

before(async () => {
  // Failure screenshots from an earlier run would only mislead.
  for (const name of await readdir(ARTIFACTS).catch(() => [])) {
    if (name.startsWith('failure-')) await rm(path.join(ARTIFACTS, name), { force: true });
  }
  ({ server, browser } = await openBuild());
  ({ context, offsite, errors } = await isolatedContext(browser, server.url));
  context.setDefaultTimeout(TIMEOUT);
});

after(async () => {
  await context?.close();
  await closeBuild({ server, browser });
});

// ---------------------------------------------------------------- journey --

test('journey: Sending an email, start to finish, back, reload', { timeout: 300_000 }, async (t) => {
  const page = await context.newPage();
  const startUrl = `${server.url}/${hashFor(0)}`;
  let total = 0;
  let failed = false;

  // Run one step of the journey as a subtest; after a failure, skip the rest
  // (they would only fail for the same reason) and keep a screenshot.
  const step = (name, fn) =>
    t.test(name, async (st) => {
      if (failed) return st.skip('an earlier step failed');
      try {
        await fn();
      } catch (err) {
        failed = true;
        const slug = name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
        try {
          await page.screenshot({ path: await artifactPath(`failure-${slug}.png`) });
        } catch {
          // the page may be gone
        }
        throw err;
      }
    });

  await step('opens the lesson at step 0', async () => {
    await page.goto(startUrl);
    await page.locator(SEL.player).waitFor({ state: 'visible', timeout: FIRST_LOAD_TIMEOUT });
    await waitUntil(
      page,
      'a positive integer data-total',
      (s) => /^[1-9]\d*$/.test(document.querySelector(s)?.getAttribute('data-total') ?? ''),
      SEL.player,
    );
    total = Number((await readState(page)).total);
    await expectStep(page, 0, total);

    for (const sel of [SEL.toStart, SEL.stepBack, SEL.play, SEL.stepForward, SEL.toEnd, SEL.speed, SEL.counter, SEL.narration]) {
      await page.locator(sel).first().waitFor({ state: 'visible' });
    }
    // Before the first event the transcript may be empty (and so have no size).
    await page.locator(SEL.transcript).first().waitFor({ state: 'attached' });
    assert.equal(await page.locator(SEL.diagram).first().evaluate((el) => el.tagName.toLowerCase()), 'svg', 'the diagram is an <svg>');
    const heading = page.locator(`${SEL.narration} :is(h1, h2, h3, h4, h5, h6, [role=heading])`).first();
    await heading.waitFor({ state: 'visible' });
    assert.ok((await heading.textContent()).trim().length > 0, 'the narration has a non-empty heading');
    assert.equal(await page.locator(SEL.play).getAttribute('aria-pressed'), 'false', 'not playing on arrival');
  });

  await step("Bob's mailbox is empty before delivery", async () => {
    await page.locator(SEL.bobMailbox).waitFor({ state: 'attached' });
    await expectBobHas(page, 0);
  });

  await step('the speed control offers choices', async () => {
    const select = page.locator(SEL.speed);
    const values = await select.locator('option').evaluateAll((opts) => opts.map((o) => o.value));
    assert.ok(values.length >= 2, `speed select has at least two options (found ${values.length})`);
    const original = await select.inputValue();
    const other = values.find((v) => v !== original);
    await select.selectOption(other);
    assert.equal(await select.inputValue(), other);
    await select.selectOption(original);
    assert.equal(await select.inputValue(), original);
  });

  await step('Space plays and pauses', async () => {
    await pressKey(page, 'Space');
    await waitAttr(page, SEL.play, 'aria-pressed', 'true');
    await waitUntil(page, 'playback to advance the cursor', (s) => Number(document.querySelector(s)?.getAttribute('data-cursor')) >= 1, SEL.player, PLAY_TIMEOUT);
    await pressKey(page, 'Space');
    await waitAttr(page, SEL.play, 'aria-pressed', 'false');
    const c = await cursorOf(page);
    await expectStep(page, c, total);
  });

  await step('Home, ArrowRight and the step-forward button', async () => {
    await pressKey(page, 'Home');
    await expectStep(page, 0, total);
    await expectBobHas(page, 0);
    await pressKey(page, 'ArrowRight');
    await expectStep(page, 1, total);
    await page.locator(SEL.stepForward).click();
    await expectStep(page, 2, total);
    await page.locator(SEL.toStart).click();
    await expectStep(page, 0, total);
  });

  await step('End shows the message delivered to Bob', async () => {
    await pressKey(page, 'End');
    await expectStep(page, total, total);
    await expectBobHas(page, 1);
    await page.locator(SEL.bobMailbox).getByText(SUBJECT).first().waitFor({ state: 'visible' });
  });

  await step('step back with the button, then with ArrowLeft', async () => {
    await page.locator(SEL.stepBack).click();
    await expectStep(page, total - 1, total);
    await pressKey(page, 'ArrowLeft');
    await expectStep(page, total - 2, total);
  });

  await step('play runs to the end and stops there', async () => {
    await page.locator(SEL.play).click();
    await waitAttr(page, SEL.play, 'aria-pressed', 'true');
    await expectStep(page, total, total, PLAY_TIMEOUT);
    await waitAttr(page, SEL.play, 'aria-pressed', 'false');
    await expectBobHas(page, 1);
    await page.locator(SEL.bobMailbox).getByText(SUBJECT).first().waitFor({ state: 'visible' });
  });

  let remembered;
  await step('step back again: the cursor decreases and the hash follows', async () => {
    await page.locator(SEL.stepBack).click();
    await expectStep(page, total - 1, total);
    await pressKey(page, 'ArrowLeft');
    remembered = await expectStep(page, total - 2, total);
    assert.equal(remembered.hash, hashFor(total - 2));
  });

  await step('reload lands on the same step', async () => {
    await page.reload();
    await page.locator(SEL.player).waitFor({ state: 'visible', timeout: FIRST_LOAD_TIMEOUT });
    const state = await expectStep(page, total - 2, total, FIRST_LOAD_TIMEOUT);
    assert.equal(state.hash, remembered.hash);
    assert.deepEqual(state.currentRows, remembered.currentRows, 'the same transcript row is highlighted');
    assert.equal(state.playing, 'false', 'not playing after a reload');
  });

  await step('opening the remembered URL in a new tab lands on the same step', async () => {
    const tab = await context.newPage();
    try {
      await tab.goto(`${server.url}/${remembered.hash}`);
      await tab.locator(SEL.player).waitFor({ state: 'visible', timeout: FIRST_LOAD_TIMEOUT });
      const state = await expectStep(tab, total - 2, total, FIRST_LOAD_TIMEOUT);
      assert.deepEqual(state.currentRows, remembered.currentRows, 'the same transcript row is highlighted');
    } finally {
      await tab.close();
    }
  });

  await step('stepping forward and back restores exactly the earlier page', async () => {
    // Everything a student reads: the diagram's texts (host states, mailbox counts),
    // the transcript, the narration, the explanation and the mailboxes.
    const view = () =>
      page.evaluate(() => {
        const text = (sel) => [...document.querySelectorAll(sel)].map((e) => e.textContent.replace(/\s+/g, ' ').trim());
        return {
          diagram: text('[data-testid=diagram] text'),
          transcript: text('[data-testid=transcript-row]'),
          current: text('[aria-current=step]'),
          narration: text('[data-testid=narration]'),
          mailboxes: text('[data-testid=mailbox]'),
          main: document.querySelector('main').getAttribute('data-cursor'),
        };
      });
    const k = Math.floor(total / 2);
    await page.goto(`${server.url}/${hashFor(k)}`);
    await expectStep(page, k, total, FIRST_LOAD_TIMEOUT);
    const fresh = await view();
    for (let i = 1; i <= 5; i++) {
      await pressKey(page, 'ArrowRight');
      await expectStep(page, k + i, total);
    }
    assert.notDeepEqual(await view(), fresh, 'five steps later the page shows something else');
    for (let i = 4; i >= 0; i--) {
      await pressKey(page, 'ArrowLeft');
      await expectStep(page, k + i, total);
    }
    assert.deepEqual(await view(), fresh, 'back at the same step, the page is the same as when opened there');
    await page.goto(`${server.url}/${remembered.hash}`);
    await expectStep(page, total - 2, total, FIRST_LOAD_TIMEOUT);
  });

  await step('screenshots at 1366x768 and 1920x1080', async () => {
    for (const [width, height] of [[1366, 768], [1920, 1080]]) {
      await page.setViewportSize({ width, height });
      await page.locator(SEL.player).waitFor({ state: 'visible' });
      await expectStep(page, total - 2, total);
      await page.screenshot({ path: await artifactPath(`journey-${width}x${height}.png`) });
    }
  });

  await step('no errors and no off-site requests', async () => {
    assert.deepEqual(errors, [], 'page errors or console errors');
    assert.deepEqual(offsite, [], 'requests to anything but the local server');
  });
});

// ------------------------------------------------------------ second lesson --

test('the lesson picker opens "a-bounce", and the bounce reaches Alice', { timeout: 120_000 }, async () => {
  const page = await context.newPage();
  try {
    await page.goto(`${server.url}/${hashFor(3)}`);
    await page.locator(SEL.player).waitFor({ state: 'visible', timeout: FIRST_LOAD_TIMEOUT });
    await page.locator('select[data-testid=lesson-picker]').selectOption('a-bounce');
    await waitUntil(page, 'the hash of the bounce lesson', () => location.hash === '#/lesson/a-bounce/step/0');
    await lessonShown(page, 'a-bounce');
    await waitAttr(page, SEL.player, 'data-cursor', 0);
    const alice = '[data-testid=mailbox][data-owner="alice@example.org"]';
    await waitAttr(page, alice, 'data-count', 0);
    await pressKey(page, 'End');
    const total = Number((await readState(page)).total);
    await expectStepIn(page, 'a-bounce', total);
    await waitAttr(page, alice, 'data-count', 1);
    await page.locator(alice).getByText('Undelivered Mail Returned to Sender').first().waitFor({ state: 'visible' });
    // The transcript shows the refusal that caused it.
    await page.locator(SEL.transcript).getByText('550 5.1.1 <bobby@example.net>').first().waitFor({ state: 'visible' });
    // The browser's Back goes back to the lesson the picker was used over, at its step;
    // Forward to the bounce again (the steps in between make no entries of their own).
    await page.goBack();
    await lessonShown(page, LESSON);
    await expectStepIn(page, LESSON, 3);
    await page.goForward();
    await lessonShown(page, 'a-bounce');
    await expectStepIn(page, 'a-bounce', total);
    assert.deepEqual(errors, [], 'page errors or console errors');
  } finally {
    await page.close();
  }
});

async function expectStepIn(page, lesson, n) {
  await waitAttr(page, SEL.player, 'data-cursor', n);
  await waitUntil(page, `hash of step ${n}`, ([l, n]) => location.hash === `#/lesson/${l}/step/${n}`, [lesson, n]);
}
