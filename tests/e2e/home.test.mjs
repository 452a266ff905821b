// The home page in headless Chromium against the release build in dist/: the learning
// path, a lesson opened from it and stepped with the keyboard alone, the progress that
// survives a reload, "Continue", an IMAP lesson handed to the full build, and a corrupt
// saved progress set aside with a notice. Follows the DOM contract (data-testid,
// data-* attributes, ARIA) and polls the page, never sleeps.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedContext, artifactPath, lessonShown, openBuild, closeBuild } from './browser.mjs';

const FIRST_LOAD_TIMEOUT = 30_000;

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild());
});

after(() => closeBuild({ server, browser }));

const text = (page, sel) => page.locator(sel).innerText();

/** Records in the page (`window.sawLoading`) whether the player was ever shown waiting for its lesson ("loading", aria-busy). */
const watchLoading = (context) =>
  context.addInitScript(() => {
    new MutationObserver(() => {
      if (document.querySelector('main[data-testid=player][aria-busy]')) window.sawLoading = true;
    }).observe(document, { subtree: true, childList: true, attributes: true });
  });

test('a student finds a lesson on the path, plays it by keyboard, and comes back to it', { timeout: 120_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.locator('[data-testid=home]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.equal(await page.title(), 'Mailroom: learn how email really works');
  assert.deepEqual(
    (await page.locator('.path-part:not(.home-yours) h2').allInnerTexts()).map((t) => t.split('\n').slice(0, 2).join(' ')),
    ['1 Sending', '2 Retrieving', '3 When things go wrong', '4 Security and trust'],
  );
  assert.match(await text(page, '[data-testid=continue]'), /^Start with “Sending an email”$/);
  await page.screenshot({ path: await artifactPath('home-1366.png') });

  // By keyboard only: Tab to the first lesson card of "When things go wrong", Enter.
  const bounce = page.locator('.lesson-card[data-lesson=a-bounce] a');
  let tabs = 0;
  while (!(await bounce.evaluate((a) => a === document.activeElement))) {
    await page.keyboard.press('Tab');
    assert.ok(++tabs < 80, 'the card is reachable by Tab');
  }
  await page.keyboard.press('Enter');
  await lessonShown(page, 'a-bounce', FIRST_LOAD_TIMEOUT);
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('main[data-testid=player]')?.dataset.cursor === '4');
  const total = await page.locator('main[data-testid=player]').getAttribute('data-total');

  // Home by the brand link: the card says how far, Continue goes back there.
  await page.locator('[data-testid=home-link]').click();
  await page.locator('[data-testid=home]').waitFor();
  const card = page.locator('.lesson-card[data-lesson=a-bounce]');
  assert.equal(await card.locator('[data-testid=lesson-status]').innerText(), `Reached step 4 of ${total}`);
  assert.equal(await text(page, '[data-testid=continue]'), 'Continue “When delivery fails: a bounce” at step 4');

  // The progress survives a reload.
  await page.reload();
  await page.locator('[data-testid=home]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.equal(await card.locator('[data-testid=lesson-status]').innerText(), `Reached step 4 of ${total}`);
  await page.locator('[data-testid=continue]').click();
  await lessonShown(page, 'a-bounce');
  assert.equal(await page.locator('main[data-testid=player]').getAttribute('data-cursor'), '4');
  await page.keyboard.press('End');
  await page.waitForFunction((t) => document.querySelector('main[data-testid=player]')?.dataset.cursor === t, total);
  // Back with the browser's Back button: the home page, the lesson finished.
  await page.goBack();
  await page.locator('[data-testid=home]').waitFor();
  assert.equal(await card.locator('[data-testid=lesson-status]').innerText(), 'Finished');
  assert.match(await text(page, '[data-testid=finished]'), /^1 of \d+ lessons finished$/);
  assert.match(await page.locator('.path-part').nth(2).locator('.path-done').innerText(), /^1 of \d+ finished$/);
  // Finished: the big button goes on to the next lesson of the path.
  assert.equal(await text(page, '[data-testid=continue]'), 'Next: “Reading a bounce message”');
  await page.screenshot({ path: await artifactPath('home-progress-1366.png') });
  // Opened again only to look at its start: still on along the path, not "at step 0".
  await page.goto(`${server.url}/#/lesson/a-bounce/step/0`);
  await lessonShown(page, 'a-bounce');
  await page.locator('[data-testid=home-link]').click();
  await page.locator('[data-testid=home]').waitFor();
  assert.equal(await text(page, '[data-testid=continue]'), 'Next: “Reading a bounce message”');

  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
});

test('a corrupt saved progress is set aside with a notice, never a blank page', { timeout: 60_000 }, async () => {
  const { context, errors } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.locator('[data-testid=home]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  await page.evaluate(() => localStorage.setItem('mailroom.progress', '{"an": "old format"}'));
  await page.reload();
  await page.locator('[data-testid=home]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.match(await text(page, '[data-testid=notice]'), /could not be read and was set aside/);
  assert.ok((await page.locator('.lesson-card').count()) > 20, 'every lesson is listed');
  await page.locator('[data-testid=notice] button').click();
  assert.equal(await page.locator('[data-testid=notice]').count(), 0);
  await context.close();
  assert.deepEqual(errors, []);
});

/** Presses → until the predict card asks a question; returns the cursor there. */
async function toQuestion(page) {
  for (let i = 0; i < 200; i++) {
    if (await page.locator('[data-testid=predict] .predict-choices, [data-testid=predict] form').count()) {
      return Number(await page.locator('main[data-testid=player]').getAttribute('data-cursor'));
    }
    await page.keyboard.press('ArrowRight');
  }
  throw new Error('no question came');
}

test('a student predicts replies, right and wrong, and the score survives a reload', { timeout: 120_000 }, async () => {
  const { context, errors } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/sending-an-email`);
  await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
  // The first question: who speaks first once the connection is open? The server.
  const at = await toQuestion(page);
  assert.equal(await text(page, '.predict-prompt'), 'The connection is open. Who speaks first?');
  // The announcer says only that a question came: the prompt has the focus, and a screen
  // reader reads it there (said in both, it was heard twice).
  assert.equal(await text(page, '[data-testid=announcer]'), 'A question before the next step.');
  // The keyboard is on the question, not on a choice (its ring would read as a hint);
  // play stops here too.
  await page.waitForFunction(() => document.activeElement?.textContent === 'The connection is open. Who speaks first?');
  // A → from habit does not skip it: the card (and a screen reader) asks for an answer, and
  // the step stays where it is.
  await page.keyboard.press('ArrowRight');
  await page.locator('.predict-nudge').waitFor();
  assert.equal(await text(page, '.predict-nudge'), 'Choose an answer first, or step again to see what happens.');
  assert.equal(await text(page, '[data-testid=announcer]'), 'Choose an answer first, or step again to see what happens.');
  assert.equal(await page.locator('main[data-testid=player]').getAttribute('data-cursor'), String(at));
  await page.screenshot({ path: await artifactPath('predict-ask-1366.png') });
  await page.locator('.choice', { hasText: 'Alice\'s laptop' }).click();
  await page.waitForFunction((c) => document.querySelector('main[data-testid=player]')?.dataset.cursor === String(c + 1), at);
  assert.equal(
    await text(page, '[data-testid=predict-verdict]'),
    'Not this time: you said Alice\'s laptop; the answer is smtp.example.org (Alice\'s provider).',
  );
  // The explanation card explains the event, the 220 greeting; a screen reader hears the
  // verdict before the step (the focus has left the question).
  assert.match(await text(page, '[data-testid=explanation]'), /220/);
  assert.match(
    await text(page, '[data-testid=announcer]'),
    /^Not this time: you said Alice's laptop; the answer is smtp\.example\.org \(Alice's provider\)\. Step \d+ of \d+\. /,
  );
  await page.screenshot({ path: await artifactPath('predict-told-1366.png') });
  // The second: DATA gets 354. Right this time, by keyboard (Tab to the second choice, Enter).
  await toQuestion(page);
  assert.match(await text(page, '.predict-prompt'), /What does her provider answer\?/);
  await page.waitForFunction(() => document.activeElement?.classList.contains('predict-prompt'));
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.match(await page.evaluate(() => document.activeElement?.textContent), /^354/);
  await page.keyboard.press('Enter');
  assert.equal(await text(page, '[data-testid=predict-verdict]'), 'Right: 354.');
  assert.match(await text(page, '[data-testid=announcer]'), /^Right: 354\. Step \d+ of \d+\. /);
  // One step on, the step alone.
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => /^Step \d+ of \d+\. /.test(document.querySelector('[data-testid=announcer]').textContent));
  await page.keyboard.press('End');
  assert.equal(await text(page, '[data-testid=predict-score]'), 'You predicted 1 of 2 right.');
  // Reloaded at the end: no question met this time, so no score card that would say every
  // question was left unanswered (the home page keeps the score).
  await page.waitForFunction(() => location.hash.endsWith(`/step/${document.querySelector('main[data-testid=player]').dataset.cursor}`));
  await page.reload();
  await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
  await page.locator('[data-testid=transcript-row]').first().waitFor();
  assert.equal(await page.locator('[data-testid=predict]').count(), 0);
  // Home after a reload: the score is kept.
  await page.goto(`${server.url}/`);
  await page.reload();
  await page.locator('[data-testid=home]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  const card = page.locator('.lesson-card[data-lesson=sending-an-email]');
  assert.equal(await card.locator('[data-testid=lesson-score]').innerText(), 'Predicted 1 of 2');
  assert.equal(await card.locator('[data-testid=lesson-status]').innerText(), 'Finished');
  await context.close();
  assert.deepEqual(errors, []);
});

test('a teacher presents: large type, PageDown and Space step, Esc or the button ends it', { timeout: 60_000 }, async () => {
  const { context, errors } = await isolatedContext(browser, server.url, { viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/greylisting/step/0`);
  await lessonShown(page, 'greylisting', FIRST_LOAD_TIMEOUT);
  const size = () => page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  const before = await size();
  await page.keyboard.press('p');
  await page.waitForFunction(() => document.documentElement.hasAttribute('data-presenting'));
  assert.ok((await size()) > before * 1.2, 'larger type');
  assert.equal(await page.locator('[data-testid=present]').getAttribute('aria-pressed'), 'true');
  const cursor = () => page.locator('main[data-testid=player]').getAttribute('data-cursor');
  await page.keyboard.press('PageDown');
  await page.waitForFunction(() => document.querySelector('main[data-testid=player]').dataset.cursor === '1');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('main[data-testid=player]').dataset.cursor === '2');
  assert.equal(await page.locator('[data-testid=play]').getAttribute('aria-pressed'), 'false', 'Space steps, it does not play');
  await page.keyboard.press('PageUp');
  assert.equal(await cursor(), '1');
  // The controls are out of the way (below the window) until the mouse or focus comes.
  const box = await page.locator('.controls').boundingBox();
  assert.ok(box.y > 1080 - 20, `controls hidden, at y=${box.y}`);
  await page.screenshot({ path: await artifactPath('present-1920.png') });
  // The transcript's key gives its room to the rows.
  assert.equal(await page.locator('[data-testid=transcript-legend]').isVisible(), false);
  // With the focus in the controls (Tab, or Play focused after a question) they come back,
  // and take their own room: the transcript's current row, at the foot of the list from
  // the lesson's end on, is above them, not under them.
  await page.locator('[data-testid=play]').focus();
  const clear = (cursor) =>
    page.waitForFunction((c) => {
      const controls = document.querySelector('.controls').getBoundingClientRect();
      const list = document.querySelector('[data-testid=transcript]').getBoundingClientRect();
      const row = document.querySelector('[data-testid=transcript] [aria-current]').getBoundingClientRect();
      return (
        document.querySelector('main[data-testid=player]').dataset.cursor === c &&
        controls.bottom <= innerHeight + 1 &&
        row.height > 0 &&
        row.bottom > list.bottom - row.height - 40 &&
        row.bottom <= controls.top + 1
      );
    }, cursor);
  await page.waitForFunction(() => document.querySelector('.controls').getBoundingClientRect().bottom <= innerHeight + 1);
  await page.keyboard.press('End');
  await page.waitForFunction(() => document.querySelector('main[data-testid=player]').dataset.cursor !== '1');
  await clear(await page.locator('main[data-testid=player]').getAttribute('data-cursor'));
  await page.locator('[data-testid=present]').click();
  await page.waitForFunction(() => !document.documentElement.hasAttribute('data-presenting'));
  assert.equal(await size(), before);
  await context.close();
  assert.deepEqual(errors, []);
});

test('entering and leaving presenter mode keeps the current row, or the selected one, of the transcript in sight', { timeout: 60_000 }, async () => {
  const { context, errors } = await isolatedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/greylisting/step/40`);
  await lessonShown(page, 'greylisting', FIRST_LOAD_TIMEOUT);
  // The row's top inside the list's visible part (a tall row may go past its bottom).
  const inSight = (selector) => {
    const list = document.querySelector('[data-testid=transcript]');
    const row = list.querySelector(selector);
    return row && row.offsetTop >= list.scrollTop - 1 && row.offsetTop + Math.min(row.offsetHeight, list.clientHeight) <= list.scrollTop + list.clientHeight + 1;
  };
  await page.waitForFunction(inSight, '[aria-current]');
  const rows = await page.locator('[data-testid=transcript-row]').count();
  assert.ok(rows >= 30, `${rows} rows: the list scrolls`);
  const toggle = async (on) => {
    await page.locator('[data-testid=present]').click();
    await page.waitForFunction((v) => document.documentElement.hasAttribute('data-presenting') === v, on);
  };
  // The current row (the last one): in sight with the larger type, and back.
  for (const on of [true, false]) {
    await toggle(on);
    await page.waitForFunction(inSight, '[aria-current]', { timeout: 5_000 });
  }
  // A row selected in the middle of the list stays in sight instead, though the list was
  // at its bottom.
  await page.locator('[data-testid=transcript-row][data-index="20"]').click();
  await page.waitForFunction(inSight, '[aria-selected=true]');
  for (const on of [true, false]) {
    await toggle(on);
    await page.waitForFunction(inSight, '[aria-selected=true]', { timeout: 5_000 });
  }
  assert.equal(await page.locator('main[data-testid=player]').getAttribute('data-cursor'), '40', 'no step');
  await context.close();
  assert.deepEqual(errors, []);
});

test('a lesson opened by its address is fetched once, while the app loads, and drawn once, with it', { timeout: 60_000 }, async () => {
  const { context, errors } = await isolatedContext(browser, server.url);
  // How the code was compiled: as it streams in, or from a whole buffer once downloaded.
  await watchLoading(context);
  await context.addInitScript(() => {
    window.compiled = [];
    for (const name of ['instantiateStreaming', 'compileStreaming', 'instantiate', 'compile']) {
      const original = WebAssembly[name];
      WebAssembly[name] = function (source, ...rest) {
        window.compiled.push(`${name}(${source?.constructor?.name})`);
        return original.call(this, source, ...rest);
      };
    }
  });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/a-bounce/step/3`);
  await lessonShown(page, 'a-bounce', FIRST_LOAD_TIMEOUT);
  assert.equal(await page.locator('main[data-testid=player]').getAttribute('data-cursor'), '3');
  const loads = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((r) => ({ name: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd })),
  );
  const lesson = loads.filter((r) => r.name === '/lessons/a-bounce.md');
  assert.equal(lesson.length, 1, 'fetched once');
  // The code is compiled while it streams in, from the one download its preload began.
  assert.deepEqual(await page.evaluate(() => window.compiled), ['instantiateStreaming(Response)']);
  assert.equal(loads.filter((r) => r.name.endsWith('.wasm')).length, 1, 'the wasm fetched once');
  assert.deepEqual(
    await page.evaluate(() => [window.mailroomLesson?.id, typeof window.mailroomLesson?.value]),
    ['a-bounce', 'string'],
    "fetched by the page's own script, as it loaded",
  );
  // The first render waits for it, up to 300 ms (a slow network shows "loading" instead).
  const took = lesson[0].end - lesson[0].start;
  assert.ok(!(await page.evaluate(() => window.sawLoading ?? false)) || took > 250, `never shown without its lesson (it took ${took} ms)`);

  // An address that names no lesson fetches nothing for it (no 404), and says so. (Opened
  // afresh: typed over the open player, the lesson shown stays and the address names it.)
  await page.goto('about:blank');
  await page.goto(`${server.url}/#/lesson/no-such-lesson/step/0`);
  await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
  // The address names the lesson shown.
  await page.waitForFunction(() => location.hash === '#/lesson/sending-an-email/step/0');
  assert.match(await page.locator('[data-testid=notice]').innerText(), /no lesson called “no-such-lesson”/);
  const names = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname));
  assert.ok(!names.includes('/lessons/no-such-lesson.md'), names.join(', '));
  await context.close();
  assert.deepEqual(errors, []);
});

