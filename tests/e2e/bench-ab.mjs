// Page ready of two builds, A and B, from cold loads that take turns (the machine's load
// changes from minute to minute, so the two are measured alike): the figures of the README's
// "before → after" for page ready. A benchmark, run by hand; no test runs it.
//
//   node tests/e2e/bench-ab.mjs OLD_DIST NEW_DIST [--loads 12] [--rate 4] [--messages 213]
//
// Each load opens "Sending an email" at step 0 in a new browser context (CPU slowed `rate`
// times through the DevTools protocol) and times navigation start to the lesson's narration
// on screen, as bench-step.mjs does; the first two loads warm the machine and are not counted.

import path from 'node:path';
import { startServer } from './server.mjs';
import { launchBrowser, isolatedContext } from './browser.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const roots = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')).map((r) => path.resolve(r));
if (roots.length !== 2) {
  console.error('usage: node tests/e2e/bench-ab.mjs OLD_DIST NEW_DIST [--loads 12] [--rate 4] [--messages 213]');
  process.exit(2);
}
const [loads, rate, messages] = [option('--loads', 12), option('--rate', 1), option('--messages', 1)];

const servers = [await startServer({ root: roots[0] }), await startServer({ root: roots[1] })];
const browser = await launchBrowser();
const times = [[], []];
try {
  for (let i = 0; i < 2 * loads + 2; i++) {
    const which = i % 2;
    const origin = new URL(servers[which].url).origin;
    const { context } = await isolatedContext(browser, origin);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    await page.goto(`${origin}/?messages=${messages}#/lesson/sending-an-email/step/0`);
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=player]')?.dataset.total) > 0 && document.querySelector('#narration-title'),
      null,
      { timeout: 180_000, polling: 'raf' },
    );
    const ready = await page.evaluate(() => performance.now());
    if (i >= 2) times[which].push(ready);
    await context.close();
  }
} finally {
  await browser.close();
  for (const s of servers) await s.close();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [i, label] of ['A', 'B'].entries()) {
  const xs = times[i];
  console.log(`${label} ${roots[i]}: median ${median(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} (${xs.length} loads at ${rate}×, ${messages} message(s))`);
}
