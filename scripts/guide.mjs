// The lesson writers' guide as a web page: lessons/README.md → <dir>/guide.html.
//
//   node scripts/guide.mjs DIR          (trunk's post_build hook passes its staging folder)
//
// "Your lessons" (the full build) links it: a teacher reads formatted text, tables and
// examples, not the raw Markdown. The guide is the project's own text, not a teacher's:
// marked (GFM, so its tables too) renders it at build time, and no script runs in the page.
// Headings get GitHub's ids, so the guide's own links (`#front-matter`) work here as they
// do on GitHub; the build fails when one of them names no heading, or when the guide holds
// raw HTML (it would pass through as markup).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marked } from 'marked';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** GitHub's heading id: lower case, punctuation dropped, spaces to hyphens; repeats numbered. */
export function slugger() {
  const seen = new Map();
  return (text) => {
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  };
}

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The guide's Markdown as the body of the page; throws on a link to a missing heading or raw HTML. */
export function render(markdown) {
  const slug = slugger();
  const ids = new Set();
  const marked = new Marked({ gfm: true });
  const raw = [];
  marked.use({
    walkTokens(token) {
      if (token.type === 'html') raw.push(token.raw.trim());
    },
    renderer: {
      heading({ tokens, depth, text }) {
        // The id from the heading's words as shown (code spans and emphasis without their marks).
        const plain = text.replace(/[`*_]/g, '');
        const id = slug(plain);
        ids.add(id);
        return `<h${depth} id="${escape(id)}">${this.parser.parseInline(tokens)}</h${depth}>\n`;
      },
    },
  });
  const html = marked.parse(markdown);
  if (raw.length > 0) throw new Error(`the guide holds raw HTML, which would show as markup: ${raw[0]}`);
  const missing = [...html.matchAll(/href="#([^"]*)"/g)].map((m) => m[1]).filter((id) => !ids.has(id));
  if (missing.length > 0) throw new Error(`the guide links to headings it does not have: #${missing.join(', #')}`);
  return html;
}

/** The app's icon, as index.html gives it (a data: URL). */
function icon() {
  const link = /<link rel="icon"[^>]*>/.exec(readFileSync(join(root, 'index.html'), 'utf8'));
  return link ? link[0].replace(/\s*\/>$/, '>') : '';
}

/** The whole page: the app's colours, light or dark, large enough to read at a projector. */
export function page(body) {
  const title = /<h1[^>]*>(.*?)<\/h1>/s.exec(body)?.[1].replace(/<[^>]*>/g, '') ?? 'Writing a lesson';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Mailroom</title>
${icon()}
<style>
:root { --bg: #eef1f5; --panel: #fff; --ink: #18202b; --muted: #4a5565; --line: #d3d9e2; --soft: #eef2f8; --accent: #1d4ed8; --focus: #c2410c;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", "DejaVu Sans", sans-serif;
  --mono: ui-monospace, "SFMono-Regular", "Cascadia Mono", "Consolas", "Liberation Mono", "DejaVu Sans Mono", monospace; }
@media screen and (prefers-color-scheme: dark) {
  :root { --bg: #0e1318; --panel: #1a2029; --ink: #e7ecf3; --muted: #a7b2c1; --line: #343d4b; --soft: #252d39; --accent: #86a8ff; --focus: #fde047; }
}
html { font-size: 106.25%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 1rem/1.55 var(--sans); }
nav { max-width: 56rem; margin: 0 auto; padding: 1rem 1.5rem 0; }
main { max-width: 56rem; margin: 0.5rem auto 3rem; padding: 1.5rem 2.5rem 2rem; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; }
a { color: var(--accent); }
a:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.5rem; margin: 2.2rem 0 0.6rem; padding-top: 0.4rem; border-top: 1px solid var(--line); }
h3 { font-size: 1.2rem; margin: 1.8rem 0 0.5rem; }
h4 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
code { font-family: var(--mono); font-size: 0.9em; background: var(--soft); padding: 0.1em 0.3em; border-radius: 4px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 0.8rem 1rem; overflow-x: auto; line-height: 1.4; }
pre code { background: none; padding: 0; font-size: 0.88rem; }
table { border-collapse: collapse; margin: 1rem 0; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--line); padding: 0.35rem 0.6rem; text-align: left; vertical-align: top; }
td code { white-space: nowrap; }
th { background: var(--soft); }
blockquote { margin: 1rem 0; padding: 0.2rem 1rem; border-left: 4px solid var(--line); color: var(--muted); }
@media (max-width: 700px) { main { padding: 1rem; border-radius: 0; } }
@media print { nav { display: none; } main { border: 0; max-width: none; } body { background: none; } }
</style>
</head>
<body>
<nav><a href="./#/yours">‹ Your lessons</a></nav>
<main>
${body}</main>
</body>
</html>
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? process.env.TRUNK_STAGING_DIR;
  if (!dir) {
    console.error('usage: node scripts/guide.mjs DIR (or TRUNK_STAGING_DIR set)');
    process.exit(2);
  }
  try {
    const out = join(dir, 'guide.html');
    writeFileSync(out, page(render(readFileSync(join(root, 'lessons', 'README.md'), 'utf8'))));
  } catch (e) {
    console.error(`scripts/guide.mjs: ${e.message}`);
    process.exit(1);
  }
}
