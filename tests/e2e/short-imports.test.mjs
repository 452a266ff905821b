// The release build's import renamer (scripts/short-imports.mjs) renames the wasm's
// imports and the glue's keys alike, and refuses what it cannot rename safely.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shortenImports } from '../../scripts/short-imports.mjs';

const name = (s) => [s.length, ...Buffer.from(s)];

// A module importing two functions of type () -> () and a memory from "./app_bg.js",
// exporting nothing.
function module(fields) {
  const types = [0x01, 0x04, 0x01, 0x60, 0x00, 0x00];
  const imports = [
    fields.length + 1,
    ...fields.flatMap((f) => [...name('./app_bg.js'), ...name(f), 0x00, 0x00]),
    ...name('./app_bg.js'), ...name('memory'), 0x02, 0x01, 0x01, 0x02,
  ];
  return Buffer.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...types,
    0x02, imports.length, ...imports,
  ]);
}

const glue = `const import0 = {
    __proto__: null,
    __wbg_log_0123456789abcdef: function(a) { console.log(a); },
    __wbg_now_fedcba9876543210: function() { return Date.now(); },
    memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }),
};`;

test('imports and keys get the same short names', () => {
  const wasm = module(['__wbg_log_0123456789abcdef', '__wbg_now_fedcba9876543210']);
  const out = shortenImports(wasm, glue);
  assert.equal(out.count, 3);
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(out.wasm));
  assert.deepEqual(imports.map((i) => [i.module, i.name, i.kind]), [
    ['./app_bg.js', 'a', 'function'],
    ['./app_bg.js', 'b', 'function'],
    ['./app_bg.js', 'c', 'memory'],
  ]);
  assert.match(out.js, /\ba: function\(a\)/);
  assert.match(out.js, /\bb: function\(\)/);
  assert.match(out.js, /\bc: new WebAssembly\.Memory/);
  assert.doesNotMatch(out.js, /__wbg_/);
});

test('a name the glue does not have once, as a key, stops the build', () => {
  assert.throws(() => shortenImports(module(['__wbg_gone_0000000000000000']), glue), /expected once/);
  const twice = glue + '\n// __wbg_log_0123456789abcdef';
  assert.throws(() => shortenImports(module(['__wbg_log_0123456789abcdef']), twice), /found 2 times/);
});
