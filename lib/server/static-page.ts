import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The page's files, by URL path. A fixed table: no request path is ever joined onto a folder. */
const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/clicks.js': { file: 'clicks.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  // Browsers ask for /favicon.ico unprompted; an SVG answers both names.
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  '/favicon.ico': { file: 'favicon.svg', type: 'image/svg+xml' },
};

// dist/server/static-page.js → <package>/web
const WEB_DIR = path.resolve(__dirname, '..', '..', 'web');

export const PAGE_PATHS = Object.keys(PAGE_FILES);

/** Serves one of the page's files (read on each request so an edited page shows without a restart). */
export async function servePage(_ctx: unknown, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
  const entry = PAGE_FILES[pathname]!;
  const body = await readFile(path.join(WEB_DIR, entry.file));
  res.writeHead(200, {
    'content-type': entry.type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
