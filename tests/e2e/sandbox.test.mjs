// The sandbox, in headless Chromium against the release build in dist/: from the home
// page (the lite app) to #/sandbox (the full build), a connection opened from Alice's
// laptop to Bob's provider, an SMTP transaction typed by hand line by line (a pasted
// message body too) and delivered into Bob's mailbox; a fault injected from the form and
// felt by the next command; time moved on until the server's idle timeout; stepping back;
// the session restored after a reload; undo and start over. Keyboard only where a student
// would type. Screenshots at 1366x768 and 1920x1080 go to tests/e2e/artifacts/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolatedContext, artifactPath, openBuild, closeBuild } from './browser.mjs';

const TIMEOUT = 30_000;

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild(['full/index.html']));
});

after(() => closeBuild({ server, browser }));

/** The terminal's text once the page shows every event (the animation has caught up). */
async function settled(page) {
  await page.waitForFunction(
    () => {
      const main = document.querySelector('main[data-testid=sandbox]');
      return !!main && main.dataset.cursor === main.dataset.total;
    },
    null,
    { timeout: TIMEOUT, polling: 100 },
  );
  return (await page.locator('[data-testid=terminal]').textContent()) ?? '';
}

async function type(page, line) {
  const field = page.locator('[data-testid=line]');
  await field.fill(line);
  await field.press('Enter');
  return settled(page);
}

