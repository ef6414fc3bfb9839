import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../dist/server/create-server.js';
import { makePackage } from './support/packages.js';

describe('the page is served from a fixed table of files', () => {
  let server: Awaited<ReturnType<typeof createServer>>;
  let base: string;
  beforeAll(async () => {
    server = await createServer({ models: await makePackage('stretch'), host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(await server.listen()).port}`;
  });
  afterAll(() => server?.close());

  it.each([
    ['/', 'text/html', '<title>sam3clip'],
    ['/index.html', 'text/html', 'id="threshold"'],
    ['/app.js', 'text/javascript', '/api/segment'],
    ['/clicks.js', 'text/javascript', 'contextmenu'],
    ['/style.css', 'text/css', 'canvas'],
  ])('GET %s', async (p, type, text) => {
    const response = await fetch(base + p);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain(type);
    expect(await response.text()).toContain(text);
  });

  it.each(['/package.json', '/web/app.js', '/..%2fpackage.json', '/%2e%2e/%2e%2e/etc/passwd'])('GET %s → 404 JSON', async (p) => {
    const response = await fetch(base + p);
    expect(response.status).toBe(404);
    expect((await response.json()).error.code).toBe('E_NOT_FOUND');
  });
});
