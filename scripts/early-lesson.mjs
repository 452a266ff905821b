// Writes the lessons each build plays into the inline script of its page (index.html:
// `const L = [];`), which starts fetching the lesson the address names while the app's code
// loads: only those, so that an unknown lesson is never fetched (a 404), nor, in the lite
// build, a lesson that the full build plays (the page goes there and fetches it itself).
// The page's HTML comments, written for us, are dropped. Run by scripts/build.sh after both
// builds.
//
//   node scripts/early-lesson.mjs --lite dist --full dist/full

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const MARK = 'const L = [];';

/**
 * True when the lesson's world has a mail program that retrieves mail (a world line such as
 * `at 0s imap from laptop via …` or `at 5s retrieve from …`): the lite build, without the
 * features `imap` and `pop3`, cannot play it. The same test as core/build.rs's
 * (`Entry::{imap, pop3}`); should the two differ, the app still goes to the full build, the
 * early fetch being wasted.
 */
const retrievesMail = (text) =>
  text.split('\n').some((l) => l.trimStart().startsWith('at ') && (l.includes(' imap from ') || l.includes(' retrieve from ')));

const args = process.argv.slice(2);
const builds = [];
for (let i = 0; i < args.length; i += 2) {
  if (!['--lite', '--full'].includes(args[i]) || !args[i + 1]) {
    console.error('usage: node scripts/early-lesson.mjs --lite dist --full dist/full');
    process.exit(2);
  }
  builds.push({ lite: args[i] === '--lite', dir: args[i + 1] });
}

for (const { lite, dir } of builds) {
  const page = path.join(dir, 'index.html');
  const html = readFileSync(page, 'utf8');
  if (html.split(MARK).length !== 2) {
    console.error(`early-lesson: ${page} has not exactly one "${MARK}"`);
    process.exit(1);
  }
  const lessons = path.join(dir, 'lessons');
  const ids = readdirSync(lessons)
    .filter((f) => /^[a-z0-9_-]+\.md$/.test(f))
    .filter((f) => !lite || !retrievesMail(readFileSync(path.join(lessons, f), 'utf8')))
    .map((f) => f.slice(0, -3))
    .sort();
  if (ids.length === 0) {
    console.error(`early-lesson: no lessons in ${lessons}`);
    process.exit(1);
  }
  const out = html.replace(MARK, `const L = ${JSON.stringify(ids)};`).replace(/\n?[ \t]*<!--[^]*?-->/g, '');
  writeFileSync(page, out);
  console.log(`${page}: ${ids.length} lessons fetched early`);
}
