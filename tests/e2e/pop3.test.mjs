// The POP3 lessons in headless Chromium against the release build in dist/
// (scripts/build.sh): each lesson is opened, stepped through to its end with the
// keyboard, and the mail program panel is checked at the parts that talk about it
// (found by their titles, never by step numbers).
//
// Like journey.test.mjs it follows the DOM contract (data-testid and data-* attributes,
// ARIA) and polls the page (waitForFunction), never sleeps. Screenshots at a laptop's and
// a projector's full-HD size go to tests/e2e/artifacts/ (gitignored), to be looked at.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedContext, artifactPath, lessonShown, stepRight, openBuild, closeBuild } from './browser.mjs';

const FIRST_LOAD_TIMEOUT = 30_000;
const TIMEOUT = 15_000;
const BOB = 'bob@example.net';
const ALICE = 'alice@example.org';

const SEL = {
  player: 'main[data-testid=player]',
  panel: '[data-testid=mail-programs]',
  explanation: '[data-testid=explanation]',
  mailboxes: '[data-testid=mailbox]',
};

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild());
});

after(() => closeBuild({ server, browser }));

async function waitUntil(page, what, predicate, arg, timeout = TIMEOUT) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 'raf' });
  } catch (err) {
    const state = await page
      .evaluate((s) => ({ hash: location.hash, panel: document.querySelector(s)?.innerText.slice(0, 600) }), SEL.panel)
      .catch(() => '(unavailable)');
    throw new Error(`timed out waiting for ${what}; page: ${JSON.stringify(state)}\n${err.message.split('\n')[0]}`);
  }
}

/** A fresh page on `lesson` at step 0, at `viewport`. */
async function open(lesson, viewport = { width: 1366, height: 768 }) {
  const { context, errors, offsite } = await isolatedContext(browser, server.url, { viewport });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await page.goto(`${server.url}/#/lesson/${lesson}/step/0`);
  await page.locator(SEL.player).waitFor({ state: 'visible', timeout: FIRST_LOAD_TIMEOUT });
  await lessonShown(page, lesson, FIRST_LOAD_TIMEOUT);
  await waitUntil(page, 'the panel', (s) => !!document.querySelector(s), SEL.panel);
  return { page, context, errors, offsite };
}

const cursorOf = (page) => page.evaluate((s) => Number(document.querySelector(s).dataset.cursor), SEL.player);
const totalOf = (page) => page.evaluate((s) => Number(document.querySelector(s).dataset.total), SEL.player);

/** Goes to the start of the part titled `title`, with its button in the parts strip. */
async function gotoPart(page, title) {
  const button = page.locator(`[data-testid=narration] nav button[aria-label$=": ${title}"]`);
  assert.equal(await button.count(), 1, `one part is titled "${title}"`);
  await button.click();
  await waitUntil(page, `part "${title}"`, (t) => document.querySelector('#narration-title')?.textContent.trim() === t, title);
}

/** What the panel shows of `user`'s mail: its lock line, headings, and each row. */
function readGroup(page, user) {
  return page.evaluate(
    ([panel, user]) => {
      const g = document.querySelector(`${panel} [data-testid=mail-group][data-user="${user}"]`);
      if (!g) return null;
      return {
        lock: g.querySelector('[data-testid=maildrop-lock]')?.textContent.trim(),
        headings: [...g.querySelectorAll('thead th')].map((th) => th.textContent.trim()),
        rows: [...g.querySelectorAll('[data-testid=mail-row]')].map((r) => ({
          uid: r.dataset.uid,
          server: r.dataset.server,
          copies: [...r.querySelectorAll('[data-copies]')].map((c) => Number(c.dataset.copies)),
          believed: [...r.querySelectorAll('[data-believed]')].map((c) => c.dataset.believed === 'true'),
          subject: r.querySelector('th')?.textContent.trim(),
        })),
        errors: [...g.querySelectorAll('[data-testid=mail-error]')].map((e) => e.textContent.trim()),
      };
    },
    [SEL.panel, user],
  );
}

