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

describe.skipIf(!haveChromium)('web page in headless Chromium', () => {
  let server: Awaited<ReturnType<typeof createServer>>;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    server = await createServer({ models: DEMO_MODELS, host: '127.0.0.1', port: 0 });
    const { port } = await server.listen();
    url = `http://127.0.0.1:${port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('uploads, segments, reacts to both sliders without re-encoding, and draws the overlay', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
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

    const encoderRuns = server.segmenter.stats().runs.image_encoder.runs;
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
    expect(server.segmenter.stats().runs.image_encoder.runs).toBe(encoderRuns);

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

    mkdirSync(path.resolve(__dirname, 'artifacts'), { recursive: true });
    await page.screenshot({ path: path.resolve(__dirname, 'artifacts', 'web-page.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
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
