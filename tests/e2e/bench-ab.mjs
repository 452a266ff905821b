// Two builds, A and B, measured alike in runs that take turns (the machine's load changes
// from minute to minute): the figures of the README's "before → after". A benchmark, run by
// hand; no test runs it.
//
//   node tests/e2e/bench-ab.mjs OLD_DIST NEW_DIST [--loads 12] [--rate 4] [--messages 213] [--measure ready|steps|address]
//
// Every run opens "Sending an email" in a new browser context, CPU slowed `rate` times
// through the DevTools protocol; the first two runs warm the machine and are not counted.
// - ready (the default): navigation start to the lesson's narration on screen, from step 0,
//   as bench-step.mjs times page ready.
// - steps: the page's main-thread work a step, as bench-step.mjs measures it (trace.mjs):
//   20 key presses from the middle of the trace, each a task of its own, as a real key press
//   is, three frames apart: all of it, and the browser's style and layout, its paint
//   (pre-paint, paint, layerize and commit), and the rest (script mostly).
// - address: the main-thread work of writing the step into the address, as the app does
//   after each step (`history.replaceState`, src/hooks/use_hash_route.rs), and in the 200 ms
//   after it (the browser fetches the page's icon again), 10 times.

import path from 'node:path';
import { startServer } from './server.mjs';
import { launchBrowser, isolatedContext } from './browser.mjs';
import { stepWork, sum, traced } from './trace.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const roots = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')).map((r) => path.resolve(r));
if (roots.length !== 2) {
  console.error('usage: node tests/e2e/bench-ab.mjs OLD_DIST NEW_DIST [--loads 12] [--rate 4] [--messages 213] [--measure ready|steps|address]');
  process.exit(2);
}
const [loads, rate, messages] = [option('--loads', 12), option('--rate', 1), option('--messages', 1)];
const measure = args.includes('--measure') ? args[args.indexOf('--measure') + 1] : 'ready';
if (!['ready', 'steps', 'address'].includes(measure)) {
  console.error('--measure: ready, steps or address');
  process.exit(2);
}
const PLAYER = '[data-testid=player]';

/** One run of `measure` in a page of `origin`: a number, or the split of a step. */
async function run(page, cdp, origin) {
  const ready = (p) => Number(document.querySelector(p)?.dataset.total) > 0 && document.querySelector('#narration-title');
  if (measure === 'ready') {
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    await page.goto(`${origin}/?messages=${messages}#/lesson/sending-an-email/step/0`);
    await page.waitForFunction(ready, PLAYER, { timeout: 180_000, polling: 'raf' });
    return { ready: await page.evaluate(() => performance.now()) };
  }
  await page.goto(`${origin}/?messages=${messages}#/lesson/sending-an-email/step/0`);
  await page.waitForFunction(ready, PLAYER, { timeout: 180_000, polling: 'raf' });
  // From the middle of the trace, as bench-step.mjs steps.
  const total = await page.evaluate((p) => Number(document.querySelector(p).dataset.total), PLAYER);
  const mid = Math.floor(total / 2);
  await page.evaluate((n) => (location.hash = `#/lesson/sending-an-email/step/${n}`), mid);
  await page.waitForFunction(([p, n]) => document.querySelector(p).dataset.cursor === String(n), [PLAYER, mid]);
  await page.waitForTimeout(500);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  if (measure === 'address') {
    // Each write, and the 200 ms after it (the icon's fetch follows it).
    const n = 10;
    const events = await traced(
      cdp,
      async () => {
        for (let i = 0; i < n; i++) {
          await page.evaluate((to) => {
            performance.mark('address');
            history.replaceState(null, '', `#/lesson/sending-an-email/step/${to}`);
          }, mid + 1 - (i % 2));
          await page.waitForTimeout(250);
        }
      },
      (e) => e.name === 'FrameLoader::updateForSameDocumentNavigation',
    );
    const windows = events.marks.filter((e) => e.name === 'address').map((e) => [e.ts, e.ts + 200_000]);
    if (windows.length !== n) throw new Error(`${windows.length} address marks in the trace, not ${n}`);
    return { address: sum(events, ['RunTask'], n, windows) };
  }
  return stepWork(page, cdp);
}

const servers = [await startServer({ root: roots[0] }), await startServer({ root: roots[1] })];
const browser = await launchBrowser();
const results = [[], []];
try {
  for (let i = 0; i < 2 * loads + 2; i++) {
    const which = i % 2;
    const origin = new URL(servers[which].url).origin;
    const { context } = await isolatedContext(browser, origin);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const result = await run(page, cdp, origin);
    if (i >= 2) results[which].push(result);
    await context.close();
  }
} finally {
  await browser.close();
  for (const s of servers) await s.close();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => x.toFixed(x < 20 ? 1 : 0);
for (const [i, label] of ['A', 'B'].entries()) {
  const of = (key) => results[i].map((r) => r[key]);
  const range = (key) => `median ${ms(median(of(key)))} ms (${ms(Math.min(...of(key)))}–${ms(Math.max(...of(key)))})`;
  const what = {
    ready: () => `page ready ${range('ready')}`,
    address: () => `main thread per address write ${range('address')}`,
    steps: () => `main thread per step ${range('busy')}: script ${ms(median(of('script')))}, style and layout ${ms(median(of('style')))}, paint ${ms(median(of('paint')))}`,
  }[measure]();
  console.log(`${label} ${roots[i]}: ${what} (${results[i].length} runs at ${rate}×, ${messages} message(s))`);
}
