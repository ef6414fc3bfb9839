/**
 * The page in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) on the trained
 * demo package (models/shapes-demo): upload a coloured-shapes image, ask for "red circle, blue square",
 * move both sliders, click the red circle and get it named. Saves test/artifacts/web-page.png.
 * Then on the tiny sam3-concept package (test/fixtures/sam3-concept-tiny), whose several instances per
 * prompt are drawn, labelled, clicked and listed: checked against the JSON of the same request.
 * Then clicks on the packages with points and boxes: a click, shift-click, right-click and drag segment
 * an object on the cached embedding (test/fixtures/sam3-tracker-tiny), or refine a text result's
 * selected instance (text and points on test/fixtures/sam3-tiny, the instance's box and points on
 * sam3-concept-tiny); what the page sent, drew and listed is checked against the answer's JSON.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../dist/server/create-server.js';
import { demoScene } from '../scripts/fixtures/shapes-image.js';
import { png } from './support/images.js';

const DEMO_MODELS = path.resolve(__dirname, '..', 'models', 'shapes-demo');
const TINY_TRACKER_MODELS = path.resolve(__dirname, 'fixtures', 'sam3-tiny');
const CONCEPT_MODELS = path.resolve(__dirname, 'fixtures', 'sam3-concept-tiny');
/** The tracker's interactive path: points and boxes. */
const SAM3_TRACKER_MODELS = path.resolve(__dirname, 'fixtures', 'sam3-tracker-tiny');
/** sam3-tiny plus CLIP's image tower: the page offers prompt suggestions. */
const SUGGEST_MODELS = path.resolve(__dirname, 'fixtures', 'sam3-suggest-tiny');
const SUGGEST_PHOTO = path.resolve(__dirname, '../../shared/images/chelsea.png');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`${CHROMIUM} is absent (apt-get install chromium): the browser test is skipped`);

