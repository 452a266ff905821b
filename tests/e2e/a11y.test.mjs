// Accessibility in headless Chromium against the release build (scripts/build.sh): axe-core
// (npm, pinned in package-lock.json) runs in the page on every screen, in the light and
// the dark colour scheme (the app follows the system's), at 1366x768, with the WCAG 2.0,
// 2.1 and 2.2 A and AA rules. A violation of impact "serious" or "critical" fails the test,
// printed with its rule, what it asks and the elements at fault.
//
// Screens: the lite build (dist/): the home page, a lesson mid-way, a "predict the reply"
// question, the message inspector, presenter mode, a notice; the full build (dist/full/): an IMAP
// lesson with its panel, a POP3 lesson with its panel, the BODYSTRUCTURE dialog, the
// teachers' page, a hand-out and a worksheet. Each screen is also photographed
// (tests/e2e/artifacts/a11y-*.png, gitignored), to be looked at; with MAILROOM_SHOTS=1 the
// home page, a lesson and an IMAP lesson are photographed at 1920x1080 too.
//
// axe cannot judge the contrast of SVG text: the network diagram's labels are measured here
// (diagramContrast). Follows the DOM contract (data-testid, ARIA) and polls the page, never
// sleeps.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { isolatedContext, artifactPath, lessonShown, openBuild, closeBuild } from './browser.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const FIRST_LOAD_TIMEOUT = 30_000;
const TIMEOUT = 15_000;
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const FAILING = new Set(['serious', 'critical']);
const SCHEMES = ['light', 'dark'];

const SEL = {
  home: '[data-testid=home]',
  player: 'main[data-testid=player]',
  dialog: '[data-testid=message-dialog]',
  inspect: '[data-testid=inspect-message]',
  question: '[data-testid=predict] .predict-choices, [data-testid=predict] form',
};

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild(['index.html', 'full/index.html']));
});

after(() => closeBuild({ server, browser }));

async function waitUntil(page, what, predicate, arg, timeout = TIMEOUT) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 'raf' });
  } catch (err) {
    const state = await page.evaluate(() => location.href).catch(() => '(unavailable)');
    throw new Error(`timed out waiting for ${what} at ${state}\n${err.message.split('\n')[0]}`);
  }
}

/** Waits until nothing moves: the token has arrived, the controls have slid. */
// Animations in time; not those that follow a scroll (the part strip's fades), which
// stay "running" for as long as their scroller is there.
const settled = (page) =>
  waitUntil(page, 'the end of animations', () =>
    document.getAnimations().every((a) => a.playState !== 'running' || !(a.timeline instanceof DocumentTimeline)),
  );

/**
 * Runs axe-core in the page (injected from node_modules, after any navigation) and returns
 * its serious and critical violations, each with the elements at fault. axe judges the
 * contrast of text on screen only: the text a scrolling box hides (the rest of the home
 * page, of a sheet, of the transcript) is judged too, the box scrolled one height at a time.
 */
async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async (tags) => {
    const found = new Map();
    const record = ({ violations }) => {
      for (const v of violations) {
        const seen = found.get(v.id) ?? found.set(v.id, { id: v.id, impact: v.impact, help: v.help, nodes: new Map() }).get(v.id);
        for (const n of v.nodes) {
          const target = n.target.join(' ');
          const why = [...n.any, ...n.all, ...n.none].map((c) => c.message).join('; ');
          seen.nodes.set(target, { impact: n.impact, target, why });
        }
      }
    };
    record(await globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }));
    const scrolls = (e) => /auto|scroll/.test(getComputedStyle(e).overflowY) && e.scrollHeight > e.clientHeight + 1;
    for (const box of [...document.querySelectorAll('*')].filter(scrolls)) {
      const start = box.scrollTop;
      for (let top = 0; ; top += Math.max(40, box.clientHeight - 40)) {
        box.scrollTop = top;
        record(await globalThis.axe.run(box, { runOnly: ['color-contrast'], resultTypes: ['violations'] }));
        if (box.scrollTop + box.clientHeight >= box.scrollHeight - 1) break;
      }
      box.scrollTop = start;
    }
    return [...found.values()].map((v) => ({ ...v, nodes: [...v.nodes.values()] }));
  }, TAGS);
  return violations
    .map((v) => ({ ...v, nodes: v.nodes.filter((n) => FAILING.has(n.impact ?? v.impact)) }))
    .filter((v) => v.nodes.length > 0);
}