test('a lesson file slower than the code: the player says it is loading, and the one fetch brings it', { timeout: 60_000 }, async () => {
  const { context, errors } = await isolatedContext(browser, server.url);
  await context.route('**/lessons/a-bounce.md', async (route) => {
    await new Promise((r) => setTimeout(r, 1_500));
    await route.continue();
  });
  await watchLoading(context);
  // Every address the page writes.
  await context.addInitScript(() => {
    window.written = [];
    const replace = history.replaceState;
    history.replaceState = function (state, title, url) {
      window.written.push(String(url));
      return replace.call(this, state, title, url);
    };
  });
  const page = await context.newPage();
  const asked = [];
  page.on('request', (r) => r.url().endsWith('/lessons/a-bounce.md') && asked.push(r.url()));
  await page.goto(`${server.url}/#/lesson/a-bounce/step/2`);
  await lessonShown(page, 'a-bounce', FIRST_LOAD_TIMEOUT);
  assert.equal(await page.evaluate(() => window.sawLoading ?? false), true, 'the player waited, saying so');
  assert.equal(await page.locator('main[data-testid=player]').getAttribute('data-cursor'), '2');
  assert.equal(asked.length, 1, `the page's own fetch, not a second one: ${asked.join(', ')}`);
  // While it loaded, the address kept its step (a reload then opens the same moment).
  await page.waitForTimeout(400);
  const written = await page.evaluate(() => window.written);
  assert.ok(written.every((u) => u.endsWith('#/lesson/a-bounce/step/2')), written.join(', '));
  assert.equal(await page.evaluate(() => location.hash), '#/lesson/a-bounce/step/2');
  await context.close();
  assert.deepEqual(errors, []);
});

