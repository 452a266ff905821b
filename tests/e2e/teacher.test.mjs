// A teacher's own lesson, in headless Chromium against the release build in dist/: from
// the home page to "Your lessons" (the full build), a pasted lesson with mistakes shown
// with their lines, fixed and played; kept in the browser across a reload; a file opened
// with mistakes named by its file; shared as a link that plays in a browser that never saw
// it; removed. Follows the DOM contract (data-testid, data-* attributes) and polls.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { isolatedContext, artifactPath, lessonShown, openBuild, closeBuild } from './browser.mjs';

const FIRST_LOAD_TIMEOUT = 30_000;

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild(['full/index.html']));
});

after(() => closeBuild({ server, browser }));

const GOOD = `---
title: Our own bounce
summary: A class's own lesson.
from: Alice Liddell <alice@example.org>
to: Nobody <nobody@example.net>
---

## A typo
@ start

Alice writes to an address that does not exist. Her provider will say:

\`\`\`
RCPT TO:<nobody@example.net>
550 5.1.1 no such user
\`\`\`

## No such user
@ reply to RCPT on mx.example.net

\`\`\`question reply
What does Bob's provider answer?
- 250: fine
- 550: no such mailbox
\`\`\`

Bob's provider knows its users.
`;

// Three mistakes: a front matter value, an anchor that matches no event, and a question
// whose answer is not what happens (found once the first two are fixed).
const BROKEN = GOOD.replace('summary: A class', 'path: sideways\nsummary: A class').replace('@ start', '@ start\n\n## Never\n@ dns query TXT nowhere.example');

