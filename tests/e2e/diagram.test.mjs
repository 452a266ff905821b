// The network diagram's labels as the browser draws them, in headless Chromium against the
// release build in dist/ (and dist/full/ for the lessons that play there): at every step of
// every lesson, no line of one host's label touches a line of another's, and none leaves
// the drawing. The labels are placed on estimated text widths (src/diagram_text.rs); this
// measures the real ones (`getBBox`), in the fonts this machine has: the page names
// system-ui first, which Chromium on Debian draws in DejaVu Sans (fonts-dejavu-core, the
// first choice of fontconfig's own package); another font may measure otherwise.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isolatedContext, lessonShown, openBuild, closeBuild, DIST } from './browser.mjs';

const FIRST_LOAD_TIMEOUT = 30_000;
/** Two hosts' lines side by side closer than this (SVG units) read as one line: it is the
 * width of a space between two words of a state (26 units bold). */
const GAP = 10;

let server;
let browser;

before(async () => {
  ({ server, browser } = await openBuild());
});

after(() => closeBuild({ server, browser }));

/** Steps through the lesson on the page by its address, 0 to the end, and returns every
 * step where two hosts' lines touch or a line leaves the drawing, in words. */
function labelClashes(page, lesson, gap) {
  return page.evaluate(
    async ([lesson, gap]) => {
      const player = () => document.querySelector('main[data-testid=player]');
      const total = Number(player().dataset.total);
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      const found = [];
      for (let step = 0; step <= total; step++) {
        location.hash = `#/lesson/${lesson}/step/${step}`;
        for (let i = 0; i < 600 && player()?.dataset.cursor !== String(step); i++) await frame();
        if (player()?.dataset.cursor !== String(step)) {
          found.push(`step ${step}: the player did not get there`);
          break;
        }
        const svg = document.querySelector('svg[data-testid=diagram]');
        const width = svg.viewBox.baseVal.width;
        const lines = [...svg.querySelectorAll('g.host')].flatMap((g, host) =>
          [...g.querySelectorAll(':scope > .host-text > text')].map((t) => ({ host, text: t.textContent, box: t.getBBox() })),
        );
        // Every host has its name and address at least: a selector gone stale finds none.
        if (lines.length < 2 * svg.querySelectorAll('g.host').length) {
          found.push(`step ${step}: ${lines.length} label lines found for ${svg.querySelectorAll('g.host').length} hosts`);
        }
        for (const l of lines) {
          if (l.box.x < 0 || l.box.x + l.box.width > width) {
            found.push(`step ${step}: "${l.text}" leaves the drawing (${Math.round(l.box.x)}..${Math.round(l.box.x + l.box.width)} of ${width})`);
          }
        }
        for (const [i, a] of lines.entries()) {
          for (const b of lines.slice(i + 1)) {
            const apart =
              a.box.x + a.box.width + gap <= b.box.x ||
              b.box.x + b.box.width + gap <= a.box.x ||
              a.box.y + a.box.height <= b.box.y ||
              b.box.y + b.box.height <= a.box.y;
            if (a.host !== b.host && !apart) {
              found.push(`step ${step}: "${a.text}" and "${b.text}" touch`);
            }
          }
        }
      }
      return { total, found };
    },
    [lesson, gap],
  );
}

test('no host label touches another host\'s, at any step of any lesson', { timeout: 600_000 }, async () => {
  const lessons = (await readdir(path.join(DIST, 'lessons')))
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => f.slice(0, -3))
    .sort();
  assert.ok(lessons.length > 20, `the lessons: ${lessons}`);
  const { context } = await isolatedContext(browser, server.url, { viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  const clashes = [];
  let steps = 0;
  for (const lesson of lessons) {
    await page.goto(`${server.url}/#/lesson/${lesson}/step/0`);
    await lessonShown(page, lesson, FIRST_LOAD_TIMEOUT);
    const { total, found } = await labelClashes(page, lesson, GAP);
    steps += total + 1;
    clashes.push(...found.map((f) => `${lesson}, ${f}`));
  }
  assert.ok(steps > 1000, `${steps} steps looked at`);
  assert.deepEqual(clashes, []);
  await context.close();
});