test('going back while the next lesson loads: the lesson gone back to, at its step and its address', { timeout: 60_000 }, async () => {
  const { context, errors } = await isolatedContext(browser, server.url);
  await context.route('**/lessons/a-bounce.md', async (route) => {
    await new Promise((r) => setTimeout(r, 1_500));
    await route.continue();
  });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/sending-an-email/step/3`);
  await lessonShown(page, 'sending-an-email', FIRST_LOAD_TIMEOUT);
  await page.evaluate(() => { location.hash = '#/lesson/a-bounce/step/1'; });
  await page.waitForFunction(() => document.querySelector('main[data-testid=player]').hasAttribute('aria-busy'));
  await page.evaluate(() => history.back());
  await page.waitForFunction(() => location.hash === '#/lesson/sending-an-email/step/3');
  // Past the slow lesson's arrival: it is not the one shown.
  await page.waitForTimeout(2_000);
  await lessonShown(page, 'sending-an-email');
  assert.equal(await page.locator('main[data-testid=player]').getAttribute('data-cursor'), '3');
  assert.equal(await page.evaluate(() => location.hash), '#/lesson/sending-an-email/step/3');
  await context.close();
  assert.deepEqual(errors, []);
});

test('a first load that failed (the connection lost): "Try again" loads the lesson at the step the address names', { timeout: 60_000 }, async () => {
  // No service worker: it would fetch past the cut (Playwright's routes do not see its
  // requests) and keep every lesson.
  const { context, errors } = await isolatedContext(browser, server.url, { serviceWorkers: 'block' });
  // Every lesson file refused, the first lesson's too (what the player falls back to).
  let cut = true;
  await context.route('**/lessons/*.md', (route) => (cut ? route.abort('internetdisconnected') : route.continue()));
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/a-bounce/step/4`);
  const notice = page.locator('[data-testid=notice]');
  // Offered once the fallback to the first lesson has failed too: nothing on its way.
  const retry = page.getByRole('button', { name: 'Try again' });
  await retry.waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.match(await notice.innerText(), /could not be loaded/);
  const player = page.locator('main[data-testid=player]');
  assert.equal(await player.getAttribute('data-total'), '0', 'nothing shown');
  assert.equal(await page.locator('#narration-title').innerText(), 'Not loaded', 'not "Loading…"');
  assert.equal(await page.locator('.transcript-empty').innerText(), 'Nothing to show: the lesson did not load.', 'not "Press Play"');
  // The address kept what was asked for.
  assert.equal(await page.evaluate(() => location.hash), '#/lesson/a-bounce/step/4');
  cut = false;
  await retry.focus();
  await page.keyboard.press('Enter');
  await lessonShown(page, 'a-bounce', FIRST_LOAD_TIMEOUT);
  assert.equal(await player.getAttribute('data-cursor'), '4');
  assert.equal(await notice.count(), 0, 'the notice is gone with the failure');
  assert.equal(await retry.count(), 0);

  await context.close();
  assert.deepEqual(errors.filter((e) => !e.includes('ERR_INTERNET_DISCONNECTED')), []);

  // Lost on another first visit: the address named again, at another step (typed, or a
  // link followed), tries again too.
  const second = await isolatedContext(browser, server.url, { serviceWorkers: 'block' });
  let lost = true;
  await second.context.route('**/lessons/*.md', (route) => (lost ? route.abort('internetdisconnected') : route.continue()));
  const again = await second.context.newPage();
  await again.goto(`${server.url}/#/lesson/greylisting/step/1`);
  await again.getByRole('button', { name: 'Try again' }).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  lost = false;
  await again.evaluate(() => { location.hash = '#/lesson/greylisting/step/2'; });
  await lessonShown(again, 'greylisting', FIRST_LOAD_TIMEOUT);
  assert.equal(await again.locator('main[data-testid=player]').getAttribute('data-cursor'), '2');
  await second.context.close();
  assert.deepEqual(second.errors.filter((e) => !e.includes('ERR_INTERNET_DISCONNECTED')), []);
});

test('where full screen is refused, Esc still ends presenter mode', { timeout: 60_000 }, async () => {
  const { context, errors } = await isolatedContext(browser, server.url);
  // A browser or a frame that does not grant full screen: the request never succeeds.
  await context.addInitScript(() => {
    Element.prototype.requestFullscreen = () => new Promise(() => {});
  });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/greylisting/step/0`);
  await lessonShown(page, 'greylisting', FIRST_LOAD_TIMEOUT);
  await page.keyboard.press('p');
  await page.waitForFunction(() => document.documentElement.hasAttribute('data-presenting'));
  assert.equal(await page.evaluate(() => document.fullscreenElement), null, 'not in full screen');
  await page.keyboard.press('PageDown');
  await page.waitForFunction(() => document.querySelector('main[data-testid=player]').dataset.cursor === '1');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.documentElement.hasAttribute('data-presenting'));
  assert.equal(await page.locator('[data-testid=present]').getAttribute('aria-pressed'), 'false');
  // Not presenting, Esc is the browser's: nothing changes.
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('main[data-testid=player]').getAttribute('data-cursor'), '1');
  await context.close();
  assert.deepEqual(errors, []);
});
