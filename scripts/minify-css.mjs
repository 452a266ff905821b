// Minifies the stylesheets of the release build in place: comments out, whitespace
// collapsed. The sources in styles/ stay commented and readable; the first-load budget
// (scripts/size.sh) counts what a visitor downloads. Deliberately conservative: it never
// touches the inside of strings, and leaves spaces that can matter (around `:`, `+`, `-`,
// `>`, inside functions such as calc()) alone, removing only those next to `{`, `}`, `;`
// and `,`.
//
//   node scripts/minify-css.mjs dist/*.css

import { readFileSync, writeFileSync } from 'node:fs';

export function minify(css) {
  let out = '';
  let i = 0;
  const last = () => out[out.length - 1];
  while (i < css.length) {
    const c = css[i];
    if (c === '/' && css[i + 1] === '*') {
      // A comment counts as whitespace.
      const end = css.indexOf('*/', i + 2);
      i = end < 0 ? css.length : end + 2;
      if (out && last() !== ' ' && !'{};,'.includes(last())) out += ' ';
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < css.length && css[j] !== c) j += css[j] === '\\' ? 2 : 1;
      out += css.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (/\s/.test(c)) {
      if (out && last() !== ' ' && !'{};,'.includes(last())) out += ' ';
    } else if ('{};,'.includes(c)) {
      if (last() === ' ') out = out.slice(0, -1);
      if (c === '}' && last() === ';') out = out.slice(0, -1);
      out += c;
    } else {
      out += c;
    }
    i += 1;
  }
  return out.trim() + '\n';
}

if (process.argv[1] && process.argv[1].endsWith('minify-css.mjs')) {
  for (const file of process.argv.slice(2)) {
    const before = readFileSync(file, 'utf8');
    const after = minify(before);
    writeFileSync(file, after);
    console.log(`    ${file}: ${before.length} -> ${after.length} bytes`);
  }
}
