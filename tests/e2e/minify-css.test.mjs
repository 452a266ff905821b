// The release build's CSS minifier (scripts/minify-css.mjs) keeps what matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minify } from '../../scripts/minify-css.mjs';

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