/** A server on a model package (the demo one unless told) and a Chromium, for one describe block. */
function demoPage(models = DEMO_MODELS) {
  const ctx = {} as { server: ReturnType<typeof createServer>; browser: Browser; url: string };
  beforeAll(async () => {
    ctx.server = createServer({ models, host: '127.0.0.1', port: 0 });
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
    // A package of text alone: no click tools, and a click names a mask (below).
    expect(await page.locator('#click-tools').isHidden()).toBe(true);

    const img = demoScene(); // red circle, blue square and another red shape
    const { width, height } = img;
    await page.setInputFiles('#image', { name: 'shapes.png', mimeType: 'image/png', buffer: await png(img.rgb, width, height) });
    await page.fill('#prompt', 'red circle, blue square');
    await expect.poll(() => page.locator('#masks li').count()).toBe(2);
    const labels = await page.locator('#masks li .label').allTextContents();
    // The tracker family keeps one mask per prompt: one instance, or below the threshold.
    expect(labels[0]).toMatch(/^red circle — (1 instance, score \d\.\d\d, \d+ px|below threshold \(best \d\.\d\d\))$/);
    expect(labels[1]).toMatch(/^blue square — (1 instance, score \d\.\d\d, \d+ px|below threshold \(best \d\.\d\d\))$/);

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
    // Every slider change answered (a slow machine may have sent more than one request).
    await expect.poll(() => page.locator('#canvas').getAttribute('aria-busy')).toBeNull();

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

interface RleJson { size: [number, number]; counts: number[] }
interface InstanceJson { score: number; box: number[]; bbox: [number, number, number, number]; area: number; rle: RleJson }
interface ResultJson {
  prompt: string; score: number; passedThreshold: boolean; bbox: number[]; area: number; rle: RleJson;
  instances: InstanceJson[]; presence?: number; candidates?: unknown;
}
interface SegmentJson { results: ResultJson[]; width: number; height: number }
/** What the page drew, read from its state and its canvas. */
interface DrawnView {
  width: number; height: number; scale: number; ring: number; pixels: number[];
  instances: { key: number; result: number; index: number; count: number; prompt: string; score: number; area: number; below: boolean;
    colour: number[]; mask: { x: number; y: number; w: number; h: number; area: number; data: number[] } }[];
  order: number[]; visible: boolean[];
}

/** A COCO RLE (column-major, starting with zeros) as a row-major 0/1 mask. */
function decodeRle(rle: RleJson): Uint8Array {
  const [h, w] = rle.size;
  const out = new Uint8Array(w * h);
  let i = 0;
  rle.counts.forEach((n, run) => {
    if (run % 2) for (let j = i; j < i + n; j++) out[(j % h) * w + Math.floor(j / h)] = 1;
    i += n;
  });
  return out;
}

async function setSlider(page: Page, id: string, value: string): Promise<void> {
  await page.locator(`#${id}`).evaluate((el, v) => {
    (el as HTMLInputElement).value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

/** Uploads the demo scene, asks for prompts, and returns the JSON of that /api/segment request once the page shows it. */
async function segmentOnPage(page: Page, url: string, prompts: string, settings: { threshold: string; maxInstances: string }) {
  await page.goto(url);
  await page.locator('#status', { hasText: /^(Ready|Model loading failed)/ }).waitFor();
  expect(await page.locator('#status').textContent()).toMatch(/^Ready/);
  await setSlider(page, 'threshold', settings.threshold);
  await page.fill('#max-instances', settings.maxInstances);
  const img = demoScene();
  await page.setInputFiles('#image', { name: 'shapes.png', mimeType: 'image/png', buffer: await png(img.rgb, img.width, img.height) });
  await expect.poll(() => page.evaluate(() => (document.getElementById('canvas') as HTMLCanvasElement).width)).toBe(img.width);
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/segment') && r.request().method() === 'POST');
  await page.fill('#prompt', prompts);
  const response = await answer;
  expect(response.status()).toBe(200);
  if (settings.maxInstances) expect(response.request().postData()).toContain(`name="maxInstances"\r\n\r\n${settings.maxInstances}\r\n`);
  else expect(response.request().postData()).not.toContain('name="maxInstances"');
  const json = (await response.json()) as SegmentJson;
  await expect.poll(() => page.locator('#masks > li').count()).toBe(json.results.length);
  // Drawn from that answer, with nothing newer on its way.
  await expect.poll(() => page.locator('#canvas').getAttribute('aria-busy')).toBeNull();
  return { img, json };
}

async function drawnView(page: Page): Promise<DrawnView> {
  return page.evaluate(() => {
    type St = { instances: (Omit<DrawnView['instances'][number], 'mask'> & { mask: { x: number; y: number; w: number; h: number; area: number; data: Uint8Array } })[];
      order: number[]; visible: boolean[] };
    const st = (0, eval)('state') as St;
    const canvas = document.getElementById('canvas') as HTMLCanvasElement;
    const scale = canvas.clientWidth / canvas.width;
    return {
      width: canvas.width,
      height: canvas.height,
      scale,
      ring: Math.max(1, Math.round(2 / scale)),
      pixels: Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data),
      instances: st.instances.map((d) => ({ ...d, mask: { ...d.mask, data: Array.from(d.mask.data) } })),
      order: st.order,
      visible: st.visible,
    };
  });
}

function inMask(m: DrawnView['instances'][number]['mask'], x: number, y: number): boolean {
  return x >= m.x && y >= m.y && x < m.x + m.w && y < m.y + m.h && m.data[(y - m.y) * m.w + (x - m.x)] === 1;
}

/**
 * Pixels where instance `key` is the topmost thing drawn, filled at half strength: its mask all around
 * (past its own outline), and no later-drawn instance's mask or outline near.
 */
function ownPixels(view: DrawnView, key: number): number[] {
  const d = view.instances[key]!;
  const later = view.order.slice(view.order.indexOf(key) + 1).map((k) => view.instances[k]!).filter((o) => view.visible[o.result] && !o.below);
  const margin = view.ring + 1;
  const out: number[] = [];
  for (let y = margin; y < view.height - margin; y++)
    for (let x = margin; x < view.width - margin; x++) {
      let ok = inMask(d.mask, x, y);
      for (let dy = -margin; ok && dy <= margin; dy++)
        for (let dx = -margin; ok && dx <= margin; dx++)
          ok = inMask(d.mask, x + dx, y + dy) && !later.some((o) => inMask(o.mask, x + dx, y + dy));
      if (ok) out.push(y * view.width + x);
    }
  return out;
}

/** The list's text for a result, from its JSON. */
function listText(r: ResultJson): string {
  const presence = r.presence === undefined ? '' : `, presence ${r.presence.toFixed(2)}`;
  const n = r.instances.length;
  if (!r.passedThreshold) return `${r.prompt} — below threshold (best ${r.score.toFixed(2)})${presence}`;
  return `${r.prompt} — ${n} instance${n === 1 ? '' : 's'}, ${n === 1 ? 'score' : 'best'} ${r.score.toFixed(2)}, ${r.area} px${presence}`;
}

const CONCEPT_PROMPTS = 'red circle, blue square, green triangle';
const CONCEPT_SETTINGS = { threshold: '0.1', maxInstances: '6' };

describe.skipIf(!haveChromium)('web page on a sam3-concept package: instances', () => {
  const ctx = demoPage(CONCEPT_MODELS);

  it('is a sam3-concept package answering several instances (what the tests below rely on)', async () => {
    expect(JSON.parse(readFileSync(path.join(CONCEPT_MODELS, 'manifest.json'), 'utf8')).family).toBe('sam3-concept');
  });

  it('draws every instance in a colour of its own, labelled with its prompt and score, and nothing else', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const { img, json } = await segmentOnPage(page, ctx.url, CONCEPT_PROMPTS, CONCEPT_SETTINGS);
    for (const r of json.results) {
      expect(r.candidates).toBeUndefined();
      expect(r.presence).toBeTypeOf('number');
      expect(r.passedThreshold).toBe(r.instances.length > 0);
      expect(r.instances.length).toBeLessThanOrEqual(Number(CONCEPT_SETTINGS.maxInstances));
    }
    const total = json.results.reduce((n, r) => n + r.instances.length, 0);
    expect(total, 'the prompts and threshold must find several instances').toBeGreaterThanOrEqual(2);

    // The page's instances are the JSON's, in order, with the same masks.
    const view = await drawnView(page);
    const kept = view.instances.filter((d) => !d.below);
    expect(kept.map((d) => [d.result, d.index, d.count, d.prompt, d.score, d.area])).toEqual(
      json.results.flatMap((r, i) => r.instances.map((inst, k) => [i, k, r.instances.length, r.prompt, inst.score, inst.area])),
    );
    for (const d of kept) {
      const want = decodeRle(json.results[d.result]!.instances[d.index]!.rle);
      const got = new Uint8Array(want.length);
      for (let y = 0; y < view.height; y++) for (let x = 0; x < view.width; x++) got[y * view.width + x] = inMask(d.mask, x, y) ? 1 : 0;
      expect(got.reduce((a, v) => a + v, 0)).toBe(d.area);
      expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    }
    expect(new Set(kept.map((d) => d.colour.join())).size).toBe(kept.length);

    // Where an instance lies on top, the canvas shows the image half-blended with that instance's colour.
    const shown = new Set<string>();
    for (const d of kept) {
      const own = ownPixels(view, d.key);
      if (!own.length) continue;
      for (const p of own.slice(0, 50))
        for (let c = 0; c < 3; c++)
          expect(Math.abs(view.pixels[p * 4 + c]! - (img.rgb[p * 3 + c]! + d.colour[c]!) / 2), `${d.prompt} #${d.index + 1}`).toBeLessThanOrEqual(2);
      shown.add(d.colour.join());
    }
    expect(shown.size, 'instances seen in their own colours').toBeGreaterThanOrEqual(2);
    // Away from every mask and outline, the image is as uploaded: nothing below the threshold is drawn.
    const near = (x: number, y: number) => kept.some((d) => {
      for (let dy = -view.ring - 1; dy <= view.ring + 1; dy++)
        for (let dx = -view.ring - 1; dx <= view.ring + 1; dx++) if (inMask(d.mask, x + dx, y + dy)) return true;
      return false;
    });
    let untouched = 0;
    for (let y = 0; y < view.height; y++)
      for (let x = 0; x < view.width; x++) {
        if (near(x, y)) continue;
        const p = y * view.width + x;
        for (let c = 0; c < 3; c++) expect(Math.abs(view.pixels[p * 4 + c]! - img.rgb[p * 3 + c]!)).toBeLessThanOrEqual(2);
        untouched++;
      }
    expect(untouched).toBeGreaterThan(0);

    // Labels: page text "prompt score" in the instance's colour, inside the image, none over another.
    const labels = await page.evaluate(() => {
      const canvas = document.getElementById('canvas')!;
      const c = canvas.getBoundingClientRect();
      const box = { x: c.x + canvas.clientLeft, y: c.y + canvas.clientTop, w: canvas.clientWidth, h: canvas.clientHeight };
      return {
        box,
        labels: [...document.querySelectorAll<HTMLElement>('#labels span')].map((l) => {
          const r = l.getBoundingClientRect();
          return { key: Number(l.dataset.key), text: l.textContent, colour: getComputedStyle(l).color, x: r.x, y: r.y, w: r.width, h: r.height };
        }),
      };
    });
    expect(labels.labels.length).toBeGreaterThan(0);
    expect(new Set(labels.labels.map((l) => l.key)).size).toBe(labels.labels.length);
    for (const l of labels.labels) {
      const d = view.instances[l.key]!;
      expect(d.below).toBe(false);
      const inst = json.results[d.result]!.instances[d.index]!;
      expect(l.text).toBe(`${json.results[d.result]!.prompt} ${inst.score.toFixed(2)}`);
      expect(l.colour).toBe(`rgb(${d.colour.join(', ')})`);
      expect(l.x).toBeGreaterThanOrEqual(labels.box.x - 0.5);
      expect(l.y).toBeGreaterThanOrEqual(labels.box.y - 0.5);
      expect(l.x + l.w).toBeLessThanOrEqual(labels.box.x + labels.box.w + 0.5);
      expect(l.y + l.h).toBeLessThanOrEqual(labels.box.y + labels.box.h + 0.5);
    }
    for (const [i, a] of labels.labels.entries())
      for (const b of labels.labels.slice(i + 1))
        expect(a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h, `${a.text} over ${b.text}`).toBe(false);

    mkdirSync(path.resolve(__dirname, 'artifacts'), { recursive: true });
    await page.screenshot({ path: path.resolve(__dirname, 'artifacts', 'web-page-instances.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('a click names the topmost instance under the pointer: its label, score and area, at any display scale', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const { json } = await segmentOnPage(page, ctx.url, CONCEPT_PROMPTS, CONCEPT_SETTINGS);
    // With points, a click off every mask adds a point to the selected instance (the next test), it names nothing.
    const clicks = await packageTakesPoints(ctx.url);
    const answer = (key: number, view: DrawnView) => {
      const d = view.instances[key]!;
      const r = json.results[d.result]!;
      const inst = r.instances[d.index]!;
      return `${r.prompt}: score ${inst.score.toFixed(3)}, area ${inst.area} px (instance ${d.index + 1} of ${r.instances.length})`;
    };
    // A click at the middle of image pixel p, in the canvas's content box however it is scaled.
    const clickPixel = async (p: number, view: DrawnView) => {
      const size = await page.locator('#canvas').evaluate((c) => ({ w: c.clientWidth, h: c.clientHeight }));
      await page.locator('#canvas').click({
        position: { x: (((p % view.width) + 0.5) / view.width) * size.w, y: ((Math.floor(p / view.width) + 0.5) / view.height) * size.h },
      });
    };

    let view = await drawnView(page);
    // For each instance that lies on top somewhere: a click there names it.
    const tops = view.instances.filter((d) => !d.below).map((d) => ({ key: d.key, own: ownPixels(view, d.key) })).filter((t) => t.own.length);
    expect(tops.length).toBeGreaterThanOrEqual(2);
    for (const t of tops.slice(0, 4)) {
      await clickPixel(t.own[Math.floor(t.own.length / 2)]!, view);
      expect(await page.locator('#selection').textContent()).toBe(answer(t.key, view));
      const label = page.locator(`#labels span[data-key="${t.key}"]`);
      if (await label.count()) expect(await label.getAttribute('class')).toContain('selected');
    }
    // Where instances overlap, the one drawn last (on top) is named.
    const kept = view.instances.filter((d) => !d.below);
    for (let p = 0; p < view.width * view.height; p++) {
      const under = view.order.filter((k) => kept.includes(view.instances[k]!) && inMask(view.instances[k]!.mask, p % view.width, Math.floor(p / view.width)));
      if (under.length < 2) continue;
      await clickPixel(p, view);
      expect(await page.locator('#selection').textContent()).toBe(answer(under.at(-1)!, view));
      break;
    }
    // Off every mask: nothing.
    const free = Array.from({ length: view.width * view.height }, (_, p) => p)
      .find((p) => !kept.some((d) => inMask(d.mask, p % view.width, Math.floor(p / view.width))));
    if (free !== undefined && !clicks) {
      await clickPixel(free, view);
      expect(await page.locator('#selection').textContent()).toBe('No mask here.');
    }

    // Another window size scales the canvas differently; the same pixel still names the same instance.
    await page.setViewportSize({ width: 700, height: 560 });
    await expect.poll(() => page.locator('#canvas').evaluate((c) => c.clientWidth)).not.toBe(Math.round(view.width * view.scale));
    view = { ...view, scale: await page.locator('#canvas').evaluate((c) => c.clientWidth / (c as HTMLCanvasElement).width) };
    expect(view.scale).not.toBe(Math.round(view.scale));
    const t = tops[0]!;
    await clickPixel(t.own[Math.floor(t.own.length / 2)]!, view);
    expect(await page.locator('#selection').textContent()).toBe(answer(t.key, view));
  });

  it('lists each prompt with its instance count and best score, one row per instance, and downloads their masks', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const { json } = await segmentOnPage(page, ctx.url, CONCEPT_PROMPTS, CONCEPT_SETTINGS);
    const items = page.locator('#masks > li');
    expect(await items.locator('.label').allTextContents()).toEqual(json.results.map(listText));
    for (const [i, r] of json.results.entries()) {
      const item = items.nth(i);
      expect(await item.getAttribute('class')).toBe(r.passedThreshold ? null : 'below');
      const rows = await item.locator('.instance-label').allTextContents();
      expect(rows).toEqual(r.instances.length > 1 ? r.instances.map((inst, k) => `#${k + 1} — ${inst.score.toFixed(2)}, ${inst.area} px`) : []);
    }

    // The prompt's PNG is the union of its instances; an instance's PNG is that instance.
    const pngMask = async (button: ReturnType<Page['locator']>) => {
      const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
      const { data, info } = await sharp(await download.path()).greyscale().raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([json.width, json.height]);
      return { name: download.suggestedFilename(), mask: Uint8Array.from(data, (v) => (v > 127 ? 1 : 0)) };
    };
    const i = json.results.findIndex((r) => r.instances.length > 0);
    const union = await pngMask(items.nth(i).locator(':scope > button'));
    expect(union.name).toBe(`mask-${i + 1}.png`);
    expect(Buffer.from(union.mask).equals(Buffer.from(decodeRle(json.results[i]!.rle)))).toBe(true);
    const many = json.results.findIndex((r) => r.instances.length > 1);
    if (many >= 0) {
      const k = json.results[many]!.instances.length - 1;
      const one = await pngMask(items.nth(many).locator('.instance button').nth(k));
      expect(one.name).toBe(`mask-${many + 1}-instance-${k + 1}.png`);
      expect(Buffer.from(one.mask).equals(Buffer.from(decodeRle(json.results[many]!.instances[k]!.rle)))).toBe(true);
    }

    // At the top threshold the same prompts read as below it, greyed, with nothing drawn or labelled.
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/segment'));
    await setSlider(page, 'threshold', '0.9');
    const high = (await (await answer).json()) as SegmentJson;
    await expect.poll(() => items.locator('.label').allTextContents()).toEqual(high.results.map(listText));
    for (const [n, r] of high.results.entries())
      expect(await items.nth(n).getAttribute('class')).toBe(r.passedThreshold ? null : 'below');
    const highTotal = high.results.reduce((a, r) => a + r.instances.length, 0);
    expect(await page.locator('#labels span').count()).toBeLessThanOrEqual(highTotal);
    if (highTotal === 0) {
      expect(await page.locator('#labels span').count()).toBe(0);
      const view = await drawnView(page);
      const img = demoScene();
      expect(view.pixels.filter((v, p) => p % 4 < 3 && Math.abs(v - img.rgb[(p >> 2) * 3 + (p % 4)]!) > 2).length).toBe(0);
    }
  });
});

describe.skipIf(!haveChromium)('web page on the tiny tracker package: one instance or none', () => {
  const ctx = demoPage(TINY_TRACKER_MODELS);

  it('lists each prompt as 1 instance or below the threshold, and draws a mask below it when asked for', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const { img, json } = await segmentOnPage(page, ctx.url, 'a cat, a dog, a red car, the sky', { threshold: '0.9', maxInstances: '' });
    for (const r of json.results) {
      expect(r.candidates).toBeDefined();
      expect(r.instances.length).toBe(r.passedThreshold ? 1 : 0);
    }
    const items = page.locator('#masks > li');
    expect(await items.locator('.label').allTextContents()).toEqual(json.results.map(listText));
    expect(await page.locator('#masks .instance').count()).toBe(0);
    const belowCount = json.results.filter((r) => !r.passedThreshold).length;
    expect(await page.locator('#masks > li.below').count()).toBe(belowCount);
    expect(await page.locator('#labels span').count()).toBeLessThanOrEqual(json.results.length - belowCount);

    // Asked for, a prompt's mask below the threshold is drawn after all, in its own colour, and a click on it says so.
    const b = json.results.findIndex((r) => !r.passedThreshold && r.area > 0);
    expect(b, 'a prompt whose mask is below 0.9').toBeGreaterThanOrEqual(0);
    await items.nth(b).locator('input[type=checkbox]').check();
    const view = await drawnView(page);
    const d = view.instances.find((o) => o.result === b)!;
    expect([d.below, d.area]).toEqual([true, json.results[b]!.area]);
    const own = ownPixels(view, d.key);
    expect(own.length).toBeGreaterThan(0);
    const p = own[Math.floor(own.length / 2)]!;
    for (let c = 0; c < 3; c++) expect(Math.abs(view.pixels[p * 4 + c]! - (img.rgb[p * 3 + c]! + d.colour[c]!) / 2)).toBeLessThanOrEqual(2);
    const size = await page.locator('#canvas').evaluate((c) => ({ w: c.clientWidth, h: c.clientHeight }));
    await page.locator('#canvas').click({ position: { x: (((p % img.width) + 0.5) / img.width) * size.w, y: ((Math.floor(p / img.width) + 0.5) / img.height) * size.h } });
    const r = json.results[b]!;
    expect(await page.locator('#selection').textContent()).toBe(`${r.prompt}: score ${r.score.toFixed(3)}, area ${r.area} px (below threshold)`);
  });
});

/** Whether the package behind a page's server answers points (then the canvas takes clicks). */
async function packageTakesPoints(url: string): Promise<boolean> {
  const health = (await (await fetch(`${url}api/health`)).json()) as { prompts?: string[] };
  return health.prompts?.includes('points') ?? false;
}

/** A multipart body's text fields, by name. */
function formFields(body: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of body.matchAll(/name="([^"]+)"(?:; filename="[^"]*")?\r\n(?:[^\r\n]+\r\n)*\r\n([\s\S]*?)\r\n--/g)) fields[m[1]!] = m[2]!;
  return fields;
}

interface ClickAnswer { fields: Record<string, string>; json: SegmentJson & { imageId: string } }

/** Does `action` and returns the /api/segment request it made (its fields) and the answer, once the page has drawn it. */
async function answerTo(page: Page, action: () => Promise<unknown>): Promise<ClickAnswer> {
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/segment') && r.request().method() === 'POST');
  await action();
  const response = await answer;
  expect(response.status(), await response.text()).toBe(200);
  const fields = formFields(response.request().postData() ?? '');
  const json = (await response.json()) as ClickAnswer['json'];
  await expect.poll(() => page.locator('#canvas').getAttribute('aria-busy')).toBeNull();
  return { fields, json };
}

/** The canvas's content box on screen, and image pixels (continuous) to page coordinates and back. */
async function canvasGeometry(page: Page) {
  const g = await page.locator('#canvas').evaluate((c) => {
    const r = c.getBoundingClientRect();
    return { x: r.x + c.clientLeft, y: r.y + c.clientTop, w: c.clientWidth, h: c.clientHeight, width: (c as HTMLCanvasElement).width, height: (c as HTMLCanvasElement).height };
  });
  return {
    ...g,
    /** Image pixel p's middle, relative to the canvas's padding box (what locator.click's position means). */
    at: (p: number) => ({ x: (((p % g.width) + 0.5) / g.width) * g.w, y: ((Math.floor(p / g.width) + 0.5) / g.height) * g.h }),
    /** A position from `at` as image pixels, which the page should send. */
    image: (pos: { x: number; y: number }) => [(pos.x / g.w) * g.width, (pos.y / g.h) * g.height] as [number, number],
    /** One screen pixel, in image pixels: how far a sent coordinate may be from the pointer's. */
    tolerance: g.width / g.w + 0.01,
  };
}

function expectNear(got: number[], want: number[], tolerance: number): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]!), `${JSON.stringify(got)} ≈ ${JSON.stringify(want)}`).toBeLessThanOrEqual(tolerance));
}