/** Waits until `user`'s rows read `want`: [uid, server state, copies per program]. */
async function expectRows(page, user, want) {
  await waitUntil(
    page,
    `${user}'s rows ${JSON.stringify(want)}`,
    ([panel, user, want]) => {
      const rows = [...document.querySelectorAll(`${panel} [data-testid=mail-group][data-user="${user}"] [data-testid=mail-row]`)];
      const got = rows.map((r) => [r.dataset.uid, r.dataset.server, [...r.querySelectorAll('[data-copies]')].map((c) => Number(c.dataset.copies))]);
      return JSON.stringify(got) === JSON.stringify(want);
    },
    [SEL.panel, user, want],
  );
}

async function expectLock(page, user, words) {
  await waitUntil(
    page,
    `${user}'s maildrop "${words}"`,
    ([panel, user, words]) =>
      (document.querySelector(`${panel} [data-testid=mail-group][data-user="${user}"] [data-testid=maildrop-lock]`)?.textContent ?? '').includes(words),
    [SEL.panel, user, words],
  );
}

/** Steps from the start to the end with the right arrow, one step at a time. */
async function stepToTheEnd(page) {
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.keyboard.press('Home');
  await waitUntil(page, 'step 0', (s) => document.querySelector(s)?.dataset.cursor === '0', SEL.player);
  const total = await totalOf(page);
  for (let n = 1; n <= total; n++) {
    await stepRight(page);
    await waitUntil(page, `step ${n}`, ([s, n]) => document.querySelector(s)?.dataset.cursor === String(n), [SEL.player, n]);
  }
  assert.equal(await cursorOf(page), total);
}

async function shoot(page, name) {
  await page.screenshot({ path: await artifactPath(`pop3-${name}.png`) });
}

async function finish(context, errors, offsite) {
  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
}

test('Retrieving mail with POP3: listed, marked, removed at QUIT, downloaded', { timeout: 180_000 }, async () => {
  const { page, context, errors, offsite } = await open('retrieving-mail-with-pop3');
  // The panel replaces the mailboxes; before anything, the maildrop is empty and free.
  assert.equal(await page.locator(SEL.mailboxes).count(), 0);
  await expectLock(page, BOB, 'not locked');
  assert.deepEqual((await readGroup(page, BOB)).rows, []);

  await gotoPart(page, 'Logged in: the maildrop is locked');
  await expectLock(page, BOB, "locked by Bob's laptop");
  await expectRows(page, BOB, [['1.1', 'listed', [0]], ['1.2', 'listed', [0]]]);
  const g = await readGroup(page, BOB);
  assert.deepEqual(g.headings, ['No.', 'Message', 'Octets', 'UIDL', 'On mx', "On Bob's laptop"]);
  // The explanation panel explains the POP3 response in its context, with its RFC section.
  const explanation = await page.locator(SEL.explanation).innerText();
  assert.match(explanation, /Logged in: the maildrop is locked/);
  assert.match(explanation, /RFC 1939 §4/);

  await gotoPart(page, 'Marked, not deleted');
  await expectRows(page, BOB, [['1.1', 'marked', [1]], ['1.2', 'listed', [1]]]);
  await shoot(page, 'retrieving-marked-1366');

  await gotoPart(page, 'QUIT: now they are removed');
  await expectRows(page, BOB, [['1.1', 'removed', [1]], ['1.2', 'removed', [1]]]);
  await expectLock(page, BOB, 'not locked');

  await stepToTheEnd(page);
  await expectRows(page, BOB, [['1.1', 'removed', [1]], ['1.2', 'removed', [1]]]);
  await finish(context, errors, offsite);
});

test('Keeping mail on the server: only the new unique-id is downloaded', { timeout: 180_000 }, async () => {
  const { page, context, errors, offsite } = await open('keeping-mail-on-the-server');
  await gotoPart(page, 'Still on the server');
  await expectRows(page, BOB, [['1.1', 'stored', [1]]]);

  await gotoPart(page, 'The unique-ids tell');
  await expectRows(page, BOB, [['1.1', 'listed', [1]], ['1.2', 'listed', [0]]]);
  const { rows } = await readGroup(page, BOB);
  assert.deepEqual(rows.map((r) => r.believed), [[true], [true]], 'both listed by UIDL: believed on the server');

  await stepToTheEnd(page);
  await expectRows(page, BOB, [['1.1', 'stored', [1]], ['1.2', 'stored', [1]]]);
  await shoot(page, 'keeping-end-1366');
  await finish(context, errors, offsite);
});