test('a student types SMTP by hand, breaks it, waits, and comes back to it', async () => {
  const { context, offsite, errors } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.locator('[data-testid=sandbox-link]').click();
  // The lite app sends the sandbox to the full build, at the same address.
  await page.waitForURL(/\/full\/#\/sandbox$/, { timeout: TIMEOUT });
  await page.locator('main[data-testid=sandbox]').waitFor({ timeout: TIMEOUT });
  assert.equal(await page.title(), 'Sandbox · Mailroom');
  assert.equal(await page.locator('[data-testid=clock]').textContent(), "The World's clock: Mon 09:00:00");

  // Connect: Alice's laptop to Bob's provider, port 25, chosen by default.
  assert.equal(await page.locator('[data-testid=connect-from]').inputValue(), 'laptop.example.org');
  assert.equal(await page.locator('[data-testid=connect-to]').inputValue(), 'mx.example.net');
  assert.equal(await page.locator('[data-testid=connect-port]').inputValue(), '25');
  await page.locator('[data-testid=connect-button]').click();
  let screen = await settled(page);
  assert.match(screen, /^\$ telnet mx\.example\.net 25\nTrying 198\.51\.100\.25 port 25…\nConnected to mx\.example\.net \(198\.51\.100\.25\)\.\n220 mx\.example\.net ESMTP/);
  // By name, as telnet does: the laptop asked the DNS for the address first.
  const first = await page.locator('[data-testid=transcript-row]').first().textContent();
  assert.match(first, /Q:.*mx\.example\.net\. IN A/);
  // The focus went to the line to type in.
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'line');

  screen = await type(page, 'EHLO laptop.example.org');
  assert.match(screen, /250-PIPELINING/);
  await type(page, 'MAIL FROM:<alice@example.org>');
  screen = await type(page, 'RCPT TO:<bob@example.net>');
  assert.match(screen, /250 2\.1\.5/);
  screen = await type(page, 'DATA');
  assert.match(screen, /354 /);
  // A pasted message goes out a line at a time.
  const field = page.locator('[data-testid=line]');
  await field.fill('Subject: typed by hand\n\nHello Bob\n.');
  await field.press('Enter');
  screen = await settled(page);
  assert.match(screen, /250 2\.0\.0 OK: queued as/);
  // The diagram and the transcript show the same conversation; the mailbox has the message
  // (its button below the terminal counts it).
  assert.equal(await page.locator('[data-testid=show-mailboxes]').textContent(), 'Mailboxes 1 delivered');
  await page.locator('[data-testid=show-mailboxes]').click();
  await page.locator('.mailboxes').getByText('typed by hand').waitFor({ timeout: TIMEOUT });
  // One pane at a time below the terminal, in the window: at 1366x768 the side column no
  // longer runs below its fold (the explanation was squeezed, the mailboxes and the fault
  // form out of sight), and the connect form waits behind "New connection".
  const column = await page.evaluate(() => {
    const side = document.querySelector('.sandbox .side');
    const pane = document.querySelector('#pane-mailboxes').getBoundingClientRect();
    return { scrolls: side.scrollHeight > side.clientHeight + 1, paneBottom: pane.bottom, paneHeight: pane.height, bottom: side.getBoundingClientRect().bottom };
  });
  assert.equal(column.scrolls, false, 'the side column fits the window');
  assert.ok(column.paneHeight >= 150 && column.paneBottom <= column.bottom + 1, JSON.stringify(column));
  assert.equal(await page.locator('[data-testid=connect]').count(), 0);
  assert.equal(await page.locator('#pane-explanation').isVisible(), false);
  const shot = await artifactPath('sandbox-1366.png');
  await page.screenshot({ path: shot });

  // A fault from the form: Bob's provider refuses the next RCPT once.
  await page.locator('[data-testid=show-faults]').click();
  await page.locator('[data-testid=fault-kind]').selectOption('reply');
  await page.locator('[data-testid=fault-verb]').selectOption('RCPT');
  await page.locator('[data-testid=fault-code]').selectOption('450');
  assert.equal(
    await page.locator('[data-testid=directive]').textContent(),
    'reply mx.example.net RCPT 450 "Mailbox busy, try again later" times 1',
  );
  // What a reply cannot carry (it is 7-bit) is refused and said, not left out unseen.
  const text = page.locator('[data-testid=fault-text]');
  await text.fill('Boîte pleine');
  await page.locator('[data-testid=fault-text-problem]').getByText('î cannot be sent').waitFor({ timeout: TIMEOUT });
  assert.equal(await text.getAttribute('aria-invalid'), 'true');
  assert.ok(await page.locator('[data-testid=inject]').isDisabled());
  await text.fill('');
  await page.locator('[data-testid=fault-text-problem]').waitFor({ state: 'detached', timeout: TIMEOUT });
  await page.locator('[data-testid=inject]').click();
  await page.locator('[data-testid=injected]').getByText('reply mx.example.net RCPT 450').waitFor({ timeout: TIMEOUT });
  assert.equal(await page.locator('[data-testid=show-faults]').textContent(), 'Faults 1 injected');
  await type(page, 'MAIL FROM:<alice@example.org>');
  // A line typed while the faults' pane shows: what comes back is explained.
  assert.equal(await page.locator('[data-testid=show-explanation]').getAttribute('aria-pressed'), 'true');
  screen = await type(page, 'RCPT TO:<carol@example.net>');
  assert.match(screen, /450 4\.0\.0 Mailbox busy, try again later\n$/);
  screen = await type(page, 'RCPT TO:<carol@example.net>');
  assert.match(screen, /250 2\.1\.5[^\n]*\n$/, 'the rule was for once');
  // Clicking into the line while looking back brings the view to the newest event: what is
  // typed goes there, and the terminal showed the moment looked at (its lines to try too).
  {
    const main = page.locator('main[data-testid=sandbox]');
    await page.locator('[data-testid=step-back]').click();
    await page.locator('[data-testid=step-back]').click();
    await page.locator('[data-testid=looking-back]').waitFor();
    assert.doesNotMatch(await page.locator('[data-testid=terminal]').textContent(), /RCPT TO:<carol@example\.net>\n250/);
    // Tab passing through the box leaves the view where it is; a click into it goes on.
    await page.locator('[data-testid=line]').focus();
    assert.equal(await page.locator('[data-testid=looking-back]').count(), 1);
    // The box and the lines to try say where what is typed goes.
    assert.equal(await page.locator('[data-testid=line]').getAttribute('placeholder'), 'Type to go on from the newest event');
    assert.match(await page.locator('[data-testid=hints]').innerText(), /^At the newest event, try:\s/);
    await page.locator('[data-testid=line]').click();
    await page.waitForFunction(() => {
      const m = document.querySelector('main[data-testid=sandbox]');
      return m.dataset.cursor === m.dataset.total;
    }, null, { timeout: TIMEOUT });
    assert.equal(await page.locator('[data-testid=looking-back]').count(), 0);
    assert.equal(await main.evaluate(() => document.activeElement?.dataset.testid), 'line');
  }

  // Time: ten minutes of silence and the server gives up on the session (421, RFC 5321 §4.5.3.2).
  await page.locator('[data-testid=wait-600]').click();
  screen = await settled(page);
  assert.match(screen, /421 4\.4\.2 mx\.example\.net timeout[\s\S]*Connection closed by foreign host\.\n$/);
  assert.equal(await page.locator('[data-testid=line]').isDisabled(), true);
  assert.match(await page.locator('[data-testid=clock]').textContent(), /Mon 09:1\d:\d\d$/);

  // Stepping back moves the view, not the World: with the buttons, and with ← → End as
  // in a lesson (not in the terminal's line, where they move the caret).
  const total = Number(await page.locator('main[data-testid=sandbox]').getAttribute('data-total'));
  const cursor = async () => Number(await page.locator('main[data-testid=sandbox]').getAttribute('data-cursor'));
  await page.locator('[data-testid=step-back]').click();
  await page.locator('[data-testid=step-back]').click();
  assert.equal(await cursor(), total - 2);
  // Looking back is said, and the connection is closed now, not then.
  await page.locator('[data-testid=looking-back]').waitFor();
  assert.equal(await page.locator('[data-testid=line]').getAttribute('placeholder'), 'This connection is closed now (you are looking back)');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((n) => document.querySelector('main[data-testid=sandbox]').dataset.cursor === String(n), total - 3);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((n) => document.querySelector('main[data-testid=sandbox]').dataset.cursor === String(n), total - 2);
  // A clicker's Page Up and Page Down, and Home to the world as it started.
  await page.keyboard.press('PageUp');
  await page.waitForFunction((n) => document.querySelector('main[data-testid=sandbox]').dataset.cursor === String(n), total - 3);
  await page.keyboard.press('PageDown');
  await page.waitForFunction((n) => document.querySelector('main[data-testid=sandbox]').dataset.cursor === String(n), total - 2);
  await page.keyboard.press('Home');
  await page.waitForFunction(() => document.querySelector('main[data-testid=sandbox]').dataset.cursor === '0');
  await page.keyboard.press('End');
  await page.waitForFunction((n) => document.querySelector('main[data-testid=sandbox]').dataset.cursor === String(n), total);
  await page.locator('[data-testid=step-back]').click();
  await page.locator('[data-testid=step-back]').click();
  // On the terminal's screen the keys scroll it (End to its last line), as the browser does.
  await page.locator('.sandbox-screen').focus();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.equal(await cursor(), total - 2, 'not from the terminal');
  await page.locator('main[data-testid=sandbox]').evaluate((m) => document.activeElement?.blur());
  assert.doesNotMatch(await page.locator('[data-testid=terminal]').textContent(), /Connection closed by foreign host/);
  await page.locator('[data-testid=to-end]').click();
  await settled(page);
  assert.equal(await page.locator('[data-testid=looking-back]').count(), 0);

  // A reload brings the same session back.
  await page.reload();
  await page.locator('main[data-testid=sandbox]').waitFor({ timeout: TIMEOUT });
  assert.equal(await page.locator('main[data-testid=sandbox]').getAttribute('data-total'), String(total));
  assert.match(await settled(page), /421 4\.4\.2/);

  // Undo takes back the wait: the connection is open again.
  await page.locator('[data-testid=undo]').click();
  await settled(page);
  assert.equal(await page.locator('[data-testid=line]').isDisabled(), false);
  // A second connection, to POP3, to read the message back.
  await page.locator('[data-testid=new-connection]').click();
  assert.equal(await page.locator('[data-testid=new-connection]').getAttribute('aria-expanded'), 'true');
  // The form comes after its button, and its first field takes the focus.
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'connect-from');
  await page.locator('[data-testid=connect-port]').selectOption('110');
  await page.locator('[data-testid=connect-button]').click();
  await settled(page);
  await type(page, 'USER bob@example.net');
  await type(page, 'PASS builder');
  // The lines to try: what a logged-in POP3 client may say (no USER or PASS again).
  const chips = () => page.locator('[data-testid=hints] button').allTextContents();
  assert.deepEqual(await chips(), ['STAT', 'LIST', 'RETR 1', 'QUIT']);
  screen = await type(page, 'RETR 1');
  assert.match(screen, /Subject: typed by hand\n\nHello Bob\n\.\n$/);
  // A refused line moves them nowhere: QUIT is still next.
  screen = await type(page, 'RETR 2');
  assert.match(screen, /-ERR [^\n]*\n$/);
  assert.deepEqual(await chips(), ['QUIT', 'STAT', 'LIST', 'RETR 1']);
  assert.equal(await page.locator('[data-testid=conn-2]').getAttribute('aria-pressed'), 'true');
  // Closed under the keyboard's focus: the focus goes to the terminal, not to the page.
  screen = await type(page, 'QUIT');
  assert.match(screen, /Connection closed by foreign host\.\n$/);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'terminal');

  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.screenshot({ path: await artifactPath('sandbox-1920.png') });
  // A laptop at 150 % zoom: the column scrolls, and nothing of the terminal runs over the
  // panes below it.
  await page.setViewportSize({ width: 911, height: 512 });
  const overlap = await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => {
    const terminal = document.querySelector('.sandbox-terminal').getBoundingClientRect();
    const last = document.querySelector('.sandbox-terminal > :last-child').getBoundingClientRect();
    const panes = document.querySelector('.sandbox-panes').getBoundingClientRect();
    done({ lastBottom: last.bottom, terminalBottom: terminal.bottom, panesTop: panes.top });
  })));
  assert.ok(overlap.lastBottom <= overlap.terminalBottom + 1 && overlap.terminalBottom <= overlap.panesTop, JSON.stringify(overlap));
  await page.setViewportSize({ width: 1366, height: 768 });

  // Start over, once confirmed.
  page.once('dialog', (d) => d.accept());
  await page.locator('[data-testid=start-over]').click();
  await page.waitForFunction(() => document.querySelector('main[data-testid=sandbox]')?.dataset.total === '0');
  assert.equal(await page.locator('[data-testid=terminal]').count(), 0);

  // With the DNS resolver down, telnet finds no address and tries no connection.
  await page.locator('[data-testid=show-faults]').click();
  await page.locator('[data-testid=fault-kind]').selectOption('down');
  await page.locator('[data-testid=fault-host]').selectOption('ns.example.org');
  await page.locator('[data-testid=inject]').click();
  await page.locator('[data-testid=injected]').getByText('down ns.example.org').waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid=connect-button]').click();
  // (The port chosen last, POP3's, stays chosen.)
  assert.equal(await settled(page), '$ telnet mx.example.net 110\ntelnet: could not resolve mx.example.net/110: Temporary failure in name resolution\n');
  assert.equal(await page.locator('[data-testid=line]').isDisabled(), true);
  // Explained as what it is (not as any note of the simulation), with its RFCs.
  const card = page.locator('[data-testid=explanation]');
  await card.getByText('No address, so no connection').waitFor({ timeout: TIMEOUT });
  assert.match(await card.textContent(), /RFC 1034 §5\.3\.1/);

  assert.deepEqual(offsite, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a refused line is named, and nothing else changes; a paste stops at a refused line', async () => {
  const { context, errors } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}/full/#/sandbox`);
  await page.locator('main[data-testid=sandbox]').waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid=connect-button]').click();
  await settled(page);
  const total = await page.locator('main[data-testid=sandbox]').getAttribute('data-total');
  // Over the longest line the sandbox takes.
  await page.locator('[data-testid=line]').fill('x'.repeat(2001));
  await page.locator('[data-testid=line]').press('Enter');
  await page.locator('[data-testid=notice]').getByText('at most 2000 bytes').waitFor({ timeout: TIMEOUT });
  assert.equal(await page.locator('main[data-testid=sandbox]').getAttribute('data-total'), total);
  // What was typed is not lost: the refused line is back in the box, to be mended.
  await page.waitForFunction((n) => document.querySelector('[data-testid=line]').value.length === n, 2001);
  // A refused line of a paste: the lines before it go, the notice names it, the rest waits.
  await page.locator('[data-testid=line]').fill('NOOP\n' + 'y'.repeat(2001) + '\nQUIT');
  await page.locator('[data-testid=line]').press('Enter');
  await page.locator('[data-testid=notice]').getByText('Line 2 of your 3 was refused').waitFor({ timeout: TIMEOUT });
  assert.match(await settled(page), /\nNOOP\n250 [^\n]*\n$/);
  assert.equal(await page.locator('[data-testid=line]').isDisabled(), false, 'QUIT was not sent');
  assert.equal(await page.locator('[data-testid=line]').inputValue(), 'y'.repeat(2001) + '\nQUIT', 'the rest is back in the box');
  // A fault injected again is in force again (it replaces the one before).
  await page.locator('[data-testid=show-faults]').click();
  await page.locator('[data-testid=fault-kind]').selectOption('greylist');
  await page.locator('[data-testid=inject]').click();
  await page.locator('[data-testid=injected] li').first().waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid=inject]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=injected] li').length === 2);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a student turns sender checks on at Bob's provider, a typed fake is refused by SPF, then example.org's new SPF record lets it through", async () => {
  const { context, offsite, errors } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}/full/#/sandbox`);
  await page.locator('main[data-testid=sandbox]').waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid=show-faults]').click();
  await page.locator('[data-testid=fault-kind]').selectOption('check');
  await page.locator('[data-testid=fault-host]').selectOption('mx.example.net');
  assert.equal(await page.locator('[data-testid=directive]').textContent(), 'check mx.example.net spf dkim dmarc');
  await page.locator('[data-testid=inject]').click();
  await page.locator('[data-testid=injected]').getByText('check mx.example.net spf dkim dmarc').waitFor({ timeout: TIMEOUT });

  // From Alice's laptop straight to Bob's provider, as alice@example.org: example.org's
  // SPF record names only its own mail server.
  await page.locator('[data-testid=connect-button]').click();
  await settled(page);
  for (const line of ['EHLO laptop.example.org', 'MAIL FROM:<alice@example.org>', 'RCPT TO:<bob@example.net>', 'DATA']) {
    await type(page, line);
  }
  const field = page.locator('[data-testid=line]');
  await field.fill('From: Alice <alice@example.org>\nSubject: not from her provider\n\nHello Bob\n.');
  await field.press('Enter');
  const screen = await settled(page);
  assert.match(screen, /550 5\.7\.23 SPF validation failed: 192\.0\.2\.10 is not allowed to send mail for example\.org/);
  // The transcript has the check's lookups and its finding.
  const transcript = await page.locator('[data-testid=transcript-row]').allInnerTexts();
  assert.ok(transcript.some((r) => r.includes('example.org. IN TXT')), 'the SPF lookup is in the transcript');
  assert.ok(transcript.some((r) => r.includes('SPF fail: 192.0.2.10')), 'the finding is in the transcript');
  await page.screenshot({ path: await artifactPath('sandbox-checks-1366.png') });

  // example.org lets Alice's laptop send for it (a new SPF record, in force at once): the
  // same message, sent again on the same connection, passes.
  await page.locator('[data-testid=show-faults]').click();
  await page.locator('[data-testid=fault-kind]').selectOption('txt');
  await page.locator('[data-testid=fault-record]').selectOption({ label: "example.org · SPF: Alice's laptop may send too" });
  const record = 'txt example.org "v=spf1 ip4:192.0.2.10 mx -all"';
  assert.equal(await page.locator('[data-testid=directive]').textContent(), record);
  await page.locator('[data-testid=inject]').click();
  await page.locator('[data-testid=injected]').getByText(record).waitFor({ timeout: TIMEOUT });
  for (const line of ['MAIL FROM:<alice@example.org>', 'RCPT TO:<bob@example.net>', 'DATA']) {
    await type(page, line);
  }
  await field.fill('From: Alice <alice@example.org>\nSubject: from her laptop, allowed now\n\nHello Bob\n.');
  await field.press('Enter');
  const again = await settled(page);
  assert.match(again.split('550 5.7.23').pop(), /250 2\.0\.0 OK: queued as/);
  const notes = await page.locator('[data-testid=transcript-row]').allInnerTexts();
  assert.ok(notes.some((r) => r.includes('SPF pass: 192.0.2.10')), 'SPF passes with the new record');
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'nothing asked of another origin');
  await context.close();
});

