// Checks the end-to-end harness itself, independent of the app: the static
// server (MIME types, 404s, no path traversal) and launching Debian's Chromium
// through playwright-core, with a page that streams and runs a tiny wasm module.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'node:http';
import { startServer } from './server.mjs';
import { launchBrowser, isolatedContext } from './browser.mjs';

// (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))
const ADD_WASM = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00,
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
]);

const INDEX = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>harness</title></head>
<body><main data-testid="player" data-cursor="0">loading</main>
<script type="module">
  const { instance } = await WebAssembly.instantiateStreaming(fetch('add.wasm'));
  const main = document.querySelector('main');
  main.textContent = 'added';
  main.dataset.cursor = String(instance.exports.add(2, 3));
</script></body></html>
`;

let dir;
let server;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mailroom-harness-'));
  await writeFile(path.join(dir, 'index.html'), INDEX);
  await writeFile(path.join(dir, 'add.wasm'), ADD_WASM);
  server = await startServer({ root: dir });
});

after(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function head(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'HEAD' }, (res) => {
      res.resume();
      resolve({ status: res.statusCode, type: res.headers['content-type'] });
    });
    req.on('error', reject);
    req.end();
  });
}

test('static server: MIME types, 404, no escaping the root', async () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(await head(`${server.url}/add.wasm`), { status: 200, type: 'application/wasm' });
  assert.deepEqual(await head(`${server.url}/`), { status: 200, type: 'text/html; charset=utf-8' });
  assert.equal((await head(`${server.url}/missing.js`)).status, 404);
  assert.equal((await head(`${server.url}/favicon.ico`)).status, 204);
  assert.notEqual((await head(`${server.url}/..%2f..%2fetc%2fpasswd`)).status, 200);
});

test('headless Chromium loads a page that streams a wasm module', { timeout: 60_000 }, async () => {
  const browser = await launchBrowser();
  try {
    const { context, offsite, errors } = await isolatedContext(browser, server.url);
    const page = await context.newPage();
    await page.goto(`${server.url}/#/lesson/x/step/0`);
    await page.waitForFunction(() => document.querySelector('main')?.dataset.cursor === '5', null, { timeout: 15_000 });
    assert.equal(await page.locator('main[data-testid=player]').textContent(), 'added');
    assert.equal(await page.evaluate(() => location.hash), '#/lesson/x/step/0');
    assert.deepEqual(errors, []);
    assert.deepEqual(offsite, []);
    // Off-site requests are blocked and recorded (the app must work offline).
    const outcome = await page.evaluate(() => fetch('http://192.0.2.1/beacon').then(() => 'reached', () => 'blocked'));
    assert.equal(outcome, 'blocked');
    assert.deepEqual(offsite, ['http://192.0.2.1/beacon']);
    await context.close();
  } finally {
    await browser.close();
  }
});