test('A connection dropped before QUIT deletes nothing; the server holds the lock until its timer; the next check downloads a second copy', { timeout: 180_000 }, async () => {
  const { page, context, errors, offsite } = await open('connection-drops-before-quit');
  await gotoPart(page, 'Marked for deletion');
  await expectRows(page, BOB, [['1.1', 'marked', [1]]]);

  // The QUIT is lost as it leaves; the server, told nothing, keeps the session: marked and locked.
  await gotoPart(page, 'QUIT never arrives');
  await expectRows(page, BOB, [['1.1', 'marked', [1]]]);
  await expectLock(page, BOB, "locked by Bob's laptop");
  await gotoPart(page, "The mail program's error");
  assert.match((await readGroup(page, BOB)).errors.join(' '), /Last check failed: .*not confirmed/);
  await gotoPart(page, 'Locked out');
  await expectLock(page, BOB, "locked by Bob's laptop");
  // Its inactivity timer ends the session: nothing deleted, the lock released.
  await gotoPart(page, 'The server gives up');
  await expectRows(page, BOB, [['1.1', 'stored', [1]]]);
  await expectLock(page, BOB, 'not locked');

  await stepToTheEnd(page);
  await expectRows(page, BOB, [['1.1', 'removed', [2]]]);
  await finish(context, errors, offsite);
});

test('The lock: the phone is told [IN-USE], then gets in once the laptop has finished', { timeout: 180_000 }, async () => {
  const { page, context, errors, offsite } = await open('the-pop3-lock');
  await gotoPart(page, '-ERR [IN-USE]');
  await expectLock(page, BOB, "locked by Bob's laptop");
  // The diagram says mx holds two sessions, and whose state it shows.
  const diagram = await page.locator('[data-testid=diagram]').textContent();
  assert.match(diagram, /Bob's provider, 198\.51\.100\.25: 2 clients; the newest: waits for USER and PASS;/);
  const g = await readGroup(page, BOB);
  assert.deepEqual(g.headings.slice(-2), ["On Bob's laptop", "On Bob's phone"]);
  assert.match(await page.locator(SEL.explanation).innerText(), /IN-USE[\s\S]*RFC 2449 §8\.1\.2/);
  await shoot(page, 'lock-in-use-1366');

  await gotoPart(page, 'This time it gets in');
  await expectLock(page, BOB, "locked by Bob's phone");

  await stepToTheEnd(page);
  await expectRows(page, BOB, [['1.1', 'stored', [1, 1]]]);
  await finish(context, errors, offsite);
});

test('The whole journey: Bob downloads Alice\'s email, Alice downloads the bounce', { timeout: 180_000 }, async () => {
  const { page, context, errors, offsite } = await open('the-whole-journey');
  await gotoPart(page, 'Deleted at QUIT');
  await expectRows(page, BOB, [['1.1', 'removed', [1]]]);
  assert.deepEqual((await readGroup(page, ALICE)).rows, [], 'nothing for Alice yet');

  await gotoPart(page, 'Filed in Alice\'s maildrop');
  await expectRows(page, ALICE, [['1.1', 'stored', [0]]]);
  // The group that changed last comes first.
  const first = await page.locator(`${SEL.panel} [data-testid=mail-group]`).first().getAttribute('data-user');
  assert.equal(first, ALICE);

  await stepToTheEnd(page);
  await expectRows(page, ALICE, [['1.1', 'removed', [1]]]);
  const { rows } = await readGroup(page, ALICE);
  assert.match(rows[0].subject, /Undelivered Mail Returned to Sender/);
  await finish(context, errors, offsite);
});

test('The panel at a laptop and a full-HD projector: rows in sight, narration whole', { timeout: 120_000 }, async () => {
  for (const viewport of [{ width: 1366, height: 768 }, { width: 1920, height: 1080 }]) {
    const { page, context, errors, offsite } = await open('the-pop3-lock', viewport);
    await gotoPart(page, 'The laptop gets in first');
    const where = await page.evaluate(
      ([panel]) => {
        const r = (s) => document.querySelector(s)?.getBoundingClientRect();
        const row = r(`${panel} [data-testid=mail-row]`);
        const body = r('[data-testid=narration-body]');
        const narration = document.querySelector('[data-testid=narration-body]');
        return {
          row: row && row.bottom <= innerHeight && row.top >= 0,
          narration: body && body.bottom <= innerHeight && narration.scrollHeight <= narration.clientHeight + 1,
        };
      },
      [SEL.panel],
    );
    assert.deepEqual(where, { row: true, narration: true }, `${viewport.width}x${viewport.height}`);
    await shoot(page, `lock-laptop-gets-in-${viewport.width}`);
    await finish(context, errors, offsite);
  }
});

test('The transcript of a mail program\'s check: who to whom whole, its clock in milliseconds', { timeout: 120_000 }, async () => {
  const { page, context, errors, offsite } = await open('retrieving-mail-with-pop3');
  // In the full build, where open() has landed (the lite page would hand over to it again).
  await page.goto(`${server.url}/full/#/lesson/retrieving-mail-with-pop3/step/101`);
  await waitUntil(page, 'step 101', (s) => document.querySelector(s)?.dataset.cursor === '101', SEL.player);
  const rows = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid=transcript-row]')].slice(-12).map((r) => {
      const route = r.querySelector('.row-route');
      return { time: r.querySelector('.row-time').textContent, route: route.textContent, cut: route.scrollWidth > route.clientWidth };
    }),
  );
  // "bob-laptop → mx" in full (it was "bob-laptop →…"), at every width of the column.
  assert.ok(rows.some((r) => r.route === 'bob-laptop → mx'), JSON.stringify(rows));
  assert.deepEqual(rows.filter((r) => r.cut), [], 'no route cut');
  // A minute in, the check's steps are milliseconds apart: the clock says so (every row
  // read 0:01:00 before).
  const late = rows.map((r) => r.time).filter((t) => /^\d+:\d\d\.\d{3}$/.test(t));
  assert.ok(late.length >= 4, JSON.stringify(rows));
  assert.ok(new Set(late).size > 1, `the clock moves: ${late}`);
  // The earlier rows left out: said once.
  assert.match(await page.locator('.transcript-more').innerText(), /^Show the (\d+) earlier steps$/);
  await finish(context, errors, offsite);
});

