// The lessons on trust (SPF, DKIM, DMARC; and STARTTLS failing, in the lite app) in headless Chromium against the release build
// (scripts/build.sh): they need the engine's sender checks, which only the full app has, so
// opening one in the lite app goes to dist/full/ at the same address. There the checks'
// DNS questions are in the transcript, each check's finding is a note, and the message
// inspector reads the receiving server's Authentication-Results.
//
// It follows the DOM contract (data-testid, ARIA) and polls the page, never sleeps. Parts
// are found by their titles. Screenshots at a laptop's and a projector's size go to
// tests/e2e/artifacts/ (gitignored), to be looked at.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedContext, artifactPath, lessonShown, openBuild, closeBuild } from './browser.mjs';

const FIRST_LOAD_TIMEOUT = 30_000;
const TIMEOUT = 15_000;
const PLAYER = 'main[data-testid=player]';

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild(['index.html', 'full/index.html']));
});

after(() => closeBuild({ server, browser }));

/** Opens `lesson` by its address in the lite app and waits for the full app to play it. */
async function openInFull(page, lesson) {
  await page.goto(`${server.url}/#/lesson/${lesson}`);
  await page.waitForURL((u) => u.pathname === '/full/' && u.hash.startsWith(`#/lesson/${lesson}/`), { timeout: FIRST_LOAD_TIMEOUT });
  await page.locator(PLAYER).waitFor({ state: 'visible', timeout: FIRST_LOAD_TIMEOUT });
  await lessonShown(page, lesson, FIRST_LOAD_TIMEOUT);
}

/** Goes to the start of the part titled `title`, with its button in the parts strip. */
async function gotoPart(page, title) {
  const button = page.locator(`[data-testid=narration] nav button[aria-label$=": ${title}"]`);
  assert.equal(await button.count(), 1, `one part is titled "${title}"`);
  await button.click();
  await page.waitForFunction((t) => document.querySelector('#narration-title')?.textContent.trim() === t, title);
}

/** The text of the transcript's current row: the event the player stands on. */
const current = (page) =>
  page.evaluate(() => document.querySelector('[data-testid=transcript-row][aria-current=step]')?.innerText ?? '');

test('DMARC: the checks in the transcript, the verdicts, and the results in the inspector', { timeout: 120_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await openInFull(page, 'dmarc');

  // Alice's real email: a note of Bob's provider for each check, as it is done.
  await gotoPart(page, "Alice's real email");
  assert.match(await current(page), /DMARC pass: SPF passed for example\.org and DKIM passed for example\.org/);
  const notes = await page.evaluate(() => [...document.querySelectorAll('[data-testid=transcript-row]')].map((r) => r.innerText));
  for (const want of ['SPF pass: 192.0.2.25 is an address of smtp.example.org', 'DKIM pass: the signature of example.org']) {
    assert.ok(notes.some((n) => n.includes(want)), `a note says "${want}"`);
  }
  await page.screenshot({ path: await artifactPath('trust-dmarc-note-1366.png') });

  // One step on: the delivery, whose message the inspector reads.
  await page.keyboard.press('ArrowRight');
  const inspect = page.locator('[data-testid=inspect-message]');
  await inspect.waitFor();
  await inspect.click();
  const dialog = page.locator('[data-testid=message-dialog]');
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /DKIM-Signature and Authentication-Results headers added on the way/);
  await dialog.locator('button.inspect-tab', { hasText: 'Header and hops' }).click();
  const view = page.locator('[data-testid=inspect-view]');
  await view.waitFor();
  const text = await view.innerText();
  assert.match(text, /Who sent it\? What the servers checked/);
  assert.match(text, /Checked by\s+mx\.example\.net/);
  for (const [method, result] of [['SPF', 'pass smtp.mailfrom=alice@example.org'], ['DKIM', 'pass header.d=example.org header.s=mail'], ['DMARC', 'pass header.from=example.org']]) {
    assert.match(text, new RegExp(`${method}\\s+${result.replace(/\./g, '\\.')}`), `${method} in the inspector:\n${text}`);
  }
  await page.screenshot({ path: await artifactPath('trust-dmarc-inspector-1366.png') });
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  // The smarter fake: refused with 550 5.7.26, after the DMARC lookup of bank.example.
  await gotoPart(page, "The bank's policy");
  assert.match(await current(page), /_dmarc\.bank\.example\.\s+3600\s+IN\s+TXT\s+"v=DMARC1; p=reject"/);

  // The fake Alice: accepted, into Junk, as the note after its delivery says.
  await gotoPart(page, 'Quarantine');
  const quarantine = await current(page);
  assert.ok(quarantine.includes('DMARC fail') && quarantine.includes('p=quarantine'), quarantine);
  await gotoPart(page, 'The Junk folder');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.screenshot({ path: await artifactPath('trust-dmarc-junk-1920.png') });
  const panel = await page.locator('[data-testid=imap-panel]').innerText();
  assert.match(panel, /Junk/, panel);
  assert.match(panel, /Can you send me your password\?/, panel);

  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'nothing asked of another origin');
  await context.close();
});

