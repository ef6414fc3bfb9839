/**
 * The page in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) on the trained
 * demo package (models/shapes-demo): upload a coloured-shapes image, ask for "red circle, blue square",
 * move both sliders, click the red circle and get it named. Saves test/artifacts/web-page.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../dist/server/create-server.js';
import { demoScene } from '../scripts/fixtures/shapes-image.js';
import { png } from './support/images.js';

const DEMO_MODELS = path.resolve(__dirname, '..', 'models', 'shapes-demo');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`${CHROMIUM} is absent (apt-get install chromium): the browser test is skipped`);

/** A server on the demo package and a Chromium, for one describe block. */
function demoPage() {
  const ctx = {} as { server: ReturnType<typeof createServer>; browser: Browser; url: string };
  beforeAll(async () => {
    ctx.server = createServer({ models: DEMO_MODELS, host: '127.0.0.1', port: 0 });
    const { port } = await ctx.server.listen();
    ctx.url = `http://127.0.0.1:${port}/`;
    ctx.browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await ctx.browser?.close();
    await ctx.server?.close();
  });
  return ctx;
}

describe.skipIf(!haveChromium)('web page in headless Chromium', () => {
  const ctx = demoPage();

  it('uploads, segments, reacts to both sliders without re-encoding, and draws the overlay', async () => {
    const page = await ctx.browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(ctx.url);
    await page.locator('#status', { hasText: 'Ready' }).waitFor();

    const img = demoScene(); // red circle, blue square and another red shape
    const { width, height } = img;
    await page.setInputFiles('#image', { name: 'shapes.png', mimeType: 'image/png', buffer: await png(img.rgb, width, height) });
    await page.fill('#prompt', 'red circle, blue square');
    await expect.poll(() => page.locator('#masks li').count()).toBe(2);
    const labels = await page.locator('#masks li .label').allTextContents();
    expect(labels[0]).toMatch(/^red circle — \d\.\d\d/);
    expect(labels[1]).toMatch(/^blue square — \d\.\d\d/);

    // The canvas shows the image with masks blended in: pixels of the shapes differ from the upload.
    const changed = await page.evaluate(([rgb, w, h]) => {
      const canvas = document.getElementById('canvas') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < w * h; i++)
        if (Math.abs(data[i * 4]! - rgb[i * 3]!) + Math.abs(data[i * 4 + 1]! - rgb[i * 3 + 1]!) + Math.abs(data[i * 4 + 2]! - rgb[i * 3 + 2]!) > 30) n++;
      return { n, width: canvas.width, height: canvas.height };
    }, [Array.from(img.rgb), width, height] as const);
    expect([changed.width, changed.height]).toEqual([width, height]);
    expect(changed.n).toBeGreaterThan(0);

    const encoderRuns = ctx.server.segmenter.stats().runs.image_encoder.runs;
    const before = await page.locator('#timings').textContent();
    for (const [id, value] of [['threshold', '0.85'], ['smoothness', '5']] as const) {
      await page.locator(`#${id}`).evaluate((el, v) => {
        (el as HTMLInputElement).value = v;
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }, value);
    }
    await expect.poll(() => page.locator('#timings').textContent()).not.toBe(before);
    await expect.poll(() => page.locator('#timings').textContent()).toMatch(/embedding cached/);
    expect(await page.locator('#threshold-value').textContent()).toBe('0.85');
    expect(await page.locator('#smoothness-value').textContent()).toBe('5');
    expect(ctx.server.segmenter.stats().runs.image_encoder.runs).toBe(encoderRuns);

    // Clicking inside the red circle names it; clicking the background finds no mask.
    const circle = img.instances.find((o) => o.category === 'red circle')!.mask;
    const box = (await page.locator('#canvas').boundingBox())!;
    const at = (i: number) => ({ x: (((i % width) + 0.5) / width) * box.width, y: ((Math.floor(i / width) + 0.5) / height) * box.height });
    const inside = deepestPixel(circle, width, height);
    await page.locator('#canvas').click({ position: at(inside) });
    expect(await page.locator('#selection').textContent()).toMatch(/^red circle: score/);
    const covered = new Uint8Array(width * height);
    for (const o of img.instances) for (let i = 0; i < covered.length; i++) covered[i]! |= o.mask[i]!;
    await page.locator('#canvas').click({ position: at(deepestPixel(Uint8Array.from(covered, (v) => 1 - v), width, height)) });
    expect(await page.locator('#selection').textContent()).toBe('No mask here.');

    // The click's answer goes stale as soon as the masks can change.
    await page.locator('#threshold').evaluate((el) => {
      (el as HTMLInputElement).value = '0.5';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(await page.locator('#selection').textContent()).toBe('');

    mkdirSync(path.resolve(__dirname, 'artifacts'), { recursive: true });
    await page.screenshot({ path: path.resolve(__dirname, 'artifacts', 'web-page.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(!haveChromium)('web page details a new user meets', () => {
  const ctx = demoPage();

  it('scales a small image to the page, keeps labels inside and apart, outlines masks, hides masks below the threshold', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const failed: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(ctx.url);
    await page.locator('#status', { hasText: 'Ready' }).waitFor();
    const img = demoScene();
    await page.setInputFiles('#image', { name: 'shapes.png', mimeType: 'image/png', buffer: await png(img.rgb, img.width, img.height) });
    await page.fill('#prompt', 'red circle, blue square, green triangle, red square');
    await expect.poll(() => page.locator('#masks li').count()).toBe(4);

    // A 128-px image fills the column instead of sitting at its natural size.
    const box = (await page.locator('#canvas').boundingBox())!;
    expect(box.width).toBeGreaterThan(img.width * 3);
    expect(Math.abs(box.width / box.height - img.width / img.height)).toBeLessThan(0.02);

    // Labels: one per mask above the threshold, inside the image, none over another.
    const view = await page.evaluate(() => {
      const st = (0, eval)('state') as { results: { prompt: string; passedThreshold: boolean }[]; visible: boolean[] };
      const canvas = document.getElementById('canvas')!.getBoundingClientRect();
      const labels = [...document.querySelectorAll<HTMLElement>('#labels span')].map((l) => {
        const r = l.getBoundingClientRect();
        return { prompt: l.dataset.prompt!, x: r.x, y: r.y, w: r.width, h: r.height };
      });
      const below = [...document.querySelectorAll<HTMLElement>('#masks li.below')].map((li) => li.dataset.prompt);
      return { canvas: { x: canvas.x, y: canvas.y, w: canvas.width, h: canvas.height }, labels, results: st.results, visible: st.visible, below };
    });
    const passed = view.results.filter((r) => r.passedThreshold).map((r) => r.prompt);
    expect(passed).toContain('red circle');
    expect(view.labels.map((l) => l.prompt).sort()).toEqual([...passed].sort());
    for (const l of view.labels) {
      expect(l.x).toBeGreaterThanOrEqual(view.canvas.x - 0.5);
      expect(l.y).toBeGreaterThanOrEqual(view.canvas.y - 0.5);
      expect(l.x + l.w).toBeLessThanOrEqual(view.canvas.x + view.canvas.w + 0.5);
      expect(l.y + l.h).toBeLessThanOrEqual(view.canvas.y + view.canvas.h + 0.5);
    }
    for (const [i, a] of view.labels.entries())
      for (const b of view.labels.slice(i + 1))
        expect(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h, `${a.prompt} over ${b.prompt}`).toBe(false);
    // Below the threshold: listed and greyed, not drawn, not labelled.
    const belowPrompts = view.results.filter((r) => !r.passedThreshold).map((r) => r.prompt);
    expect(belowPrompts.length).toBeGreaterThan(0);
    expect(view.below).toEqual(belowPrompts);
    view.results.forEach((r, i) => expect(view.visible[i]).toBe(r.passedThreshold));

    // The red circle's mask over the red circle: the ring just outside the mask is drawn black or white.
    const ring = await page.evaluate(() => {
      const st = (0, eval)('state') as { masks: { width: number; height: number; data: Uint8Array }[] };
      const m = st.masks[0]!;
      const canvas = document.getElementById('canvas') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, m.width, m.height).data;
      let n = 0;
      let edge = 0;
      for (let y = 1; y < m.height - 1; y++)
        for (let x = 1; x < m.width - 1; x++) {
          const p = y * m.width + x;
          if (m.data[p] || !(m.data[p - 1] || m.data[p + 1] || m.data[p - m.width] || m.data[p + m.width])) continue;
          n++;
          const [r, g, b] = [data[p * 4], data[p * 4 + 1], data[p * 4 + 2]];
          if ((r === 0 && g === 0 && b === 0) || (r === 255 && g === 255 && b === 255)) edge++;
        }
      return { n, edge };
    });
    expect(ring.n).toBeGreaterThan(20);
    // Where another mask's ring or fill lies over it the colour differs; nearly all of it is the edge line.
    expect(ring.edge / ring.n).toBeGreaterThan(0.9);
    expect(failed).toEqual([]);
    const favicon = await page.request.get(`${ctx.url}favicon.ico`);
    expect(favicon.status()).toBe(200);
    expect(favicon.headers()['content-type']).toBe('image/svg+xml');
  });

  it("names an undecodable upload by the server's code, and a newer upload wins over an older one", async () => {
    const page = await ctx.browser.newPage();
    await page.goto(ctx.url);
    await page.locator('#status', { hasText: 'Ready' }).waitFor();
    const junk = Buffer.from('this is not an image, whatever its name says');
    await page.setInputFiles('#image', { name: 'photo.png', mimeType: 'image/png', buffer: junk });
    await expect.poll(() => page.locator('#error').textContent()).toMatch(/^E_IMAGE_DECODE: /);
    expect(await page.locator('#error').textContent()).not.toMatch(/source image could not be decoded/);

    // The junk upload is answered late; the good one that followed it must not show its error.
    let first = true;
    await page.route('**/api/embed', async (route) => {
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, 800));
      }
      await route.continue();
    });
    const img = demoScene();
    await page.setInputFiles('#image', { name: 'photo.png', mimeType: 'image/png', buffer: junk });
    await page.setInputFiles('#image', { name: 'shapes.png', mimeType: 'image/png', buffer: await png(img.rgb, img.width, img.height) });
    await expect.poll(() => page.evaluate(() => (document.getElementById('canvas') as HTMLCanvasElement).width)).toBe(img.width);
    await new Promise((r) => setTimeout(r, 1200));
    expect(await page.locator('#error').isHidden()).toBe(true);
  });
});

/** The pixel of a 0/1 mask farthest (in chessboard distance) from its outside: a safe place to click. */
function deepestPixel(mask: Uint8Array, width: number, height: number): number {
  let best = -1;
  let bestDepth = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      let d = 0;
      grow: for (d = 1; d < Math.max(width, height); d++)
        for (let dy = -d; dy <= d; dy++)
          for (let dx = -d; dx <= d; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || xx < 0 || yy >= height || xx >= width || !mask[yy * width + xx]) break grow;
          }
      if (d > bestDepth) [best, bestDepth] = [y * width + x, d];
    }
  return best;
}