/** The points and box the page drew over the canvas. */
async function drawnMarks(page: Page) {
  return page.evaluate(() => ({
    points: [...document.querySelectorAll('#clicks circle')].map((c) => ({
      label: Number(c.getAttribute('data-label')), point: c.getAttribute('data-point')!.split(',').map(Number), colour: getComputedStyle(c).fill,
    })),
    boxes: [...document.querySelectorAll('#clicks rect')].map((r) => ({ className: r.getAttribute('class'), box: r.getAttribute('data-box')!.split(',').map(Number) })),
  }));
}

/**
 * What a click answer must look like on the page: its one result listed with its IoU, its mask
 * the one drawn (the image half-blended with its colour where it lies), the points and box that
 * were sent drawn over the canvas (positive green, negative red). Sent again from here, the same
 * fields give the same answer.
 */
async function expectClickShown(page: Page, url: string, { fields, json }: ClickAnswer, img: { rgb: Uint8Array }, name: string): Promise<void> {
  expect(fields.image).toBeUndefined();
  expect(fields.imageId).toBe(json.imageId);
  expect(json.results).toHaveLength(1);
  const r = json.results[0]! as ResultJson & { points?: number[][]; labels?: number[]; box?: number[]; candidateIndex: number };
  const points = fields.points ? (JSON.parse(fields.points) as number[][]) : undefined;
  const labels = fields.labels ? (JSON.parse(fields.labels) as number[]) : undefined;
  const box = fields.box ? (JSON.parse(fields.box) as number[]) : undefined;
  expect([r.points, r.labels, r.box]).toEqual([points, labels, box]);
  expect(await page.locator('#masks > li .label').allTextContents()).toEqual([`${name} — IoU ${r.score.toFixed(2)}, ${r.area} px`]);

  const view = await drawnView(page);
  expect(view.instances).toHaveLength(1);
  const d = view.instances[0]!;
  const want = decodeRle(r.rle);
  const got = new Uint8Array(want.length);
  for (let y = 0; y < view.height; y++) for (let x = 0; x < view.width; x++) got[y * view.width + x] = inMask(d.mask, x, y) ? 1 : 0;
  expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
  const own = ownPixels(view, d.key);
  if (r.area > 0 && own.length) {
    const p = own[Math.floor(own.length / 2)]!;
    for (let c = 0; c < 3; c++) expect(Math.abs(view.pixels[p * 4 + c]! - (img.rgb[p * 3 + c]! + d.colour[c]!) / 2)).toBeLessThanOrEqual(2);
  }

  const marks = await drawnMarks(page);
  expect(marks.points.map((m) => [m.label, ...m.point])).toEqual((points ?? []).map((pt, i) => [labels![i], ...pt]));
  for (const m of marks.points) expect(m.colour).toBe(m.label ? 'rgb(30, 158, 62)' : 'rgb(215, 38, 61)');
  expect(marks.boxes.map((b) => b.box)).toEqual(box ? [box] : []);

  const again = new FormData();
  for (const [k, v] of Object.entries(fields)) again.append(k, v);
  const replay = (await (await fetch(`${url}api/segment`, { method: 'POST', body: again })).json()) as SegmentJson;
  expect(replay.results[0]!.rle).toEqual(r.rle);
}

