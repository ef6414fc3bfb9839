/**
 * The trained demo package (models/shapes-demo, written by scripts/train_projection.py --mode end-to-end)
 * really segments: on freshly drawn shape images — a generator seeded apart from training — every present
 * prompt's mask must reach IoU ≥ 0.9 with the drawn shapes (mean per prompt), and prompts for shapes that
 * are not in the image must not fire. SAM3CLIP_DEMO_MODELS points it at another package (an untrained one
 * fails it).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, type Segmenter } from '../dist/index.js';
import { categoryMask, COLOURS, iou, SHAPES, shapesImage, type ShapesImage } from '../scripts/fixtures/shapes-image.js';

const MODELS = process.env.SAM3CLIP_DEMO_MODELS ?? path.resolve(__dirname, '..', 'models', 'shapes-demo');
const CATEGORIES = Object.keys(COLOURS).flatMap((c) => SHAPES.map((s) => `${c} ${s}`));
const IMAGES = 8;
const MIN_IOU = 0.9;
// An absent prompt may leave a few stray pixels after thresholding, never a shape's worth.
const MAX_ABSENT_AREA = 0.01;

/** Seeds 7001… until IMAGES images are drawn, with "red circle" among them (the README's prompt). */
function testImages(): ShapesImage[] {
  const images: ShapesImage[] = [];
  for (let seed = 7001; images.length < IMAGES; seed++) {
    const img = shapesImage(seed);
    const hasRedCircle = img.instances.some((o) => o.category === 'red circle');
    const needRedCircle = images.length === IMAGES - 1 && !images.some((i) => i.instances.some((o) => o.category === 'red circle'));
    if (!needRedCircle || hasRedCircle) images.push(img);
  }
  return images;
}

// The package is the output of a training run (scripts/train_projection.py --mode end-to-end), not
// committed until a run reaches the goal; where it is absent this test says so and skips.
const HAVE_MODELS = existsSync(path.join(MODELS, 'manifest.json'));
if (!HAVE_MODELS)
  console.warn(
    `${MODELS} is absent: the demo-package test is skipped. Train it with: ` +
      '.venv/bin/python scripts/train_projection.py --mode end-to-end --out models/shapes-demo --name shapes-demo',
  );

describe.skipIf(!HAVE_MODELS)('models/shapes-demo segments coloured shapes by name', () => {
  let segmenter: Segmenter;
  const images = testImages();

  beforeAll(async () => {
    segmenter = await createSegmenter({ models: MODELS, threads: 1 });
  });
  afterAll(async () => {
    await segmenter?.dispose();
  });

  it(`reaches IoU ≥ ${MIN_IOU} per present prompt and stays silent for absent ones`, async () => {
    const perPrompt = new Map<string, number[]>();
    const absent: { prompt: string; passed: boolean; area: number }[] = [];
    for (const img of images) {
      const present = [...new Set(img.instances.map((o) => o.category))];
      const missing = CATEGORIES.filter((c) => !present.includes(c));
      const prompts = [...present, ...missing];
      const raw = { data: img.rgb, width: img.width, height: img.height, channels: 3 as const };
      const results = await segmenter.segment(raw, prompts);
      results.forEach((r, i) => {
        const prompt = prompts[i]!;
        if (i < present.length) {
          const list = perPrompt.get(prompt) ?? [];
          list.push(iou(r.mask.data, categoryMask(img, prompt)));
          perPrompt.set(prompt, list);
        } else absent.push({ prompt, passed: r.passedThreshold, area: r.area / (img.width * img.height) });
      });
    }
    const means = Object.fromEntries(
      [...perPrompt].sort().map(([p, v]) => [p, { iou: +(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3), n: v.length }]),
    );
    const fired = absent.filter((a) => a.passed && a.area > MAX_ABSENT_AREA);
    console.log('demo package, held-out IoU per prompt:', JSON.stringify(means));
    console.log(`absent prompts: ${absent.length}, fired: ${fired.length}`, fired.slice(0, 5));

    expect(perPrompt.get('red circle')?.length).toBeGreaterThan(0);
    for (const [prompt, { iou: mean }] of Object.entries(means)) expect(mean, prompt).toBeGreaterThanOrEqual(MIN_IOU);
    expect(fired).toEqual([]);
  });

  it('"red circle" takes the red circle, not the blue square in the same image', async () => {
    // The first fresh scene holding both: the prompt must pick by colour and by shape.
    let img = shapesImage(7500);
    for (let seed = 7501; !['red circle', 'blue square'].every((c) => img.instances.some((o) => o.category === c)); seed++)
      img = shapesImage(seed);
    const raw = { data: img.rgb, width: img.width, height: img.height, channels: 3 as const };
    const [red, blue] = await segmenter.segment(raw, ['red circle', 'blue square']);
    const redTarget = categoryMask(img, 'red circle');
    const blueTarget = categoryMask(img, 'blue square');
    expect(red!.passedThreshold).toBe(true);
    expect(iou(red!.mask.data, redTarget)).toBeGreaterThanOrEqual(MIN_IOU);
    expect(iou(blue!.mask.data, blueTarget)).toBeGreaterThanOrEqual(MIN_IOU);
    let redOnBlue = 0;
    let blueArea = 0;
    for (let i = 0; i < blueTarget.length; i++) {
      redOnBlue += red!.mask.data[i]! & blueTarget[i]!;
      blueArea += blueTarget[i]!;
    }
    expect(redOnBlue / blueArea).toBeLessThan(0.02);
  });
});