test('a message a student files with IMAP APPEND is counted in the mailbox and said to be no delivery', async () => {
  const { context, errors } = await isolatedContext(browser, server.url);
  const page = await context.newPage();
  await page.goto(`${server.url}/full/#/sandbox`);
  await page.locator('main[data-testid=sandbox]').waitFor({ timeout: TIMEOUT });
  await page.locator('[data-testid=connect-port]').selectOption('143');
  await page.locator('[data-testid=connect-button]').click();
  await settled(page);
  await type(page, 'a LOGIN bob@example.net builder');
  let screen = await type(page, 'b APPEND INBOX {5}');
  assert.match(screen, /\n\+ [^\n]*\n$/, 'the server asks for the literal');
  screen = await type(page, 'hello');
  assert.match(screen, /\nb OK [^\n]*APPEND[^\n]*\n$/);
  await page.locator('[data-testid=show-mailboxes]').click();
  const bob = page.locator('[data-testid=mailbox][data-owner="bob@example.net"]');
  await bob.waitFor({ timeout: TIMEOUT });
  assert.equal(await bob.getAttribute('data-count'), '1');
  assert.equal(
    await bob.locator('[data-testid=mailbox-filed]').textContent(),
    '1 of 1 put here by a mail program (IMAP APPEND or COPY, RFC 3501 §6.3.11, §6.4.7), not delivered, so not listed with the deliveries.',
  );
  assert.deepEqual(errors, []);
  await context.close();
});
