// Writes the built-in lessons' ids into the inline script of each build's page (index.html:
// `const L = [];`), which starts fetching the lesson the address names while the
// app's code loads; only those ids, so that an unknown lesson is never fetched (a 404).
// The page's HTML comments, written for us, are dropped. Run by scripts/build.sh after both
// builds.
//
//   node scripts/early-lesson.mjs dist [dist/full ...]

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const MARK = 'const L = [];';

for (const dir of process.argv.slice(2)) {
  const page = path.join(dir, 'index.html');
  const html = readFileSync(page, 'utf8');
  if (html.split(MARK).length !== 2) {
    console.error(`early-lesson: ${page} has not exactly one "${MARK}"`);
    process.exit(1);
  }
  const ids = readdirSync(path.join(dir, 'lessons'))
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => f.slice(0, -3))
    .filter((id) => /^[a-z0-9_-]+$/.test(id))
    .sort();
  if (ids.length === 0) {
    console.error(`early-lesson: no lessons in ${path.join(dir, 'lessons')}`);
    process.exit(1);
  }
  writeFileSync(page, html.replace(MARK, `const L = ${JSON.stringify(ids)};`).replace(/\n?[ \t]*<!--[^]*?-->/g, ''));
  console.log(`${page}: ${ids.length} lessons fetched early`);
}
