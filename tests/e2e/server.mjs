// A tiny static file server for the end-to-end tests: serves a directory
// (dist/ by default) on 127.0.0.1 at a free port, with the MIME types a
// trunk build needs (.wasm must be application/wasm for streaming compilation).
//
//   import { startServer } from './server.mjs';
//   const server = await startServer({ root: 'dist' });  // server.url = 'http://127.0.0.1:PORT'
//   server.stall(); server.resume();  // hold every request unanswered, then answer them
//   await server.close();
//
// Also usable by hand: `node tests/e2e/server.mjs [dir] [port]`.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const defaultRoot = path.join(repoRoot, 'dist');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

export function mimeType(file) {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

async function fileAt(p) {
  try {
    const s = await stat(p);
    return s.isFile() ? s : null;
  } catch {
    return null;
  }
}

/**
 * Start serving `root` on `host`:`port` (port 0 = any free port).
 * Resolves to { url, port, close(), stall(), resume(), requests } once listening;
 * `requests` records "METHOD /path STATUS" for debugging. Between stall() and resume()
 * requests wait unanswered: a network that does not answer.
 */
export async function startServer({ root = defaultRoot, host = '127.0.0.1', port = 0 } = {}) {
  const absRoot = path.resolve(root);
  const requests = [];
  let stalled = null; // while stalled: a promise that resume() resolves
  let resume = () => {};

  const server = createServer(async (req, res) => {
    const done = (status) => requests.push(`${req.method} ${req.url} ${status}`);
    if (stalled) await stalled;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return done(405);
      }
      const { pathname } = new URL(req.url, 'http://localhost');
      let rel = decodeURIComponent(pathname);
      if (rel.endsWith('/')) rel += 'index.html';
      const file = path.resolve(absRoot, '.' + path.posix.normalize('/' + rel));
      if (file !== absRoot && !file.startsWith(absRoot + path.sep)) {
        res.writeHead(403).end();
        return done(403);
      }
      const s = await fileAt(file);
      if (!s) {
        // No favicon in the build is fine: answer without an error in the console.
        const status = pathname === '/favicon.ico' ? 204 : 404;
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(
          status === 404 ? 'not found\n' : undefined,
        );
        return done(status);
      }
      res.writeHead(200, {
        'Content-Type': mimeType(file),
        'Content-Length': s.size,
        'Cache-Control': 'no-store',
      });
      if (req.method === 'HEAD') {
        res.end();
      } else {
        createReadStream(file).pipe(res);
      }
      done(200);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500);
      res.end();
      done(`500 ${err}`);
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;

  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    requests,
    stall: () => {
      stalled ??= new Promise((resolve) => {
        resume = resolve;
      });
    },
    resume: () => {
      stalled = null;
      resume();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// `node tests/e2e/server.mjs [dir] [port]`
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = process.argv[2] ?? defaultRoot;
  const port = Number(process.argv[3] ?? 0);
  const server = await startServer({ root, port });
  console.log(`serving ${path.resolve(root)} on ${server.url}/`);
}
