// The release build's CSS minifier (scripts/minify-css.mjs) keeps what matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, minify } from '../../scripts/minify-css.mjs';

test('comments and spaces go, strings and meaningful spaces stay', () => {
  const cases = [
    ['/* c */ a { color: red; }', 'a{color: red}'],
    ['a > b, c  :hover { x: y }', 'a > b,c :hover{x: y}'],
    ['p { content: "a  /* not */  b"; }', 'p{content: "a  /* not */  b"}'],
    [".q { content: 'it\\'s  }'; }", ".q{content: 'it\\'s  }'}"],
    ['.x { width: calc(100% - 2px) }', '.x{width: calc(100% - 2px)}'],
    ['@media (width >= 40em) {\n  .y { margin: 0 auto; }\n}', '@media (width >= 40em){.y{margin: 0 auto}}'],
    ['a{}\n\n\n/* end */', 'a{}'],
  ];
  for (const [css, want] of cases) {
    assert.equal(minify(css), want + '\n', css);
  }
});

test('the page\'s stylesheets become one, in the order it links them', () => {
  const files = { 'app-1.css': 'a{x: 1}\n', 'diagram-2.css': 'b{y: 2}\n', 'seq-3.css': 'a{x: 3}\n' };
  const html = [
    '<head>',
    '<link rel="stylesheet" href="/full/app-1.css"/>',
    '<link rel="stylesheet" href="/full/diagram-2.css"/>',
    '<link rel="stylesheet" href="/full/seq-3.css"/>',
    '<link rel="manifest" href="/manifest.webmanifest" />',
    '</head>',
  ].join('\n');
  const done = join(html, (name) => files[name]);
  // The cascade is the same: a later rule still wins (a{x: 3} after a{x: 1}).
  assert.equal(done.css, 'a{x: 1}\nb{y: 2}\na{x: 3}\n');
  assert.match(done.name, /^style-[0-9a-f]{16}\.css$/);
  assert.deepEqual(done.joined, ['app-1.css', 'diagram-2.css', 'seq-3.css']);
  assert.equal(
    done.page,
    `<head>\n<link rel="stylesheet" href="/full/${done.name}"/>\n<link rel="manifest" href="/manifest.webmanifest" />\n</head>`,
  );
  // The name follows the content: a changed rule is a new file, never a stale cached one.
  const other = join(html, (name) => (name === 'seq-3.css' ? 'a{x: 4}\n' : files[name]));
  assert.notEqual(other.name, done.name);
  // One stylesheet: nothing to join.
  assert.equal(join('<link rel="stylesheet" href="/app-1.css"/>', (n) => files[n]), null);
});