/** Uploads the demo scene and waits until the page has drawn it (no prompt: nothing is segmented). */
async function uploadOnPage(page: Page, url: string) {
  await page.goto(url);
  await page.locator('#status', { hasText: /^(Ready|Model loading failed)/ }).waitFor();
  expect(await page.locator('#status').textContent()).toMatch(/^Ready/);
  const img = demoScene();
  await page.setInputFiles('#image', { name: 'shapes.png', mimeType: 'image/png', buffer: await png(img.rgb, img.width, img.height) });
  await expect.poll(() => page.evaluate(() => (document.getElementById('canvas') as HTMLCanvasElement).width)).toBe(img.width);
  return img;
}

/** A drag on the canvas from one image pixel's middle to another's, in small steps as a hand does. */
async function dragBox(page: Page, from: number, to: number): Promise<number[]> {
  const g = await canvasGeometry(page);
  const [a, b] = [g.at(from), g.at(to)];
  await page.mouse.move(g.x + a.x, g.y + a.y);
  await page.mouse.down();
  await page.mouse.move(g.x + (a.x + b.x) / 2, g.y + (a.y + b.y) / 2, { steps: 4 });
  // While dragging, the box being drawn shows dashed.
  expect((await drawnMarks(page)).boxes.map((m) => m.className)).toContain('dragging');
  await page.mouse.move(g.x + b.x, g.y + b.y, { steps: 4 });
  await page.mouse.up();
  const [ia, ib] = [g.image(a), g.image(b)];
  return [Math.min(ia[0], ib[0]), Math.min(ia[1], ib[1]), Math.max(ia[0], ib[0]), Math.max(ia[1], ib[1])];
}