test('SPF: the lookups of the check step by step, and the fake refused with 550 5.7.23', { timeout: 120_000 }, async () => {
  const { context, errors } = await isolatedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await openInFull(page, 'spf');
  await gotoPart(page, 'The SPF record');
  assert.match(await current(page), /example\.org\.\s+3600\s+IN\s+TXT\s+"v=spf1 mx -all"/);
  // The explanation says what a TXT answer is for.
  assert.match(await page.locator('[data-testid=explanation]').innerText(), /SPF/);
  await page.screenshot({ path: await artifactPath('trust-spf-record-1366.png') });
  // The MX question of the check is SPF's, not a delivery's.
  await gotoPart(page, 'Looking up the MX');
  assert.match(await current(page), /example\.org\.\s+IN\s+MX/);
  const card = await page.locator('[data-testid=explanation]').innerText();
  assert.match(card, /SPF's mx/, card);
  assert.doesNotMatch(card, /To deliver to an address/, card);
  // The refusal is a question: stepping on from the bank's record asks it; the answer
  // shows the reply.
  await gotoPart(page, 'What does the bank say?');
  for (let i = 0; i < 10 && (await page.locator('[data-testid=predict] .choice').count()) === 0; i++) {
    await page.keyboard.press('ArrowRight');
  }
  const choice = page.locator('[data-testid=predict] .choice', { hasText: '550' });
  await choice.waitFor();
  // Asked before the server's verdict ("SPF fail: …"), which would give it away.
  assert.doesNotMatch(await page.locator('[data-testid=transcript]').innerText(), /SPF fail/);
  await choice.click();
  await page.locator('[data-testid=predict-verdict]').waitFor();
  assert.match(await current(page), /550 5\.7\.23 SPF validation failed/);
  assert.deepEqual(errors, [], 'no errors in the page');
  await context.close();
});

test('When STARTTLS fails: 454, the relay goes on in the clear, and Received: says ESMTP', { timeout: 120_000 }, async () => {
  const { context, errors, offsite } = await isolatedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  // No sender checks in it: the lite app plays it.
  await page.goto(`${server.url}/#/lesson/when-starttls-fails`);
  await lessonShown(page, 'when-starttls-fails', FIRST_LOAD_TIMEOUT);
  assert.equal(new URL(page.url()).pathname, '/');
  await page.locator('[data-testid=eavesdropper]').check();

  // The 454, explained; then, with the relay's next move still to come, the question: will
  // the message be delivered all the same?
  await gotoPart(page, '454: not now');
  assert.match(await current(page), /454 4\.7\.0 TLS not available/);
  const choice = page.locator('[data-testid=predict] .choice', { hasText: 'delivered' });
  await choice.waitFor();
  await choice.click();
  assert.match(await page.locator('[data-testid=predict-verdict]').innerText(), /^Right/);
  // No second EHLO: the relay goes on with MAIL FROM in the same session.
  assert.match(await current(page), /MAIL FROM:<alice@example\.org>/);
  // Back at the 454, answered now: its explanation, whole.
  await page.keyboard.press('ArrowLeft');
  assert.match(await current(page), /454 4\.7\.0 TLS not available/);
  const card = await page.locator('[data-testid=explanation]').innerText();
  assert.match(card, /TLS not available/);
  assert.match(card, /opportunistic TLS goes on unencrypted/);
  await page.keyboard.press('ArrowRight');

  // The message on the second hop: what Eve captures is what was sent, no different row.
  await gotoPart(page, 'Eve reads the door code');
  const row = page.locator('[data-testid=transcript-row][aria-current=step]');
  assert.match(await row.innerText(), /Received: from laptop\.example\.org/);
  assert.equal(await row.locator('[data-testid=wire-seen]').count(), 0, 'nothing hidden on this hop');
  // The message on the first hop (event 22, inside TLS): Eve saw only a record.
  const firstHop = page.locator('[data-testid=transcript-row][data-index="22"]');
  assert.match(await firstHop.innerText(), /laptop → smtp/);
  assert.equal(await firstHop.locator('[data-testid=wire-seen]').count(), 1, 'the first hop shows what the eavesdropper captures');
  await page.screenshot({ path: await artifactPath('trust-starttls-fails-1366.png') });

  // Delivered: Bob's copy says ESMTP for the second hop, ESMTPSA for the first.
  await gotoPart(page, 'Delivered, and nobody told');
  await page.locator('.mailbox[data-owner="bob@example.net"] .message-open').click();
  const dialog = page.locator('[data-testid=message-dialog]');
  await dialog.waitFor();
  await dialog.locator('button.inspect-tab', { hasText: 'Header and hops' }).click();
  // Hop by hop: the protocol each server wrote in its Received: line.
  const hops = await page.locator('[data-testid=inspect-view] .hops li').evaluateAll((lis) =>
    lis.map((li) => [li.querySelector('.hop-route').textContent.split('→').pop().trim(), li.querySelector('.hop-with code')?.textContent]),
  );
  assert.deepEqual(hops, [['smtp.example.org', 'ESMTPSA'], ['mx.example.net', 'ESMTP']]);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'nothing asked of another origin');
  await context.close();
});