test('a teacher writes a lesson, fixes it, plays it, keeps it and shares it', { timeout: 180_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.locator('[data-testid=home]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  await page.locator('[data-testid=yours-link]').click();
  // The lite app hands the teachers' tools to the full build.
  await page.locator('[data-testid=your-lessons]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.equal(new URL(page.url()).pathname, '/full/');

  // Pasted with mistakes: every one of the file's own, with its line.
  await page.locator('[data-testid=lesson-text]').fill(BROKEN);
  await page.locator('[data-testid=play-text]').click();
  const mistakes = page.locator('[data-testid=lesson-errors]');
  await mistakes.waitFor();
  // With the anchor that matches nothing, at once: a wrong `path:` changes nothing the
  // simulation does, so the lesson runs as well. What the run did is no mistake.
  assert.match(await mistakes.innerText(), /^The lesson in the box below has 2 mistakes; fix them, then play it again:\s+line 3: unknown path sideways[^]*: no such event happens[^]*what this lesson's run did/);
  // What a mistake quotes between backticks is shown as code, without them.
  assert.equal(await mistakes.locator('code', { hasText: /^sideways$/ }).count(), 1);
  await page.screenshot({ path: await artifactPath('teacher-errors-1366.png') });
  // "line 3" goes to line 3 in the box: selected, the box focused, the caret's line said.
  const box = page.locator('[data-testid=lesson-text]');
  assert.match(await page.locator('[data-testid=caret-line]').innerText(), /^The cursor is on line \d+ of \d+$/);
  await box.evaluate((a) => (a.scrollTop = a.scrollHeight));
  await mistakes.locator('[data-testid=go-to-line]', { hasText: /^line 3$/ }).click();
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'lesson-text');
  // In sight: the box scrolled back up to it (a browser does not follow a selection made
  // by script). Where the line stands is measured in a copy of the box, as it wraps.
  const sight = await box.evaluate((a) => {
    const copy = a.cloneNode();
    copy.style.cssText = `position:absolute;visibility:hidden;height:0;min-height:0;width:${a.offsetWidth}px`;
    copy.value = a.value.slice(0, a.selectionStart);
    a.after(copy);
    const bottom = copy.scrollHeight;
    copy.remove();
    return { bottom, top: a.scrollTop, height: a.clientHeight, max: a.scrollHeight - a.clientHeight };
  });
  assert.ok(sight.max > 0, `the lesson is taller than the box: ${JSON.stringify(sight)}`);
  assert.ok(sight.top < sight.bottom && sight.bottom <= sight.top + sight.height, `line 3 in sight: ${JSON.stringify(sight)}`);
  const line3 = await box.evaluate((a) => a.value.slice(a.selectionStart, a.selectionEnd));
  assert.equal(line3, BROKEN.split('\n')[2]);
  assert.equal(line3, 'path: sideways');
  assert.equal(await page.locator('[data-testid=caret-line]').innerText(), `The cursor is on line 3 of ${BROKEN.split('\n').length}`);
  // Left half written and the page reloaded (as after the logo and Back, or a closed
  // tab): the box still holds it.
  await page.reload();
  await page.locator('[data-testid=your-lessons]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.equal(await page.locator('[data-testid=lesson-text]').inputValue(), BROKEN);
  // Fixed in the page: the anchor that matches no event is still said.
  await page.locator('[data-testid=lesson-text]').fill(BROKEN.replace('path: sideways\n', ''));
  await page.locator('[data-testid=play-text]').click();
  await page.waitForFunction(() => /no such event happens/.test(document.querySelector('[data-testid=lesson-errors]')?.innerText ?? ''));
  // A question whose answer is not what happens.
  await page.locator('[data-testid=lesson-text]').fill(GOOD.replace('- 550: no such mailbox', '- 451: later'));
  await page.locator('[data-testid=play-text]').click();
  await page.waitForFunction(() => /none of its choices is what happens: the answer is 550/.test(document.querySelector('[data-testid=lesson-errors]')?.innerText ?? ''));
  // A block of code left open would take the steps after it for its text: named, with its line.
  await page.locator('[data-testid=lesson-text]').fill(GOOD.replace('550 5.1.1 no such user\n```', '550 5.1.1 no such user').replace(/```question reply[^`]*```\n/, ''));
  await page.locator('[data-testid=play-text]').click();
  await page.waitForFunction(() => /line 13: this ``` block is not closed/.test(document.querySelector('[data-testid=lesson-errors]')?.innerText ?? ''));
  // Right at last: it plays at once.
  await page.locator('[data-testid=lesson-text]').fill(GOOD);
  await page.locator('[data-testid=play-text]').click();
  await lessonShown(page, 'my-our-own-bounce', FIRST_LOAD_TIMEOUT);
  // Its block of code shows as written, line by line.
  assert.equal((await page.locator('[data-testid=narration-body] pre').innerText()).trimEnd(), 'RCPT TO:<nobody@example.net>\n550 5.1.1 no such user');
  assert.equal(await page.title(), 'Our own bounce · Mailroom');
  // Its end leads back to the teacher's lessons, not to the built-in path.
  await page.keyboard.press('End');
  const onward = page.locator('[data-testid=next-lesson] a', { hasText: 'Your lessons ›' });
  await onward.waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.equal(await onward.getAttribute('href'), '#/yours');
  await page.keyboard.press('Home');
  // Back to where it is written, from the player's top bar.
  const back = page.locator('[data-testid=yours-back]');
  assert.equal(await back.getAttribute('href'), '#/yours');
  await back.click();
  await page.locator('[data-testid=your-lessons]').waitFor();
  assert.equal(await page.locator('[data-testid=lesson-text]').inputValue(), GOOD);
  await page.goBack();
  await lessonShown(page, 'my-our-own-bounce', FIRST_LOAD_TIMEOUT);
  // The lesson picker names it too (not the first lesson of the list), and offers the others.
  const picked = await page.locator('[data-testid=lesson-picker]').evaluate((s) => [s.value, s.selectedOptions[0]?.textContent]);
  assert.deepEqual(picked, ['my-our-own-bounce', 'Our own bounce']);
  // Its hand-out, made from the copy kept in this browser (no file on the server has it).
  await page.locator('[data-testid=handout-link]').click();
  await page.locator('[data-testid=handout][data-lesson=my-our-own-bounce]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.equal(await page.locator('#sheet-title').innerText(), 'Our own bounce');
  await page.goBack();
  await lessonShown(page, 'my-our-own-bounce', FIRST_LOAD_TIMEOUT);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('main[data-testid=player]').dataset.cursor === '1');

  // Kept: listed after a reload.
  await page.goto(`${server.url}/full/#/yours`);
  await page.reload();
  const kept = page.locator('[data-testid=kept] li[data-lesson=my-our-own-bounce]');
  await kept.waitFor({ timeout: FIRST_LOAD_TIMEOUT });

  // On the lite home page too, under "Your own lessons": its card opens it (in the full build).
  await page.goto(`${server.url}/`);
  const card = page.locator('[data-testid=my-lessons] .lesson-card[data-lesson=my-our-own-bounce] a');
  await card.waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.match(await card.innerText(), /^Our own bounce\nKept in this browser/);
  await card.click();
  await lessonShown(page, 'my-our-own-bounce', FIRST_LOAD_TIMEOUT);
  await page.goto(`${server.url}/full/#/yours`);
  await kept.waitFor({ timeout: FIRST_LOAD_TIMEOUT });

  // The file picker's button shows where the keyboard is (its input is hidden).
  for (let i = 0; i < 30 && !(await page.evaluate(() => document.activeElement?.dataset.testid === 'open-file')); i++) {
    await page.keyboard.press('Tab');
  }
  const ring = await page.locator('[data-testid=open-file]').evaluate((input) => getComputedStyle(input.closest('label')).outlineStyle);
  assert.equal(ring, 'solid', 'the focused file picker has a focus ring');

  // Enter, as Space, opens the picker (the browser's own, on the input under the label):
  // the input is clicked within the key press, what opens the system's file dialog
  // (playwright's own file-chooser event came too late to catch it at times).
  await page.locator('[data-testid=open-file]').evaluate((input) => {
    input.addEventListener('click', (e) => {
      e.preventDefault();
      window.pickerClicked = navigator.userActivation.isActive ? 'with activation' : 'without';
    }, { once: true });
  });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.pickerClicked);
  assert.equal(await page.evaluate(() => window.pickerClicked), 'with activation', 'clicked within the key press');
  // A file with a mistake: named by its file.
  await page.locator('[data-testid=open-file]').setInputFiles({ name: 'homework.md', mimeType: 'text/markdown', buffer: Buffer.from(BROKEN) });
  await page.waitForFunction(() => /^homework\.md has 2 mistakes;[^]*line 3: unknown path/.test(document.querySelector('[data-testid=lesson-errors]')?.innerText ?? ''));

  // Several files at once: every good one kept (none lost to another), every broken one's
  // mistakes shown, the page stays to say so, and the broken text is in the box to mend.
  const titled = (t) => GOOD.replace('title: Our own bounce', `title: ${t}`);
  await page.locator('[data-testid=open-file]').setInputFiles([
    { name: 'first.md', mimeType: 'text/markdown', buffer: Buffer.from(titled('First of two')) },
    { name: 'broken.md', mimeType: 'text/markdown', buffer: Buffer.from(BROKEN) },
    { name: 'second.md', mimeType: 'text/markdown', buffer: Buffer.from(titled('Second of two')) },
  ]);
  await page.waitForFunction(() => /^broken\.md has 2 mistakes;[^]*line 3: unknown path/.test(document.querySelector('[data-testid=lesson-errors]')?.innerText ?? ''));
  assert.match(await page.locator('[data-testid=kept-notice]').innerText(), /^Kept, in the list below: “First of two”, “Second of two”\.$/);
  for (const id of ['my-first-of-two', 'my-second-of-two', 'my-our-own-bounce']) {
    await page.locator(`[data-testid=kept] li[data-lesson=${id}]`).waitFor();
  }
  assert.equal(await page.locator('[data-testid=lesson-text]').inputValue(), BROKEN);
  assert.match(page.url(), /#\/yours$/);
  // A good file with one too large to be a lesson: the good one is kept, and the page
  // stays to say what is wrong with the other (not played away from it).
  await page.locator('[data-testid=open-file]').setInputFiles([
    { name: 'third.md', mimeType: 'text/markdown', buffer: Buffer.from(titled('Third of two')) },
    { name: 'huge.md', mimeType: 'text/markdown', buffer: Buffer.alloc(2 * 1024 * 1024, 'a') },
  ]);
  await page.waitForFunction(() => /^huge\.md has a mistake;[^]*too large/.test(document.querySelector('[data-testid=lesson-errors]')?.innerText ?? ''));
  assert.match(await page.locator('[data-testid=kept-notice]').innerText(), /“Third of two”/);
  assert.match(page.url(), /#\/yours$/);
  await page.getByRole('button', { name: 'Remove “Third of two”' }).click();
  // Kept for good: after a reload, both are still there.
  await page.reload();
  for (const id of ['my-first-of-two', 'my-second-of-two']) {
    await page.locator(`[data-testid=kept] li[data-lesson=${id}]`).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  }

  // Shared: the link plays in a browser that has never seen the lesson. It carries the
  // lesson deflated (`z.`), shorter than the text itself in base64.
  await kept.getByRole('button', { name: 'Copy share link' }).click();
  await kept.getByRole('button', { name: 'Link copied' }).waitFor();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(link, /\/full\/#\/shared\/z\.[A-Za-z0-9_-]+$/);
  // And shown under the lesson, to copy by hand where the clipboard is refused.
  assert.equal(await kept.locator('[data-testid=share-link]').inputValue(), link);
  const base64url = (bytes) => Buffer.from(bytes).toString('base64url');
  const plain = `${server.url}/full/#/shared/${base64url(GOOD)}`;
  assert.ok(link.length < plain.length * 0.8, `${link.length} characters, against ${plain.length} undeflated`);
  const other = await isolatedContext(browser, server.url);
  const student = await other.context.newPage();
  await student.goto(link);
  await lessonShown(student, 'my-our-own-bounce', FIRST_LOAD_TIMEOUT);
  // A link made before links were deflated plays too.
  await student.goto(`${server.url}/#/lesson/sending-an-email`);
  await lessonShown(student, 'sending-an-email', FIRST_LOAD_TIMEOUT);
  await student.goto(plain);
  await lessonShown(student, 'my-our-own-bounce', FIRST_LOAD_TIMEOUT);
  // A link cut short when copied, and one that would inflate past a lesson's limit (256 KB
  // of spaces in 300 bytes): said, nothing played.
  for (const [bad, said] of [
    [link.slice(0, -12), /could not be read: was the link cut short/],
    [`${server.url}/full/#/shared/z.${base64url(deflateRawSync(Buffer.alloc(300_000, 32)))}`, /larger than a lesson may be \(256 KB\)/],
  ]) {
    await student.goto(`${server.url}/full/#/yours`);
    await student.locator('[data-testid=lesson-text]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    await student.goto(bad);
    // (Polled until it says this link's trouble: the notice of the link before may still show.)
    await student.waitForFunction(
      (said) => [...document.querySelectorAll('.notice[role=status]')].some((n) => new RegExp(said).test(n.textContent)),
      said.source,
      { timeout: FIRST_LOAD_TIMEOUT },
    );
  }
  // Back to the page without a link: what it said of the link goes.
  await student.goto(`${server.url}/full/#/yours`);
  await student.waitForFunction(() => !document.querySelector('.notice[role=status]'));
  await other.context.close();
  assert.deepEqual(other.errors, []);

  // Edited: its text back in the box, the focus there.
  await kept.getByRole('button', { name: 'Edit “Our own bounce”' }).click();
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'lesson-text');
  assert.equal(await page.locator('[data-testid=lesson-text]').inputValue(), GOOD);

  // Removed by mistake, and had back: Undo takes the focus, and gives the lesson back in
  // its place, the focus on it.
  await kept.getByRole('button', { name: 'Remove “Our own bounce”' }).click();
  await kept.waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'undo-remove');
  assert.match(await page.locator('[data-testid=removed]').innerText(), /^Removed “Our own bounce”\./);
  await page.keyboard.press('Enter');
  await kept.waitFor();
  await page.waitForFunction(() => document.activeElement?.closest('li')?.dataset.lesson === 'my-our-own-bounce');
  assert.equal(await page.locator('[data-testid=kept] li').first().getAttribute('data-lesson'), 'my-our-own-bounce', 'in its place');
  await page.reload();
  await kept.waitFor({ timeout: FIRST_LOAD_TIMEOUT });

  // Removed, one by one: the others stay until their turn.
  await kept.getByRole('button', { name: 'Remove “Our own bounce”' }).click();
  await kept.waitFor({ state: 'detached' });
  await page.locator('[data-testid=kept] li[data-lesson=my-first-of-two]').waitFor();
  for (const title of ['First of two', 'Second of two']) {
    await page.getByRole('button', { name: `Remove “${title}”` }).click();
  }
  await page.locator('[data-testid=kept]').waitFor({ state: 'detached' });
  await context.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(offsite, []);
});

test("a lesson under a kept one's title replaces it only when the teacher says; the box's writing is never lost", { timeout: 180_000 }, async () => {
  const { context, errors } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  const box = page.locator('[data-testid=lesson-text]');
  // What the browser keeps (`version:` and base64 of the lessons, their texts as written).
  const keptTexts = async () => {
    const saved = await page.evaluate(() => localStorage.getItem('mailroom.lessons'));
    return Buffer.from(saved.split(':')[1], 'base64').toString();
  };
  const yours = async () => {
    await page.goto(`${server.url}/full/#/yours`);
    await box.waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  };
  const shared = (text) => `${server.url}/full/#/shared/${Buffer.from(text).toString('base64url')}`;
  const MINE = GOOD.replace('Alice writes to', 'Alice, in a hurry, writes to');
  const THEIRS = GOOD.replace('Bob\'s provider knows its users.', 'Only Bob\'s provider knows its users.');

  // Written in the box and played: kept; changed and played again, kept in its place (the
  // page says so beside the button).
  await yours();
  assert.equal(await page.locator('[data-testid=play-text]').getAttribute('aria-describedby'), null, 'no version of a kept lesson yet');
  await box.fill(GOOD);
  await page.locator('[data-testid=play-text]').click();
  await lessonShown(page, 'my-our-own-bounce', FIRST_LOAD_TIMEOUT);
  await yours();
  assert.match(await page.locator('[data-testid=play-replaces]').innerText(), /replaces “Our own bounce”/);
  assert.equal(await page.locator('[data-testid=play-text]').getAttribute('aria-describedby'), 'play-replaces');
  await box.fill(MINE);
  await page.locator('[data-testid=play-text]').click();
  await lessonShown(page, 'my-our-own-bounce', FIRST_LOAD_TIMEOUT);
  let stored = await keptTexts();
  assert.ok(stored.includes('in a hurry') && !stored.includes('Alice writes to'), 'one lesson, the new version');

  // A colleague's lesson of the same title, by a shared link: kept by neither until the
  // teacher chooses, the focus on the safe choice.
  await yours();
  await page.goto(shared(THEIRS));
  await page.locator('[data-testid=clash]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.match(await page.locator('[data-testid=clash]').innerText(), /^The shared lesson is titled “Our own bounce”, like a different lesson kept in this browser\./);
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'keep-both');
  stored = await keptTexts();
  assert.ok(stored.includes('in a hurry') && !stored.includes('Only Bob'), 'nothing replaced yet');
  await page.keyboard.press('Enter');
  await lessonShown(page, 'my-our-own-bounce-2', FIRST_LOAD_TIMEOUT);
  await yours();
  const items = page.locator('[data-testid=kept] li');
  assert.deepEqual(await items.allInnerTexts().then((t) => t.map((x) => x.split('\n')[0].replace(/Edit.*$/, '').trim())),
    ['Our own bounce (my-our-own-bounce)', 'Our own bounce (my-our-own-bounce-2)']);

  // The teacher's own writing, then Edit: set aside, not lost, across a reload; put back.
  await box.fill('My own lesson, half written');
  await page.locator('[data-testid=kept] li[data-lesson=my-our-own-bounce]').getByRole('button', { name: /^Edit/ }).click();
  assert.equal(await box.inputValue(), MINE);
  await page.locator('[data-testid=set-aside]').waitFor();
  assert.match(await page.locator('[data-testid=set-aside]').innerText(), /^What the box held before \(1 line\) is set aside\./);
  await page.reload();
  await page.locator('[data-testid=set-aside]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  await page.locator('[data-testid=put-back]').click();
  assert.equal(await box.inputValue(), 'My own lesson, half written');
  await page.locator('[data-testid=set-aside]').waitFor({ state: 'detached' });

  // Two texts set aside in turn: both kept, the newest first, each put back as the version
  // of the lesson it was.
  const edit = (id) => page.locator(`[data-testid=kept] li[data-lesson=${id}]`).getByRole('button', { name: /^Edit/ });
  await edit('my-our-own-bounce-2').click();
  const MINE_TOO = `${THEIRS}\nA line of my own.\n`;
  await box.fill(MINE_TOO);
  await edit('my-our-own-bounce').click();
  assert.match(await page.locator('[data-testid=set-aside]').innerText(), /is set aside \(and 1 text before it\)\./);
  await page.locator('[data-testid=put-back]').click();
  assert.equal(await box.inputValue(), MINE_TOO);
  await page.locator('[data-testid=play-replaces]').waitFor();
  await page.locator('[data-testid=put-back]').click();
  assert.equal(await box.inputValue(), 'My own lesson, half written');
  assert.match(await page.locator('[data-testid=set-aside]').innerText(), /^What the box held before \(\d+ lines\) is set aside\./);

  // Another version by a link, and this time the kept one replaced (the box's writing set
  // aside again, and the first of the two lessons of that title given the new text).
  const NEWER = MINE.replace('in a hurry', 'in a great hurry');
  await page.goto(shared(NEWER));
  await page.locator('[data-testid=clash]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  await page.locator('[data-testid=set-aside]').waitFor();
  await page.locator('[data-testid=replace]').click();
  await lessonShown(page, 'my-our-own-bounce', FIRST_LOAD_TIMEOUT);
  stored = await keptTexts();
  assert.ok(stored.includes('in a great hurry') && stored.includes('Only Bob') && !stored.includes('in a hurry,'), stored.slice(0, 300));

  // One of two lessons of one title removed: Undo gives it back.
  await yours();
  await page.getByRole('button', { name: 'Remove “Our own bounce” (my-our-own-bounce-2)' }).click();
  await page.locator('[data-testid=undo-remove]').click();
  await page.locator('[data-testid=kept] li[data-lesson=my-our-own-bounce-2]').waitFor();
  await context.close();
  assert.deepEqual(errors, []);
});

test('the guide to writing a lesson opens as a page, and leads back', { timeout: 60_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}/full/#/yours`);
  await page.locator('[data-testid=your-lessons]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  const [guide] = await Promise.all([context.waitForEvent('page'), page.locator('[data-testid=guide-link]').click()]);
  await guide.waitForLoadState();
  assert.equal(new URL(guide.url()).pathname, '/full/guide.html');
  assert.equal(await guide.locator('h1').innerText(), 'Writing a lesson');
  // Formatted, not Markdown: the anchors' table, and the contents' links land on their headings.
  assert.ok((await guide.locator('#anchors ~ table').count()) > 0);
  await guide.locator('a[href="#front-matter"]').first().click();
  assert.equal(new URL(guide.url()).hash, '#front-matter');
  assert.ok(await guide.locator('#front-matter').evaluate((h) => h.getBoundingClientRect().top < 50));
  await guide.screenshot({ path: await artifactPath('guide-1366.png') });
  await guide.getByRole('link', { name: '‹ Your lessons' }).click();
  await guide.locator('[data-testid=your-lessons]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  await context.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(offsite, []);
});