describe.skipIf(!haveChromium)('web page clicks on a package with points and boxes', () => {
  const ctx = demoPage(SAM3_TRACKER_MODELS);

  it('segments by click, shift-click, right-click and drag on the cached embedding, draws what it sent, undoes and clears', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const img = await uploadOnPage(page, ctx.url);
    expect(await page.locator('#click-tools').isVisible()).toBe(true);
    expect([await page.locator('#undo').isDisabled(), await page.locator('#clear').isDisabled()]).toEqual([true, true]);
    // Whether the page kept the browser's menu from opening on a right-click.
    await page.evaluate(() => document.addEventListener('contextmenu', (e) => ((window as unknown as { menuPrevented: boolean }).menuPrevented = e.defaultPrevented)));
    const encoderRuns = ctx.server.segmenter.stats().runs.image_encoder.runs;
    const g = await canvasGeometry(page);
    const mask = (category: string) => img.instances.find((o) => o.category === category)!.mask;
    const circle = deepestPixel(mask('red circle'), img.width, img.height);
    const square = deepestPixel(mask('blue square'), img.width, img.height);
    const covered = new Uint8Array(img.width * img.height);
    for (const o of img.instances) for (let i = 0; i < covered.length; i++) covered[i]! |= o.mask[i]!;
    const background = deepestPixel(Uint8Array.from(covered, (v) => 1 - v), img.width, img.height);
    const sentPoints = (a: ClickAnswer) => JSON.parse(a.fields.points!) as number[][];

    // A click: one positive point, in image pixels, on the image's embedding.
    const one = await answerTo(page, () => page.locator('#canvas').click({ position: g.at(circle) }));
    expect(Object.keys(one.fields).sort()).toEqual(['imageId', 'labels', 'points', 'smoothness']);
    expect(sentPoints(one)).toHaveLength(1);
    expectNear(sentPoints(one)[0]!, g.image(g.at(circle)), g.tolerance);
    expect(one.fields.labels).toBe('[1]');
    await expectClickShown(page, ctx.url, one, img, '1 point');
    expect(await page.locator('#timings').textContent()).toMatch(/embedding cached/);
    expect([await page.locator('#undo').isDisabled(), await page.locator('#clear').isDisabled()]).toEqual([false, false]);

    // A shift-click and a right-click add negative points; every request carries all the points so far.
    const two = await answerTo(page, () => page.locator('#canvas').click({ position: g.at(square), modifiers: ['Shift'] }));
    expect([sentPoints(two).length, two.fields.labels]).toEqual([2, '[1,0]']);
    expect(sentPoints(two)[0]).toEqual(sentPoints(one)[0]);
    await expectClickShown(page, ctx.url, two, img, '2 points');
    const three = await answerTo(page, () => page.locator('#canvas').click({ position: g.at(background), button: 'right' }));
    expect([sentPoints(three).length, three.fields.labels]).toEqual([3, '[1,0,0]']);
    expectNear(sentPoints(three)[2]!, g.image(g.at(background)), g.tolerance);
    expect(await page.evaluate(() => (window as unknown as { menuPrevented: boolean }).menuPrevented)).toBe(true);
    await expectClickShown(page, ctx.url, three, img, '3 points');

    // A drag adds a box around the blue square.
    const bbox = (m: Uint8Array) => {
      const xs: number[] = [];
      const ys: number[] = [];
      m.forEach((v, i) => v && (xs.push(i % img.width), ys.push(Math.floor(i / img.width))));
      return [Math.min(...ys) * img.width + Math.min(...xs), Math.max(...ys) * img.width + Math.max(...xs)] as const;
    };
    const [topLeft, bottomRight] = bbox(mask('blue square'));
    let boxed!: number[];
    const four = await answerTo(page, async () => (boxed = await dragBox(page, topLeft, bottomRight)));
    expectNear(JSON.parse(four.fields.box!) as number[], boxed, g.tolerance);
    expect(sentPoints(four)).toEqual(sentPoints(three));
    await expectClickShown(page, ctx.url, four, img, '3 points + box');
    mkdirSync(path.resolve(__dirname, 'artifacts'), { recursive: true });
    await page.screenshot({ path: path.resolve(__dirname, 'artifacts', 'web-page-clicks.png'), fullPage: true });

    // Undo takes the box away, then the last point; Clear drops them all.
    const undone = await answerTo(page, () => page.locator('#undo').click());
    expect(undone.fields.box).toBeUndefined();
    expect(sentPoints(undone)).toEqual(sentPoints(three));
    await expectClickShown(page, ctx.url, undone, img, '3 points');
    const undoneAgain = await answerTo(page, () => page.locator('#undo').click());
    expect(sentPoints(undoneAgain)).toEqual(sentPoints(two));
    await page.locator('#clear').click();
    expect(await drawnMarks(page)).toEqual({ points: [], boxes: [] });
    expect(await page.locator('#masks > li').count()).toBe(0);
    expect([await page.locator('#undo').isDisabled(), await page.locator('#clear').isDisabled()]).toEqual([true, true]);

    // A box alone, then a first click that is only "not this" is refused on the page, naming what to do.
    const boxOnly = await answerTo(page, async () => (boxed = await dragBox(page, topLeft, bottomRight)));
    expect(Object.keys(boxOnly.fields).sort()).toEqual(['box', 'imageId', 'smoothness']);
    await expectClickShown(page, ctx.url, boxOnly, img, 'box');
    await page.locator('#clear').click();
    await page.locator('#canvas').click({ position: g.at(background), modifiers: ['Shift'] });
    expect(await page.locator('#error').textContent()).toMatch(/^Click on the object first/);
    expect(await drawnMarks(page)).toEqual({ points: [], boxes: [] });

    expect(ctx.server.segmenter.stats().runs.image_encoder.runs).toBe(encoderRuns);
    expect(pageErrors).toEqual([]);
  });
});

