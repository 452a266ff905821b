// Mailroom's service worker: after one visit, the app and its lessons work offline.
//
// This is a template: scripts/build.sh runs scripts/make-sw.mjs, which writes dist/sw.js with
// the three constants below filled in from the files of the release build. Its scope is the
// site's root, so it serves both builds: the lite app (/) and the full app with IMAP (/full/).
//
//   the lite app     precached at install: its page, js, wasm and css, the manifest and the
//                    icon, every lesson (a few KB each), and the full app's page (1.5 KB)
//   the full app     its js, wasm and css cached the first time an IMAP lesson is opened, not
//                    at install: about 400 KB gzip more, for a few lessons, on networks that
//                    pay for every byte
//   pages            network first (TIMEOUT_MS), else the precached page: when online, the
//                    site's newest version shows at once
//   lessons          network first (TIMEOUT_MS), else the cached copy: a teacher's edit shows
//                    when online and is kept for offline; the same for the guide to writing them
//                    (full/guide.html), once read
//   hashed files     cache first: a changed file has a new name
//
// Updates: the browser fetches sw.js at every visit. A new version (VERSION is a hash of every
// file of the build) precaches itself in the background, then takes over at once
// (skipWaiting + clients.claim) and deletes the old version's caches; the page then says
// "Mailroom was updated." (web/offline.js). Taking over at once is safe here: an open page
// read its js, wasm and css when it loaded, and what it fetches later is a lesson (network
// first in any version: online, already the newest) or a whole page, which brings its files
// with it. Waiting instead would hold the new version back until every Mailroom tab is
// closed (a reload is not enough): in a classroom where a tab stays open, for days.

const VERSION = 'development';
/** The lite app and every lesson, relative to this file: precached at install. */
const APP = [];
/** The full app's hashed files (full/...): cached when first fetched. */
const FULL = [];

/** How long a page or a lesson waits for the network before the cached copy is used. */
const TIMEOUT_MS = 3000;
const APP_CACHE = `mailroom-${VERSION}`;
/** Unversioned: the full app's files are named by their contents, and a new version keeps
 * the ones it still uses (see `activate`): an update of the lessons alone downloads no wasm. */
const FULL_CACHE = 'mailroom-full';
/** Where the site is, '/': the paths in APP and FULL are relative to it. */
const ROOT = new URL('./', self.location).pathname;

self.addEventListener('install', (event) => {
  // 'no-cache': revalidate with the server (a 304 when the page has just downloaded it), so
  // that an unhashed file (a page, a lesson) is never a stale copy from the HTTP cache.
  const requests = APP.map((path) => new Request(path, { cache: 'no-cache' }));
  event.waitUntil(caches.open(APP_CACHE).then((cache) => cache.addAll(requests)));
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('mailroom-') && name !== APP_CACHE && name !== FULL_CACHE) await caches.delete(name);
      }
      const full = await caches.open(FULL_CACHE);
      for (const request of await full.keys()) {
        if (!FULL.includes(pathOf(request.url))) await full.delete(request);
      }
      await self.clients.claim();
    })(),
  );
});

// The page asks which version serves it, to say when it changed (web/offline.js).
self.addEventListener('message', (event) => {
  if (event.data === 'version') event.source?.postMessage(VERSION);
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  const path = pathOf(url);
  if (request.mode === 'navigate') {
    if (path === '' || path === 'index.html') event.respondWith(litePage(event));
    else if (path === 'full/' || path === 'full/index.html') event.respondWith(fullPage(event));
    // The guide for lesson writers: as a lesson, the newest when online, else the copy kept.
    else if (path === 'full/guide.html') event.respondWith(lessonFile(event, path));
    return;
  }
  // Both builds copy the same lessons/ folder (make-sw.mjs checks): one cached copy serves both.
  const lesson = /^(?:full\/)?(lessons\/[\w.-]+\.md)$/.exec(path);
  if (lesson) event.respondWith(lessonFile(event, lesson[1]));
  else if (APP.includes(path)) event.respondWith(cacheFirst(event));
  else if (FULL.includes(path)) event.respondWith(cacheFirst(event, FULL_CACHE));
  // Anything else (a newer build's files, before its sw.js is installed): the network, as
  // without a service worker.
});

function pathOf(url) {
  return new URL(url).pathname.slice(ROOT.length);
}

/**
 * The network's answer if a good one comes within TIMEOUT_MS (kept in the cache under `key`
 * when `key` is given), else `fallback()`'s, else the network's whenever it comes.
 */
async function networkFirst(event, fallback, key) {
  const network = fetch(event.request);
  // First in line on `network`, so the copy is taken before the page starts reading the body:
  // cloned before anything is awaited (a page's navigation reads its body at once, and
  // `put(key, response.clone())` after `await caches.open(...)` found it already used).
  const kept = network.then(async (response) => {
    if (!key || !response.ok) return;
    const copy = response.clone();
    await (await caches.open(APP_CACHE)).put(key, copy);
  });
  event.waitUntil(kept.catch(() => {}));
  const timeout = new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS));
  const response = await Promise.race([network, timeout]).catch(() => undefined);
  if (response?.ok) return response;
  return (await fallback()) ?? network;
}

/** The lite app's page. Not stored: the precached page names the precached files. */
function litePage(event) {
  return networkFirst(event, () => caches.match('./'));
}

/**
 * The full app's page. Offline, the precached one if the full app's files are cached too;
 * if they are not, the network whenever it answers, and without a network a page that says
 * what is missing (rather than a page that cannot start).
 */
async function fullPage(event) {
  const cachedPage = async () => {
    const cache = await caches.open(FULL_CACHE);
    const files = await Promise.all(FULL.map((path) => cache.match(path)));
    return files.every(Boolean) ? caches.match('full/') : undefined;
  };
  try {
    return await networkFirst(event, cachedPage);
  } catch {
    return new Response(FULL_MISSING, { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } });
  }
}

function lessonFile(event, key) {
  return networkFirst(event, () => caches.match(key), key);
}

/** The cached file, else the network's (then kept in `cacheName`, if given). */
async function cacheFirst(event, cacheName) {
  const cached = await caches.match(event.request);
  if (cached) return cached;
  const response = await fetch(event.request);
  if (cacheName && response.ok) {
    const copy = response.clone();
    event.waitUntil(caches.open(cacheName).then((cache) => cache.put(event.request, copy)));
  }
  return response;
}

const FULL_MISSING = `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mailroom: offline</title>
<body style="font: 1.1rem/1.5 system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem">
<h1>This lesson is not on this device yet</h1>
<p>The IMAP lessons use a larger version of Mailroom, which is downloaded the first time one of them is opened.
Open an IMAP lesson once while connected; after that they work offline too.</p>
<p><a href="../">Back to the other lessons</a></p>
</body></html>
`;