/**
 * The contrast of the network diagram's text, which axe cannot judge (it does not know what
 * lies behind SVG text): each label against its halo (a stroke in the panel's colour), or,
 * without one, against the shape it is written on. Returns one line per label below 4.5:1.
 */
function diagramContrast(page) {
  return page.evaluate(() => {
    const rgb = (c) => {
      const m = c.match(/^rgba?\(([\d.]+),? ([\d.]+),? ([\d.]+)(?:,? \/? ?([\d.]+))?\)$/);
      if (m) return m[4] === '0' ? null : [m[1], m[2], m[3]].map(Number);
      const s = c.match(/^color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)\)$/);
      return s ? [s[1], s[2], s[3]].map((x) => Number(x) * 255) : null;
    };
    const lum = ([r, g, b]) => {
      const f = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (a, b) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    const low = [];
    // Under a modal dialog, the page is not what is read.
    if (document.querySelector('dialog[open]')) return low;
    for (const text of document.querySelectorAll('svg.diagram text')) {
      const style = getComputedStyle(text);
      const box = text.getBoundingClientRect();
      if (!text.textContent.trim() || box.width === 0 || style.visibility === 'hidden') continue;
      let behind = style.stroke !== 'none' && parseFloat(style.strokeWidth) > 0 ? rgb(style.stroke) : null;
      for (const e of behind ? [] : document.elementsFromPoint(box.x + box.width / 2, box.y + box.height / 2)) {
        if (e === text) continue;
        behind = e instanceof SVGGeometryElement ? rgb(getComputedStyle(e).fill) : rgb(getComputedStyle(e).backgroundColor);
        if (behind) break;
      }
      const fill = rgb(style.fill);
      const r = fill && behind ? ratio(fill, behind) : 0;
      if (r < 4.5) low.push(`"${text.textContent.trim()}" (${text.getAttribute('class') ?? 'text'}): ${r.toFixed(2)}:1, ${style.fill} on ${behind}`);
    }
    return low;
  });
}

/** Checks the screen shown now and photographs it; records what fails in `failures`. */
async function check(page, scheme, screen, failures) {
  await settled(page);
  // A picture for people to look at, of a page already settled; it checks nothing, so one
  // not taken in time is said, not failed: on a busy 2-core CI machine the worksheet's has
  // taken over 15 s in both schemes, and once did not come in 60 s while the page answered.
  const picture = `a11y-${screen}-${scheme}.png`;
  await page.screenshot({ path: await artifactPath(picture), timeout: 30_000 }).catch((err) => {
    if (err.name !== 'TimeoutError') throw err;
    console.log(`# no picture ${picture}: ${err.message.split('\n')[0]}`);
  });
  for (const v of await axeViolations(page)) {
    const nodes = v.nodes.map((n) => `      ${n.target}\n        ${n.why}`).join('\n');
    failures.push(`${screen} (${scheme}): ${v.id} [${v.impact}] ${v.help}\n${nodes}`);
  }
  for (const label of await diagramContrast(page)) failures.push(`${screen} (${scheme}): the diagram's text below 4.5:1: ${label}`);
}

/** A fresh page of a fresh context in colour scheme `scheme`, at `viewport`. */
async function open(scheme, viewport = { width: 1366, height: 768 }) {
  const { context, errors, offsite } = await isolatedContext(browser, server.url, { viewport });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme: scheme });
  return { page, context, errors, offsite };
}

/** Opens `lesson` at `step` in the build at `base` ('' the lite one, '/full' the full one), and waits for it. */
async function openLesson(page, base, lesson, step) {
  await page.goto(`${server.url}${base}/#/lesson/${lesson}/step/${step}`);
  await lessonShown(page, lesson, FIRST_LOAD_TIMEOUT);
  await waitUntil(page, `step ${step}`, ([s, n]) => document.querySelector(s)?.dataset.cursor === String(n), [SEL.player, step]);
}