/**
 * Selects a text result's instance on the page (a click on it where it lies on top, else its row in the
 * list) and returns it, with an image pixel off every drawn mask, where a click adds a point.
 */
async function selectForRefining(page: Page, json: SegmentJson) {
  const view = await drawnView(page);
  const drawn = view.instances.filter((d) => view.visible[d.result]);
  const tops = drawn.map((d) => ({ d, own: ownPixels(view, d.key) })).filter((t) => t.own.length);
  const free = Array.from({ length: view.width * view.height }, (_, p) => p)
    .find((p) => !drawn.some((d) => inMask(d.mask, p % view.width, Math.floor(p / view.width))));
  const g = await canvasGeometry(page);
  let d: DrawnView['instances'][number];
  if (tops.length) {
    d = tops[0]!.d;
    await page.locator('#canvas').click({ position: g.at(tops[0]!.own[Math.floor(tops[0]!.own.length / 2)]!) });
  } else {
    d = view.instances.find((o) => json.results[o.result]!.instances.length <= 1)!;
    expect(d, 'a result the list can select').toBeDefined();
    await page.locator('#masks > li').nth(d.result).locator('.label').click();
  }
  expect(await page.locator('#selection').getAttribute('data-key')).toBe(String(d.key));
  return { d, free, g };
}

