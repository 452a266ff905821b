// Page benchmark (issue "One frame per step"): how long a step takes, from the key press
// to the frame that shows it, on short and long traces, at full speed and with the CPU
// slowed 4× (a low-end school laptop), beside the machine's own floor; how long the page
// takes to be ready; and whether a step forces a synchronous layout.
//
//   scripts/build.sh && node tests/e2e/bench-step.mjs [--steps 100] [--loads 7] [--readme] [--only 10,000] [--rate 4]
//
// For each trace (the lesson, `?messages=22` ≈ 1,000 events, `?messages=213` ≈ 10,000) and
// each CPU rate (1×, 4×: `Emulation.setCPUThrottlingRate`):
// - page ready: navigation start to the lesson's narration on screen (median, worst of 7
//   cold loads); beside it, the same for the page's static copy (its DOM when ready, without
//   scripts, served as HTML): what the browser alone needs to show that page, the floor;
// - step: a key press dispatched in the page (ArrowRight ×10, ArrowLeft ×10, ...) to the
//   next animation frame (our work done, the frame that shows it begins), timed with
//   performance.now(): p50 and p95; and to the frame after it (that frame's style, layout
//   and paint done too);
// - floor: the same two measures for a trivial DOM change (one attribute) in the same
//   page, what any frame costs on this machine;
// - main thread a step: a Chromium performance trace of 20 key presses dispatched in the
//   page, each in a task of its own (as a real key press is), three frames apart: the main
//   thread's work a step, and its split into script, style and layout, and paint (pre-paint,
//   paint, layerize, commit) (trace.mjs);
// - forced layouts: a Chromium performance trace of 20 trusted key presses; `Layout`
//   events inside the keydown's own task (script reading layout after writing the DOM).
// `--readme` writes the table into README.md between the bench-step markers.
//
// A benchmark, not a test: timings on a shared 2-core machine are not pass/fail. The
// test script does not run it.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';
import { launchBrowser, isolatedContext } from './browser.mjs';
import { stepWork, traced } from './trace.mjs';

const args = process.argv.slice(2);
const STEPS = Number(args[args.indexOf('--steps') + 1] || 0) || 100;
const README = args.includes('--readme');
const LESSON = 'sending-an-email';
// `--only 10,000` or `--rate 4`: a part of the table, for a quick look.
const ONLY = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';
const RATE = args.includes('--rate') ? Number(args[args.indexOf('--rate') + 1]) : 0;
const TRACES = [
  ['lesson', 1],
  ['≈1,000 events', 22],
  ['≈10,000 events', 213],
].filter(([label]) => label.includes(ONLY));
const RATES = [1, 4].filter((r) => !RATE || r === RATE);
// Page loads per row (each cold, in a new browser context), and as many of its static copy.
const LOADS = Number(args.includes('--loads') ? args[args.indexOf('--loads') + 1] : 0) || 7;
const PLAYER = '[data-testid=player]';

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const ms = (x) => `${x.toFixed(0)} ms`;

/** Opens the lesson with `messages` sends at CPU `rate`; the time to its narration. */
async function open(browser, origin, messages, rate) {
  const { context } = await isolatedContext(browser, origin);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  await page.goto(`${origin}/?messages=${messages}#/lesson/${LESSON}/step/0`);
  await page.waitForFunction(
    (p) => Number(document.querySelector(p)?.dataset.total) > 0 && document.querySelector('#narration-title'),
    PLAYER,
    { timeout: 180_000, polling: 'raf' },
  );
  const ready = await page.evaluate(() => performance.now());
  const total = await page.evaluate((p) => Number(document.querySelector(p).dataset.total), PLAYER);
  return { context, page, cdp, ready, total };
}

/** The page as it stood when ready, without its scripts (and what preloads them). */
function snapshot(page) {
  return page.evaluate(() => {
    const copy = document.documentElement.cloneNode(true);
    copy.querySelectorAll('script, link[rel=modulepreload], link[rel=preload]').forEach((e) => e.remove());
    return `<!doctype html>${copy.outerHTML}`;
  });
}

/** The time to the narration of `html` served as a static page at CPU `rate`, cold. */
async function openStatic(browser, origin, html, rate) {
  const { context } = await isolatedContext(browser, origin);
  await context.route(`${origin}/static-copy.html`, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: html }));
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  await page.goto(`${origin}/static-copy.html`);
  await page.waitForFunction(() => document.querySelector('#narration-title'), null, { timeout: 60_000, polling: 'raf' });
  const ready = await page.evaluate(() => performance.now());
  await context.close();
  return ready;
}