test('Presenter mode: the table of two mail programs keeps every column in sight, at 1024, 1366 and 1920', { timeout: 120_000 }, async () => {
  for (const viewport of [{ width: 1024, height: 768 }, { width: 1366, height: 768 }, { width: 1920, height: 1080 }]) {
    const { page, context, errors, offsite } = await open('the-pop3-lock', viewport);
    await gotoPart(page, 'Done');
    await page.keyboard.press('p');
    await waitUntil(page, 'presenter mode', () => document.documentElement.hasAttribute('data-presenting'));
    const size = `${viewport.width}x${viewport.height}`;
    // A projector cannot scroll the table sideways: nothing of it past its box.
    const table = await page.evaluate((panel) => {
      const wrap = document.querySelector(`${panel} .mail-table-wrap`);
      const box = wrap.getBoundingClientRect();
      const heads = [...wrap.querySelectorAll('thead th')].filter((th) => th.getClientRects().length > 0);
      return {
        sideways: wrap.scrollWidth - wrap.clientWidth,
        cut: heads.filter((th) => th.getBoundingClientRect().right > box.right + 0.5).map((th) => th.textContent.trim()),
        shown: heads.map((th) => th.textContent.trim()),
        meta: [...wrap.querySelectorAll('.mail-meta')].some((m) => m.getClientRects().length > 0),
      };
    }, SEL.panel);
    assert.ok(table.sideways <= 1, `${size}: ${JSON.stringify(table)}`);
    assert.deepEqual(table.cut, [], size);
    assert.deepEqual(table.shown.slice(-2), ["On Bob's laptop", "On Bob's phone"], size);
    // Size and unique-id, when their columns give way, are under the subject.
    assert.ok(table.shown.includes('UIDL') || table.meta, `${size}: size and unique-id shown: ${JSON.stringify(table)}`);
    await shoot(page, `lock-presenting-${viewport.width}`);
    await finish(context, errors, offsite);
  }
});
