// Writes the service worker of the release build, dist/sw.js, from its template web/sw.js:
// run by scripts/build.sh after both builds. It fills in
//   VERSION  a hash of the template and of every file in dist/ (names and contents): any
//            change to the build is a new version, and only a change is
//   APP      what is precached at install: the lite app (its page as './'), every lesson,
//            the manifest and the icon, and the full app's page (as 'full/')
//   FULL     the full app's other files (dist/full/: js, wasm, css), cached when first used;
//            not its guide for lesson writers (full/guide.html), which sw.js treats as a lesson
// (without the template's comments), and checks that dist/lessons/ and dist/full/lessons/ are the same files, since the service
// worker serves one for the other.
//
//   node scripts/make-sw.mjs [dist]

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
const templatePath = path.join(root, 'web', 'sw.js');
const template = readFileSync(templatePath, 'utf8');

/** Every file under `dir`, as sorted '/'-separated paths relative to it. */
function filesUnder(dir, prefix = '') {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      return entry.isDirectory() ? filesUnder(dir, rel) : [rel];
    })
    .sort();
}

function fail(message) {
  console.error(`make-sw: ${message}`);
  process.exit(1);
}

const files = filesUnder(dist).filter((f) => f !== 'sw.js');
if (!files.includes('index.html')) fail(`no index.html in ${dist}: build first`);

const read = (f) => readFileSync(path.join(dist, f));
const lessons = files.filter((f) => f.startsWith('lessons/'));
const fullLessons = files.filter((f) => f.startsWith('full/lessons/'));
if (lessons.length === 0) fail(`no lessons in ${dist}/lessons`);
if (fullLessons.length > 0) {
  const same =
    fullLessons.length === lessons.length &&
    lessons.every((f) => files.includes(`full/${f}`) && read(f).equals(read(`full/${f}`)));
  if (!same) fail('dist/lessons/ and dist/full/lessons/ differ: the service worker serves one for the other');
}

const hash = createHash('sha256').update(template);
for (const f of files) hash.update(`\0${f}\0`).update(read(f));
const version = hash.digest('hex').slice(0, 16);

const isFull = (f) => f.startsWith('full/');
const app = [
  ...files.filter((f) => !isFull(f)).map((f) => (f === 'index.html' ? './' : f)),
  ...(files.includes('full/index.html') ? ['full/'] : []),
];
// The guide (full/guide.html) is a page with an unchanging name: the service worker keeps
// the copy it last fetched, like a lesson.
const full = files.filter(
  (f) => isFull(f) && f !== 'full/index.html' && f !== 'full/guide.html' && !f.startsWith('full/lessons/'),
);

let sw = template;
for (const [name, value] of [
  ['VERSION', version],
  ['APP', app],
  ['FULL', full],
]) {
  const line = new RegExp(`^const ${name} = .*;$`, 'm');
  if (!line.test(sw)) fail(`${templatePath} has no line "const ${name} = ...;"`);
  sw = sw.replace(line, `const ${name} = ${JSON.stringify(value)};`);
}
// Whole-line comments out: the browser downloads sw.js at every visit to look for a new version.
sw = sw.replace(/^\s*(\/\/|\/\*\*|\*).*\n/gm, '').replace(/\n{2,}/g, '\n');
sw = `// Mailroom's service worker, made by scripts/make-sw.mjs from web/sw.js (read that one: it is commented).\n${sw}`;
try {
  new Function(sw); // parses, does not run
} catch (err) {
  fail(`the service worker does not parse: ${err.message}`);
}
writeFileSync(path.join(dist, 'sw.js'), sw);

const bytes = (list) => list.reduce((sum, f) => sum + read(f === './' ? 'index.html' : f === 'full/' ? 'full/index.html' : f).length, 0);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `${path.relative(root, path.join(dist, 'sw.js'))}: version ${version}; precaches ${app.length} files ` +
    `(${kb(bytes(app))} raw, ${lessons.length} lessons); ${full.length} files of full/ cached when used (${kb(bytes(full))} raw)`,
);
