// The guide for lesson writers as a page (scripts/guide.mjs): lessons/README.md rendered at
// build time, its own links kept working, and no way for raw HTML to slip through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { page, render, slugger } from '../../scripts/guide.mjs';

test('headings get GitHub\'s ids, repeats numbered', () => {
  const slug = slugger();
  const cases = [
    ['Narration: the Markdown you can use', 'narration-the-markdown-you-can-use'],
    ['1. A bounce (beginner)', '1-a-bounce-beginner'],
    ['Who sent it: SPF, DKIM and DMARC', 'who-sent-it-spf-dkim-and-dmarc'],
    ['No such user', 'no-such-user'],
    ['No such user', 'no-such-user-1'],
    ['Bob\'s provider takes it', 'bobs-provider-takes-it'],
  ];
  for (const [text, id] of cases) assert.equal(slug(text), id, text);
});

test('the guide renders: every table, every code block, every link to its own headings', () => {
  const markdown = readFileSync(new URL('../../lessons/README.md', import.meta.url), 'utf8');
  const html = page(render(markdown));
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<title>Writing a lesson · Mailroom<\/title>/);
  assert.match(html, /<h1 id="writing-a-lesson">Writing a lesson<\/h1>/);
  const tables = markdown.split('\n').filter((l) => /^\|\s*-/.test(l)).length;
  assert.ok(tables > 5, 'the guide has tables');
  assert.equal(html.match(/<table>/g)?.length, tables, 'each table is a <table>');
  assert.ok(html.match(/<pre>/g)?.length > 10, 'the examples are code blocks');
  const prose = html.replace(/<pre>[^]*?<\/pre>/g, '').replace(/<code>[^]*?<\/code>/g, '');
  assert.ok(!/```|~~~/.test(prose), 'no fence is left as text outside the code');
  assert.ok(!/\n\|/.test(prose), 'no table row is left as text');
  assert.ok(html.includes('href="#front-matter"') && html.includes('id="front-matter"'));
  assert.ok(!/<script/i.test(html), 'no script in the page');
});

test('a link to a missing heading or raw HTML fails the build', () => {
  assert.throws(() => render('# A\n\nSee [B](#b).\n'), /links to headings it does not have: #b/);
  assert.throws(() => render('# A\n\n<script>alert(1)</script>\n'), /raw HTML/);
  assert.throws(() => render('# A\n\nText <b>bold</b>.\n'), /raw HTML/);
  assert.doesNotThrow(() => render('# A\n\nSee [A](#a), `<b>` and\n\n    <b>code</b>\n'));
});
