/**
 * The page in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): upload,
 * prompts, both sliders, the rendered overlay, labels and scores. Saves test/artifacts/web-page.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../dist/server/create-server.js';
import { blocksImage, png } from './support/images.js';
import { makePackage } from './support/packages.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`${CHROMIUM} is absent (apt-get install chromium): the browser test is skipped`);

describe.skipIf(!haveChromium)('web page in headless Chromium', () => {
  let server: Awaited<ReturnType<typeof createServer>>;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    server = await createServer({ models: await makePackage('stretch'), host: '127.0.0.1', port: 0 });
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

    const rgb = blocksImage(160, 120, [40, 40, 40], [
      { x: 16, y: 16, w: 64, h: 48, rgb: [224, 60, 32] },
      { x: 96, y: 56, w: 48, h: 48, rgb: [32, 96, 224] },
    ]);
    await page.setInputFiles('#image', { name: 'shapes.png', mimeType: 'image/png', buffer: await png(rgb, 160, 120) });
    await page.fill('#prompt', 'red box, blue square');
    await expect.poll(() => page.locator('#masks li').count()).toBe(2);
    const labels = await page.locator('#masks li .label').allTextContents();
    expect(labels[0]).toMatch(/^red box — \d\.\d\d/);
    expect(labels[1]).toMatch(/^blue square — \d\.\d\d/);

    // The canvas shows the image with masks blended in: some pixels differ from the upload.
    const changed = await page.evaluate(() => {
      const canvas = document.getElementById('canvas') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (!(data[i] === 40 && data[i + 1] === 40 && data[i + 2] === 40) && !(data[i] === 224 && data[i + 1] === 60) && !(data[i] === 32 && data[i + 1] === 96)) n++;
      return { n, width: canvas.width, height: canvas.height };
    });
    expect([changed.width, changed.height]).toEqual([160, 120]);
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

    // Clicking a region names it (or says none is there).
    await page.locator('#canvas').click({ position: { x: 40, y: 30 } });
    expect(await page.locator('#selection').textContent()).toMatch(/score|No mask/);

    mkdirSync(path.resolve(__dirname, 'artifacts'), { recursive: true });
    await page.screenshot({ path: path.resolve(__dirname, 'artifacts', 'web-page.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
