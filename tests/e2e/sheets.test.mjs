// The teacher's hand-out and worksheet (full build: dist/full/) in headless Chromium
// against the release build in dist/: the lite player's "Hand-out ›" link, the pages'
// content on screen and in print (print media, a PDF), and every download (transcript,
// diagram, sequence diagram, GIFT, Moodle XML) read back. Follows the DOM contract
// (data-testid), polls the page, never sleeps.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { isolatedContext, artifactPath, openBuild, closeBuild } from './browser.mjs';

const FIRST_LOAD_TIMEOUT = 30_000;

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild(['index.html', 'full/index.html']));
});

after(() => closeBuild({ server, browser }));

const text = (page, sel) => page.locator(sel).innerText();

/** Clicks the button `testid` and returns the downloaded file: its name and its text. */
async function download(page, testid) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid=${testid}]`).click()]);
  const body = await readFile(await file.path(), 'utf8');
  await writeFile(await artifactPath(file.suggestedFilename()), body);
  return { name: file.suggestedFilename(), body };
}

/** Screenshots of a sheet: on screen at 1366×768 (the window, and the whole page), in print media, and a PDF. */
async function shots(page, name) {
  await page.screenshot({ path: await artifactPath(`${name}-1366.png`) });
  await page.screenshot({ path: await artifactPath(`${name}-1366-full.png`), fullPage: true });
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('[data-testid=sheet-bar]').isVisible(), false, 'no buttons on paper');
  await page.screenshot({ path: await artifactPath(`${name}-print.png`), fullPage: true });
  const pdf = await page.pdf({ format: 'A4', path: await artifactPath(`${name}.pdf`) });
  await page.emulateMedia({ media: 'screen' });
  return pdfPages(pdf);
}

/** Pages of a PDF: one `/Type /Page` object each. */
function pdfPages(pdf) {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
}

test('a teacher prints the hand-out of a lesson and downloads its exports', { timeout: 120_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  // The lite player links to the full build's hand-out (from step 30 of the lesson).
  await page.goto(`${server.url}/#/lesson/a-bounce/step/30`);
  const link = page.locator('[data-testid=handout-link]');
  await link.waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  await page.waitForFunction(() => localStorage.getItem('mailroom.progress'));
  assert.equal(await link.getAttribute('href'), 'full/#/handout/a-bounce');
  await link.click();
  await page.locator('[data-testid=handout][data-lesson=a-bounce]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.equal(new URL(page.url()).pathname, '/full/');
  assert.equal(await page.title(), 'Hand-out: When delivery fails: a bounce · Mailroom');

  assert.equal(await text(page, '#sheet-title'), 'When delivery fails: a bounce');
  const parts = await page.locator('[data-testid=handout-part] h3').allInnerTexts();
  assert.equal(parts.length, 9);
  assert.equal(parts[4], 'Part 5: No such user');
  assert.match(await page.locator('[data-testid=handout-part]').nth(4).innerText(), /a permanent failure \(first digit 5\)/);
  // A still picture of the network at the end: no token of the last event on it.
  assert.equal(await page.locator('[data-testid=handout] .token-sprite').filter({ visible: true }).count(), 0, 'no token');
  const transcript = await text(page, '[data-testid=handout-transcript]');
  assert.match(transcript, /laptop\.example\.org -> ns\.example\.org {2}\(DNS\)\nQ: smtp\.example\.org\. IN A\n/);
  assert.match(transcript, /mx\.example\.net -> smtp\.example\.org {2}\(SMTP, connection 2\)\nS: 550 5\.1\.1 <bobby@example\.net>/);
  assert.equal(await page.locator('.sheet-diagram [data-testid=diagram]').count(), 1);
  // The final diagram: the bounce is in Alice's mailbox.
  assert.match(await page.locator('.sheet-diagram [data-testid=diagram]').innerHTML(), /alice has 1 message/);
  // A teacher's code block wider than the page wraps on paper (it was cut at the page's edge).
  const wraps = await page.evaluate(() => {
    const body = document.querySelector('[data-testid=handout-part] .narration-body');
    const pre = body.appendChild(document.createElement('pre'));
    const code = pre.appendChild(document.createElement('code'));
    code.textContent = 'DKIM-Signature: v=1; a=ed25519-sha256; '.repeat(8);
    const fits = pre.scrollWidth <= pre.clientWidth;
    pre.remove();
    return fits;
  });
  assert.ok(wraps, 'a long code line wraps inside its block');
  const pages = await shots(page, 'handout-a-bounce');
  assert.ok(pages >= 3, `the hand-out prints on ${pages} pages`);

  const txt = await download(page, 'download-transcript');
  assert.equal(txt.name, 'a-bounce-transcript.txt');
  assert.match(txt.body, /^Mailroom: When delivery fails: a bounce\n/);
  assert.match(txt.body, /\nS: 550 5\.1\.1 <bobby@example\.net>: no such user here\n/);
  assert.match(txt.body, /\nC: RCPT TO:<bobby@example\.net>\n/);

  const net = await download(page, 'download-diagram');
  assert.equal(net.name, 'a-bounce-network.svg');
  assert.match(net.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(net.body, /<style><!\[CDATA\[:root\{--panel:#ffffff/);
  assert.match(net.body, /Bob's provider/);
  assert.doesNotMatch(net.body, /class="tokens"/, 'no token of the current event');
  assert.doesNotMatch(net.body, /class="[^"]*\b(active|sender|receiver)\b/, 'nothing marked as the current event\'s');

  const seq = await download(page, 'download-sequence');
  assert.equal(seq.name, 'a-bounce-sequence.svg');
  assert.match(seq.body, /RCPT TO:&lt;bobby@example\.net&gt;/);
  assert.match(seq.body, /550 5\.1\.1 &lt;bobby@example\.net&gt;/);
  assert.doesNotMatch(seq.body, /class="blank"/, 'the hand-out\'s sequence has no blanks');

  const gift = await download(page, 'download-gift');
  assert.equal(gift.name, 'a-bounce-quiz-gift.txt');
  assert.match(gift.body, /\$CATEGORY: \$course\$\/top\/Mailroom\/When delivery fails: a bounce\n/);
  assert.match(gift.body, /::When delivery fails\\: a bounce · part 5\\: No such user::\[plain\]What will Bob's provider answer to RCPT TO\\:<bobby@example\.net>\?\{\n\t~250\\: the address is fine\n\t~451\\: try again later\n\t=550\\: no such mailbox\n/);

  const xml = await download(page, 'download-xml');
  assert.equal(xml.name, 'a-bounce-quiz-moodle.xml');
  assert.match(xml.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>/);
  assert.match(xml.body, /<question type="multichoice">/);
  assert.match(xml.body, /<answer fraction="100" format="plain_text"><text>550: no such mailbox<\/text><\/answer>/);
  assert.equal((xml.body.match(/fraction="0"/g) ?? []).length, 2);
  // The browser reads it as XML too.
  const parsed = await page.evaluate((s) => {
    const doc = new DOMParser().parseFromString(s, 'application/xml');
    return doc.querySelector('parsererror') ? 'error' : doc.querySelectorAll('quiz > question[type=multichoice]').length;
  }, xml.body);
  assert.equal(parsed, 1);

  // Back to the lesson where it was left, not at its start.
  await page.locator('[data-testid=back-to-lesson]').click();
  await page.locator('main[data-testid=player][data-lesson=a-bounce]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  await page.waitForFunction(() => document.querySelector('main[data-testid=player]').dataset.cursor === '30');

  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
});

/** A fresh page on the full build's worksheet of `lesson`. */
async function openWorksheet(lesson) {
  const { context, errors, offsite } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}/full/#/worksheet/${lesson}`);
  await page.locator(`[data-testid=worksheet][data-lesson=${lesson}]`).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  return { context, errors, offsite, page };
}

/** The step a worksheet's conversation stops after, as the sheet says it and draws it. */
async function conversationEnd(page) {
  const end = await text(page, '[data-testid=sequence-end]');
  const [, step] = end.match(/^The conversation stops after step (\d+): what happens next would answer the questions below\.$/) ?? [];
  assert.ok(step, end);
  const rows = page.locator('[data-testid=seq-row]');
  assert.equal(await rows.count(), Number(step));
  return { step: Number(step), rows };
}

test('a teacher prints a worksheet: blanks, questions, and the answer key on its own page', { timeout: 120_000 }, async () => {
  const { context, errors, offsite, page } = await openWorksheet('sending-an-email');
  assert.equal(new URL(page.url()).pathname, '/full/');
  assert.equal(await text(page, '#sheet-title'), 'Sending an email');

  // The conversation: a row per event; what the questions ask about is blank: who speaks
  // first (the greeting, its arrow without a head: which way it goes is the answer) and the
  // reply to DATA (354).
  const rows = page.locator('[data-testid=seq-row]');
  assert.ok((await rows.count()) > 40);
  // Further on, the relay's own greeting and 354 (to Bob's provider) would give both away:
  // they show the same numbers, and the sheet says so.
  const blanks = page.locator('[data-testid=seq-row] [data-testid=blank]');
  assert.deepEqual(await blanks.allInnerTexts(), ['(1)', '(2)', '(1)', '(2)']);
  assert.match(await page.locator('[data-testid=worksheet]').innerText(), /A number that comes again is the same kind of answer again, further on in the conversation: the same code to the same command\. Its words may differ/);
  // (STARTTLS's "220 2.0.0 Ready to start TLS" answers another command: it stays.)
  assert.doesNotMatch(await page.locator('[data-testid=sequence]').innerText(), /\b220 [a-z]+\.example|\b354 /, 'no greeting nor 354 readable');
  assert.match(
    await page.locator('[data-testid=worksheet]').innerText(),
    /Fill in the 2 numbered boxes: what does the server answer\? Where a line has no arrowhead, who sends it, and what\?/,
  );
  const blankRows = page.locator('[data-testid=seq-row]', { has: page.locator('[data-testid=blank]') });
  const greeting = blankRows.first();
  assert.doesNotMatch(await greeting.innerText(), /220|Alice's provider to|to Alice's provider/);
  assert.match(await greeting.innerText(), /between Alice's laptop and Alice's provider, who sends it\?/);
  assert.equal(await greeting.locator('.seq-arrow.right, .seq-arrow.left').count(), 0, 'no arrowhead');
  assert.equal(await greeting.locator('.seq-arrow').count(), 1);
  assert.equal(await greeting.getAttribute('class'), 'seq-row fam-note', 'grey: a reply\'s green would answer it');
  assert.doesNotMatch(await blankRows.nth(1).innerText(), /354/);
  // The relay's greeting: headless and grey too.
  assert.match(await blankRows.nth(2).innerText(), /between Alice's provider and Bob's provider, who sends it\?/);
  assert.equal(await blankRows.nth(2).locator('.seq-arrow.right, .seq-arrow.left').count(), 0, 'no arrowhead');
  assert.match(await rows.first().innerText(), /^1\s+Alice's laptop:\s+Alice Liddell writes an email and presses Send\.$/);
  assert.match(await rows.nth(5).innerText(), /Alice's laptop to Alice's provider:\s+EHLO laptop\.example\.org/);

  // The questions.
  const questions = await page.locator('[data-testid=question]').allInnerTexts();
  assert.equal(questions.length, 2);
  assert.match(questions[0], /The connection is open\. Who speaks first\?\n[^]*Alice's laptop\n[^]*Alice's provider/);
  assert.match(questions[1], /What does her provider answer\?/);

  // The copies for a class, printed as the sheet opens: without the key, and nothing of
  // the answers.
  assert.equal(await page.locator('[data-testid=with-answer-key]').isChecked(), false, 'the key is left out at first');
  assert.equal(await page.locator('[data-testid=answer-key]').isVisible(), false, 'no key on the page');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('[data-testid=answer-key]').isVisible(), false, 'no key in print');
  const without = pdfPages(await page.pdf({ format: 'A4' }));
  await page.emulateMedia({ media: 'screen' });

  // The teacher's own copy: the key with the engine's answers.
  await page.locator('[data-testid=with-answer-key]').check();
  await page.locator('[data-testid=answer-key]').waitFor();
  const key = await text(page, '[data-testid=answer-key]');
  assert.match(key, /\(1\) step \d+, Alice's provider to Alice's laptop: 220 /);
  assert.match(key, /\(2\) step \d+, Alice's provider to Alice's laptop: 354 End data with <CR><LF>\.<CR><LF>/);
  assert.match(key, /Who speaks first\?\s+Alice's provider\s+In the simulation: smtp\.example\.org \(Alice's provider\) sends: 220/);
  assert.match(key, /354: start the message/);

  // In print, the key starts a page of its own.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('[data-testid=answer-key]').evaluate((e) => getComputedStyle(e).breakBefore), 'page');
  await page.emulateMedia({ media: 'screen' });
  const pages = await shots(page, 'worksheet-sending-an-email');
  assert.ok(pages >= 2, `the worksheet prints on ${pages} pages`);
  assert.ok(without >= 1 && without < pages, `without the key: ${without} pages, with it ${pages}`);

  const seq = await download(page, 'download-sequence');
  assert.equal(seq.name, 'sending-an-email-worksheet-sequence.svg');
  assert.equal((seq.body.match(/class="blank"/g) ?? []).length, 4);
  // Both 354s (Alice's laptop's, then the relay's to Bob's provider) are boxes.
  assert.equal((seq.body.match(/>354 End data/g) ?? []).length, 0);
  const gift = await download(page, 'download-gift');
  assert.match(gift.body, /\t~Alice's laptop\n\t=Alice's provider\n/);
  assert.match(gift.body, /\t~250\\: OK, message accepted\n\t=354\\: start the message\n\t~221\\: goodbye\n/);
  const xml = await download(page, 'download-xml');
  assert.equal((xml.body.match(/fraction="100"/g) ?? []).length, 2);

  // To the hand-out and back to the lesson.
  await page.locator('[data-testid=other-sheet]').click();
  await page.locator('[data-testid=handout][data-lesson=sending-an-email]').waitFor();
  await page.locator('[data-testid=back-to-lesson]').click();
  await page.locator('main[data-testid=player][data-lesson=sending-an-email]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
  assert.equal(await page.locator('[data-testid=handout-link]').getAttribute('href'), '#/handout/sending-an-email');

  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
});

test('a worksheet asking for a refusal stops its conversation where the question is asked', { timeout: 120_000 }, async () => {
  const { context, errors, offsite, page } = await openWorksheet('a-bounce');
  // "What does mx answer to RCPT TO:<bobby@…>?" (250, 451 or 550): the bounce written
  // after it would say 550. The conversation stops at the command the question is about.
  const { rows } = await conversationEnd(page);
  assert.match(await rows.last().innerText(), /RCPT TO:<bobby@example\.net>/);
  assert.doesNotMatch(await page.locator('[data-testid=sequence]').innerText(), /bounce|550|Undelivered/i, 'nothing of the answer');
  assert.ok((await page.locator('[data-testid=question]').allInnerTexts()).some((q) => /550/.test(q)), 'the question still asks it');
  await page.locator('[data-testid=with-answer-key]').check();
  assert.match(await text(page, '[data-testid=answer-key]'), /550: no such mailbox/);
  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
});

test('a worksheet asking how a message ends stops its conversation before the answer', { timeout: 120_000 }, async () => {
  const { context, errors, offsite, page } = await openWorksheet('no-mx');
  // "Will it be delivered or bounced?" is asked before the null MX's answer: the rows after
  // it (the bounce written at once, sent back to Alice) would answer it, so they are left out.
  const questions = await page.locator('[data-testid=question]').allInnerTexts();
  assert.ok(questions.some((q) => /delivered or bounced\?/.test(q)), questions.join('\n'));
  const { step, rows } = await conversationEnd(page);
  assert.match(await rows.last().innerText(), new RegExp(`^${step}\\s`));
  const drawn = await page.locator('[data-testid=sequence]').innerText();
  assert.match(drawn, /IN MX/, 'the lookups before the question are drawn');
  // Not the null MX's answer ("nomail.example. 3600 IN MX 0 .") nor the bounce written.
  assert.doesNotMatch(drawn, /IN MX 0 \.|bounce/i, 'nothing of the answer');
  // The key still answers it; the SVG download stops where the page does.
  await page.locator('[data-testid=with-answer-key]').check();
  assert.match(await text(page, '[data-testid=answer-key]'), /delivered or bounced\?\s+bounced/i);
  const seq = await download(page, 'download-sequence');
  assert.equal((seq.body.match(/<g /g) ?? []).length, step);
  await context.close();
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
});