/** Goes to the start of the part titled `title`, with its button in the parts strip. */
async function gotoPart(page, title) {
  await page.locator(`[data-testid=narration] nav button[aria-label$=": ${title}"]`).click();
  await waitUntil(page, `part "${title}"`, (t) => document.querySelector('#narration-title')?.textContent.trim() === t, title);
}

/** Presses → until `selector` shows (at most `max` times). */
async function stepUntil(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await page.locator(selector).count()) return;
    await page.keyboard.press('ArrowRight');
  }
  throw new Error(`${selector} never showed`);
}

async function finish(context, errors, offsite, failures) {
  await context.close();
  assert.equal(failures.length, 0, `serious or critical accessibility violations:\n${failures.join('\n')}`);
  assert.deepEqual(errors, [], 'no errors in the page');
  assert.deepEqual(offsite, [], 'no request leaves the site');
}

for (const scheme of SCHEMES) {
  test(`the lite build passes axe-core in the ${scheme} scheme: home, a lesson, a question, the inspector, presenter mode, the sequence diagram, a notice`, { timeout: 240_000 }, async () => {
    const { page, context, errors, offsite } = await open(scheme);
    const failures = [];

    await page.goto(`${server.url}/`);
    await page.locator(SEL.home).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    await check(page, scheme, 'home', failures);

    // Mid-way, after STARTTLS, with everything that colours the transcript: line ends, what
    // an eavesdropper sees, a selected row beside the current one.
    await openLesson(page, '', 'sending-an-email', 21);
    await page.locator('[data-testid=eavesdropper]').check();
    await page.locator('[data-testid=line-ends]').check();
    await page.locator('[data-testid=transcript-row][data-index="14"]').click();
    await page.locator('[data-testid=transcript-row][data-index="14"][aria-selected=true]').waitFor();
    await check(page, scheme, 'lesson', failures);

    // A question: the card asks when the cursor reaches its step.
    await openLesson(page, '', 'sending-an-email', 0);
    await stepUntil(page, SEL.question);
    await check(page, scheme, 'question', failures);

    // The message after 354, in the inspector (→ passes a question).
    await stepUntil(page, SEL.inspect);
    await page.locator(SEL.inspect).click();
    await page.locator(SEL.dialog).waitFor({ state: 'visible' });
    await check(page, scheme, 'inspector', failures);
    await page.keyboard.press('Escape');
    await page.locator(SEL.dialog).waitFor({ state: 'hidden' });

    await page.keyboard.press('p');
    await waitUntil(page, 'presenter mode', () => document.documentElement.hasAttribute('data-presenting'));
    await check(page, scheme, 'present', failures);
    // The pressed button with the pointer on it, as it is after a click on it.
    await page.locator('[data-testid=present]').hover();
    await check(page, scheme, 'present-hovered', failures);
    await page.keyboard.press('p');
    await waitUntil(page, 'the end of presenter mode', () => !document.documentElement.hasAttribute('data-presenting'));

    // The sequence diagram in place of the network diagram (S).
    await page.keyboard.press('s');
    await page.locator('[data-testid=sequence-panel]').waitFor();
    await check(page, scheme, 'sequence', failures);
    await page.keyboard.press('s');
    await page.locator('svg[data-testid=diagram]').waitFor();

    // A lesson that does not exist: said in a notice.
    await page.goto(`${server.url}/#/lesson/no-such-lesson/step/0`);
    await page.locator('[data-testid=notice]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    await check(page, scheme, 'notice', failures);

    await finish(context, errors, offsite, failures);
  });

  test(`the full build passes axe-core in the ${scheme} scheme: IMAP, POP3, the sender checks, BODYSTRUCTURE, the teachers' page, the sheets, the sandbox`, { timeout: 240_000 }, async () => {
    const { page, context, errors, offsite } = await open(scheme);
    const failures = [];

    // The panels where they say most: flags, a message marked for deletion.
    await openLesson(page, '/full', 'two-devices-imap', 40);
    await gotoPart(page, 'Marked, still there');
    await page.locator('[data-testid=imap-panel] [data-testid=imap-row]').first().waitFor();
    await check(page, scheme, 'imap', failures);

    await openLesson(page, '/full', 'retrieving-mail-with-pop3', 20);
    await gotoPart(page, 'Marked, not deleted');
    await page.locator('[data-testid=mail-programs] [data-testid=mail-row]').first().waitFor();
    await check(page, scheme, 'pop3', failures);

    // The receiving server's checks in the inspector (the lessons on trust).
    await openLesson(page, '/full', 'dmarc', 0);
    await gotoPart(page, "Alice's real email");
    await page.keyboard.press('ArrowRight');
    await page.locator(SEL.inspect).click();
    await page.locator('[data-testid=message-dialog] button.inspect-tab', { hasText: 'Header and hops' }).click();
    await page.locator('[data-testid=inspect-view]').waitFor();
    await check(page, scheme, 'sender-checks', failures);
    await page.keyboard.press('Escape');

    await openLesson(page, '/full', 'attachments-over-imap', 0);
    await gotoPart(page, 'The structure');
    await page.locator(SEL.inspect).click();
    await page.locator('[data-testid=structure-tree]').waitFor();
    await check(page, scheme, 'bodystructure', failures);
    await page.keyboard.press('Escape');

    await page.goto(`${server.url}/full/#/yours`);
    await page.locator('[data-testid=your-lessons]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    await check(page, scheme, 'yours', failures);

    await page.goto(`${server.url}/full/#/handout/a-bounce`);
    await page.locator('[data-testid=handout][data-lesson=a-bounce]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    await check(page, scheme, 'handout', failures);

    await page.goto(`${server.url}/full/#/worksheet/a-bounce`);
    await page.locator('[data-testid=worksheet][data-lesson=a-bounce]').waitFor({ timeout: FIRST_LOAD_TIMEOUT });
    await check(page, scheme, 'worksheet', failures);

    // The sandbox with a connection open, a command answered and a fault injected.
    await page.goto(`${server.url}/full/#/sandbox`);
    await page.locator('[data-testid=connect-button]').click({ timeout: FIRST_LOAD_TIMEOUT });
    await page.locator('[data-testid=line]').fill('EHLO laptop.example.org');
    await page.locator('[data-testid=line]').press('Enter');
    await page.locator('[data-testid=show-faults]').click();
    await page.locator('[data-testid=inject]').click();
    await page.locator('[data-testid=injected]').waitFor();
    await page.waitForFunction(() => {
      const main = document.querySelector('main[data-testid=sandbox]');
      return main && main.dataset.cursor === main.dataset.total;
    });
    await check(page, scheme, 'sandbox', failures);
    // The other panes below the terminal, one at a time.
    await page.locator('[data-testid=show-mailboxes]').click();
    await check(page, scheme, 'sandbox mailboxes', failures);
    await page.locator('[data-testid=show-explanation]').click();
    await check(page, scheme, 'sandbox explanation', failures);

    await finish(context, errors, offsite, failures);
  });
}

// Photographs to be looked at (MAILROOM_SHOTS=1): a laptop's and a projector's size.
test('screenshots at 1366x768 and 1920x1080, light and dark', { skip: !process.env.MAILROOM_SHOTS, timeout: 240_000 }, async () => {
  for (const scheme of SCHEMES) {
    for (const viewport of [{ width: 1366, height: 768 }, { width: 1920, height: 1080 }]) {
      const { page, context } = await open(scheme, viewport);
      const shot = async (name) => (await settled(page), page.screenshot({ path: await artifactPath(`shot-${name}-${viewport.width}-${scheme}.png`) }));
      await page.goto(`${server.url}/`);
      await page.locator(SEL.home).waitFor({ timeout: FIRST_LOAD_TIMEOUT });
      await shot('home');
      await openLesson(page, '', 'sending-an-email', 21);
      await shot('lesson');
      await openLesson(page, '/full', 'two-devices-imap', 40);
      await gotoPart(page, 'Marked, still there');
      await shot('imap');
      await context.close();
    }
  }
});
