// Gives the wasm's imports short names (a, b, ... aa, ab ...) in the wasm and in
// wasm-bindgen's JS glue alike, in place. wasm-bindgen names each import after the JS
// function it calls plus a hash (`__wbg_setAttribute_6c1f54a8f4b54fa8`), some 140 of them,
// written once in the wasm's import section and once as a key of the glue's imports object;
// the hashes do not compress. The first-load budget (scripts/size.sh) counts both files.
//
// Strict: a name that is not exactly once in the glue, as an object key (`name:`), stops
// the build rather than leave a page whose wasm cannot find its functions.
//
//   node scripts/short-imports.mjs dist/app_bg.wasm dist/app.js

import { readFileSync, writeFileSync } from 'node:fs';

/** Reads an unsigned LEB128 number at `pos`: [value, position after it]. */
function leb(buf, pos) {
  let value = 0;
  let scale = 1;
  let byte;
  do {
    byte = buf[pos++];
    value += (byte & 0x7f) * scale;
    scale *= 128;
  } while (byte & 0x80);
  return [value, pos];
}

function lebBytes(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function readName(buf, pos) {
  const [len, start] = leb(buf, pos);
  return [buf.toString('utf8', start, start + len), start + len];
}

function nameBytes(s) {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([lebBytes(b.length), b]);
}

/** The end of an import's description (its kind byte at `pos`). */
function skipDescription(buf, pos) {
  const kind = buf[pos++];
  const limits = (p) => {
    const [flags, q] = leb(buf, p);
    let [, r] = leb(buf, q);
    if (flags & 1) [, r] = leb(buf, r);
    return r;
  };
  switch (kind) {
    case 0: return leb(buf, pos)[1]; // function: type index
    case 1: return limits(pos + 1); // table: reference type, limits
    case 2: return limits(pos); // memory: limits
    case 3: return pos + 2; // global: value type, mutability
    case 4: return leb(buf, pos + 1)[1]; // tag: attribute, type index
    default: throw new Error(`unknown import kind ${kind}`);
  }
}

/** a ... z, A ... Z, then aa, ab ...: the n-th short name. */
function shortName(n) {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let name = '';
  do {
    name = letters[n % letters.length] + name;
    n = Math.floor(n / letters.length) - 1;
  } while (n >= 0);
  return name;
}

/** The wasm with its imports renamed, and the glue with its keys renamed alike. */
export function shortenImports(wasm, js) {
  const parts = [wasm.subarray(0, 8)];
  let pos = 8;
  let n = 0;
  while (pos < wasm.length) {
    const id = wasm[pos];
    const [size, start] = leb(wasm, pos + 1);
    const end = start + size;
    if (id !== 2) {
      parts.push(wasm.subarray(pos, end));
    } else {
      let [count, p] = leb(wasm, start);
      const body = [lebBytes(count)];
      for (; count > 0; count--) {
        const [module, q] = readName(wasm, p);
        const [field, r] = readName(wasm, q);
        const descEnd = skipDescription(wasm, r);
        if (!/^[A-Za-z0-9_]+$/.test(field)) throw new Error(`import ${field}: not a plain name`);
        const short = shortName(n++);
        const key = new RegExp(`\\b${field}\\b`, 'g');
        const found = js.match(key) ?? [];
        if (found.length !== 1 || !new RegExp(`\\b${field}\\s*:`).test(js)) {
          throw new Error(`import ${field}: expected once as a key of the JS glue, found ${found.length} times`);
        }
        js = js.replace(key, short);
        body.push(nameBytes(module), nameBytes(short), wasm.subarray(r, descEnd));
        p = descEnd;
      }
      if (p !== end) throw new Error('import section: unexpected bytes after the imports');
      const section = Buffer.concat(body);
      parts.push(Buffer.from([2]), lebBytes(section.length), section);
    }
    pos = end;
  }
  return { wasm: Buffer.concat(parts), js, count: n };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const [wasmPath, jsPath] = process.argv.slice(2);
  if (!wasmPath || !jsPath) {
    console.error('usage: node scripts/short-imports.mjs APP_bg.wasm APP.js');
    process.exit(2);
  }
  const out = shortenImports(readFileSync(wasmPath), readFileSync(jsPath, 'utf8'));
  writeFileSync(wasmPath, out.wasm);
  writeFileSync(jsPath, out.js);
  console.log(`${wasmPath}: ${out.count} imports renamed`);
}