describe.skipIf(!haveChromium)('web page clicks refining a text result: text and points together (sam3)', () => {
  const ctx = demoPage(TINY_TRACKER_MODELS);

  it('a click adds a point to the selected result, sent with its text; undo, and clear brings the text results back', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const { img, json } = await segmentOnPage(page, ctx.url, 'red circle, blue square', { threshold: '0.5', maxInstances: '' });
    expect(await page.locator('#click-tools').isVisible()).toBe(true);
    const encoderRuns = ctx.server.segmenter.stats().runs.image_encoder.runs;
    const { d, free, g } = await selectForRefining(page, json);
    expect(free, 'a pixel off every drawn mask').toBeDefined();
    const text = json.results[d.result]!.prompt;

    const one = await answerTo(page, () => page.locator('#canvas').click({ position: g.at(free!) }));
    expect(one.fields.prompt).toBe(text);
    expect(one.fields.box).toBeUndefined();
    expectNear((JSON.parse(one.fields.points!) as number[][])[0]!, g.image(g.at(free!)), g.tolerance);
    expect(one.json.results[0]!.prompt).toBe(text);
    await expectClickShown(page, ctx.url, one, img, `${text} + 1 point`);

    // Once refining, every click adds to it, wherever it lands.
    const two = await answerTo(page, () => page.locator('#canvas').click({ position: g.at(free!), modifiers: ['Shift'] }));
    expect([two.fields.prompt, two.fields.labels]).toEqual([text, '[1,0]']);
    await expectClickShown(page, ctx.url, two, img, `${text} + 2 points`);
    const undone = await answerTo(page, () => page.locator('#undo').click());
    expect([undone.fields.prompt, undone.fields.points]).toEqual([text, one.fields.points]);
    await expectClickShown(page, ctx.url, undone, img, `${text} + 1 point`);

    // Clear: the text results at once, from their answer (the settings are unchanged), and nothing selected.
    let asked = 0;
    page.on('request', (r) => r.url().endsWith('/api/segment') && asked++);
    await page.locator('#clear').click();
    expect(await page.locator('#masks > li .label').allTextContents()).toEqual(json.results.map(listText));
    expect(await drawnMarks(page)).toEqual({ points: [], boxes: [] });
    expect(await page.locator('#selection').textContent()).toBe('');
    expect(asked).toBe(0);
    expect(ctx.server.segmenter.stats().runs.image_encoder.runs).toBe(encoderRuns);
    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(!haveChromium)('web page clicks refining a text result: the instance\'s box and points (sam3-concept)', () => {
  const ctx = demoPage(CONCEPT_MODELS);

  it("a click refines the selected instance: its box and the points are sent, no text", async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const { img, json } = await segmentOnPage(page, ctx.url, CONCEPT_PROMPTS, CONCEPT_SETTINGS);
    expect(await page.locator('#click-tools').isVisible()).toBe(true);
    const encoderRuns = ctx.server.segmenter.stats().runs.image_encoder.runs;
    const { d, free, g } = await selectForRefining(page, json);
    const instance = json.results[d.result]!.instances[d.index]!;
    expect(instance, 'a found instance is selected').toBeDefined();

    // Off every mask a click adds the object; where none is free, a shift-click inside cuts from it.
    const where = free ?? ownPixels(await drawnView(page), d.key)[0]!;
    const positive = free !== undefined;
    const one = await answerTo(page, () => page.locator('#canvas').click({ position: g.at(where), ...(positive ? {} : { modifiers: ['Shift'] as const }) }));
    expect(one.fields.prompt).toBeUndefined();
    expect(JSON.parse(one.fields.box!)).toEqual(instance.box);
    expect(one.fields.labels).toBe(positive ? '[1]' : '[0]');
    expectNear((JSON.parse(one.fields.points!) as number[][])[0]!, g.image(g.at(where)), g.tolerance);
    await expectClickShown(page, ctx.url, one, img, '1 point + box');
    const two = await answerTo(page, () => page.locator('#canvas').click({ position: g.at(where), button: 'right' }));
    expect(JSON.parse(two.fields.box!)).toEqual(instance.box);
    expect(two.fields.labels).toBe(positive ? '[1,0]' : '[0,0]');
    await expectClickShown(page, ctx.url, two, img, '2 points + box');

    await page.locator('#clear').click();
    expect(await page.locator('#masks > li .label').allTextContents()).toEqual(json.results.map(listText));
    expect(ctx.server.segmenter.stats().runs.image_encoder.runs).toBe(encoderRuns);
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

describe.skipIf(!haveChromium || !existsSync(SUGGEST_PHOTO))('web page on a package with CLIP image tower: prompt suggestions', () => {
  const ctx = demoPage(SUGGEST_MODELS);

  it('fills the suggestion chips after an upload; a chip fills the prompt box and segments', async () => {
    const page = await ctx.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(ctx.url);
    await page.locator('#status', { hasText: 'Ready' }).waitFor();
    expect(await page.locator('#suggestions').isHidden()).toBe(true);
    await page.setInputFiles('#image', { name: 'chelsea.png', mimeType: 'image/png', buffer: readFileSync(SUGGEST_PHOTO) });
    const chips = page.locator('#suggestions button');
    await expect.poll(() => chips.count()).toBe(8);
    // The page's chips are the server's ranking (PyTorch's: test/fixtures/sam3-suggest-tiny-reference.json).
    const reference = JSON.parse(readFileSync(path.resolve(__dirname, 'fixtures', 'sam3-suggest-tiny-reference.json'), 'utf8'));
    const top = reference.cases.find((c: { image: string }) => c.image === 'chelsea.png').top.map((t: { text: string }) => t.text);
    expect(await chips.allTextContents()).toEqual(top.slice(0, 8));
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/segment') && r.request().method() === 'POST');
    await chips.nth(1).click();
    expect(await page.inputValue('#prompt')).toBe(top[1]);
    expect((await answer).status()).toBe(200);
    await expect.poll(() => page.locator('#masks li').count()).toBe(1);
    expect(await page.locator('#masks li .label').first().textContent()).toMatch(new RegExp(`^${top[1]} — `));
    expect(pageErrors).toEqual([]);
  });
});