/** Step and floor timings in the page: `n` key presses, then `n` trivial changes. */
function measure(page, n) {
  return page.evaluate(
    async ([n, player]) => {
      const main = document.querySelector(player);
      const frame = () => new Promise((r) => requestAnimationFrame(() => r(performance.now())));
      const step = [];
      const floor = [];
      const stepAfter = [];
      const floorAfter = [];
      await frame();
      for (let i = 0; i < n; i++) {
        const key = i % 20 < 10 ? 'ArrowRight' : 'ArrowLeft';
        const t0 = performance.now();
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
        // The frame that shows the step runs style, layout and paint after its animation
        // frame callbacks; the next frame starts once they are done.
        step.push((await frame()) - t0);
        stepAfter.push((await frame()) - t0);
      }
      const probe = document.createElement('span');
      probe.className = 'visually-hidden';
      document.body.append(probe);
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        probe.dataset.n = String(i);
        probe.textContent = String(i);
        floor.push((await frame()) - t0);
        floorAfter.push((await frame()) - t0);
      }
      probe.remove();
      void main;
      return { step, floor, stepAfter, floorAfter };
    },
    [n, PLAYER],
  );
}

/** Layout events inside the keydown tasks of 20 trusted key presses. */
async function forcedLayouts(page, cdp) {
  const events = await traced(
    cdp,
    async () => {
      for (let i = 0; i < 20; i++) {
        const before = await page.evaluate((p) => document.querySelector(p).dataset.cursor, PLAYER);
        await page.keyboard.press(i % 2 ? 'ArrowLeft' : 'ArrowRight');
        await page.waitForFunction(([p, b]) => document.querySelector(p).dataset.cursor !== b, [PLAYER, before], { polling: 'raf' });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      }
    },
    (e) => e.name === 'EventDispatch' && e.args?.data?.type === 'keydown',
  );
  const keydowns = events.filter((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'keydown');
  const layouts = keydowns.map((k) => events.filter((e) => e.name === 'Layout' && e.ts >= k.ts && e.ts <= k.ts + k.dur).length);
  return { keydowns: keydowns.length, layouts: layouts.reduce((a, b) => a + b, 0) };
}

const server = await startServer();
const browser = await launchBrowser();
const rows = [];
try {
  for (const [label, messages] of TRACES) {
    for (const rate of RATES) {
      const readies = [];
      const floors = [];
      let result;
      let html;
      for (let run = 0; run < LOADS; run++) {
        const o = await open(browser, new URL(server.url).origin, messages, rate);
        readies.push(o.ready);
        html ??= await snapshot(o.page);
        if (run === LOADS - 1) {
          // From the middle of the trace, so that every step has rows before and after it.
          const mid = Math.floor(o.total / 2);
          await o.page.evaluate(([l, n]) => (location.hash = `#/lesson/${l}/step/${n}`), [LESSON, mid]);
          await o.page.waitForFunction(([p, n]) => document.querySelector(p).dataset.cursor === String(n), [PLAYER, mid]);
          const m = await measure(o.page, STEPS);
          const work = await stepWork(o.page, o.cdp);
          const forced = await forcedLayouts(o.page, o.cdp);
          result = { total: o.total, ...m, work, forced };
        }
        await o.context.close();
        // Taking turns with the app's loads, so that both see the machine alike.
        floors.push(await openStatic(browser, new URL(server.url).origin, html, rate));
      }
      const r = result;
      rows.push({
        label: `${label} (${r.total.toLocaleString('en')} events)`,
        rate,
        step: `${ms(q(r.step, 0.5))} / ${ms(q(r.step, 0.95))}`,
        floor: `${ms(q(r.floor, 0.5))} / ${ms(q(r.floor, 0.95))}`,
        after: `${ms(q(r.stepAfter, 0.5))} / ${ms(q(r.stepAfter, 0.95))} (floor ${ms(q(r.floorAfter, 0.5))} / ${ms(q(r.floorAfter, 0.95))})`,
        ready: `${ms(q(readies, 0.5))} / ${ms(Math.max(...readies))}`,
        readyFloor: `${ms(q(floors, 0.5))} / ${ms(Math.max(...floors))}`,
        work: `${r.work.busy.toFixed(1)} ms (${[r.work.script, r.work.style, r.work.paint].map((x) => x.toFixed(1)).join(' + ')})`,
        forced: `${r.forced.layouts} in ${r.forced.keydowns} key presses`,
      });
      console.error(`done: ${label} at ${rate}×`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const table = [
  '| trace | CPU | step p50 / p95 | floor p50 / p95 | to the frame after, p50 / p95 | main thread a step (script and the rest + style and layout + paint) | page ready median / worst | its static copy median / worst | forced layouts |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.label} | ${r.rate}× | ${r.step} | ${r.floor} | ${r.after} | ${r.work} | ${r.ready} | ${r.readyFloor} | ${r.forced} |`),
].join('\n');
console.log(table);

if (README) {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../README.md');
  const text = await readFile(file, 'utf8');
  const start = '<!-- bench-step:start -->';
  const end = '<!-- bench-step:end -->';
  const [a, b] = [text.indexOf(start), text.indexOf(end)];
  if (a < 0 || b < a) throw new Error(`README.md has no ${start} ... ${end} markers`);
  await writeFile(file, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
  console.error('README.md updated');
}
