/**
 * The trained demo package (models/shapes-demo, written by scripts/train_projection.py --mode end-to-end) on
 * freshly drawn shape images (the TypeScript generator, seeded apart from training).
 *
 * What the committed package does today: it finds shapes by their colour word with per-prompt IoU around
 * 0.55–0.9, and a prompt whose colour is not in the image does not fire. The shape word is not learned yet: "red
 * circle" also takes a red square. The goal (IoU ≥ 0.9 per prompt, absent shapes silent) is GOAL_IOU; the
 * asserted floor MIN_IOU is what this package must keep, so a retrained package can only raise it.
 * SAM3CLIP_DEMO_MODELS points the test at another package (an untrained one fails it).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, type Segmenter } from '../dist/index.js';
import { categoryMask, COLOURS, firstImageWith, iou, SHAPES, shapesImage, type ShapesImage } from '../scripts/fixtures/shapes-image.js';

const MODELS = process.env.SAM3CLIP_DEMO_MODELS ?? path.resolve(__dirname, '..', 'models', 'shapes-demo');
const CATEGORIES = Object.keys(COLOURS).flatMap((c) => SHAPES.map((s) => `${c} ${s}`));
const IMAGES = 16;
const GOAL_IOU = 0.9;
const MIN_IOU = 0.4;
// An absent prompt may leave a few stray pixels after thresholding, never a shape's worth.
const MAX_ABSENT_AREA = 0.01;

const colourOf = (category: string) => category.split(' ')[0]!;

describe('models/shapes-demo segments coloured shapes by name', () => {
  let segmenter: Segmenter;
  const images: ShapesImage[] = Array.from({ length: IMAGES }, (_, i) => shapesImage(7001 + i));

  beforeAll(async () => {
    segmenter = await createSegmenter({ models: MODELS, threads: 1 });
  });
  afterAll(async () => {
    await segmenter?.dispose();
  });

  it(`reaches IoU ≥ ${MIN_IOU} per present prompt (goal ${GOAL_IOU}); prompts of an absent colour stay silent`, async () => {
    const perPrompt = new Map<string, number[]>();
    const otherColour: { prompt: string; passed: boolean; area: number }[] = [];
    const sameColour: { prompt: string; fired: boolean }[] = [];
    for (const img of images) {
      const present = [...new Set(img.instances.map((o) => o.category))];
      const colours = new Set(present.map(colourOf));
      const missing = CATEGORIES.filter((c) => !present.includes(c));
      const prompts = [...present, ...missing];
      const raw = { data: img.rgb, width: img.width, height: img.height, channels: 3 as const };
      const results = await segmenter.segment(raw, prompts);
      results.forEach((r, i) => {
        const prompt = prompts[i]!;
        const area = r.area / (img.width * img.height);
        if (i < present.length) {
          const list = perPrompt.get(prompt) ?? [];
          list.push(iou(r.mask.data, categoryMask(img, prompt)));
          perPrompt.set(prompt, list);
        } else if (colours.has(colourOf(prompt))) sameColour.push({ prompt, fired: r.passedThreshold && area > MAX_ABSENT_AREA });
        else otherColour.push({ prompt, passed: r.passedThreshold, area });
      });
    }
    const means = Object.fromEntries(
      [...perPrompt].sort().map(([p, v]) => [p, { iou: +(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3), n: v.length }]),
    );
    const fired = otherColour.filter((a) => a.passed && a.area > MAX_ABSENT_AREA);
    console.log('demo package, held-out IoU per prompt:', JSON.stringify(means));
    console.log(
      `absent prompts of an absent colour: ${otherColour.length}, fired ${fired.length}; ` +
        `absent shapes of a present colour: ${sameColour.length}, fired ${sameColour.filter((a) => a.fired).length}`,
    );

    expect(Object.keys(means).length).toBe(CATEGORIES.length);
    for (const [prompt, { iou: mean }] of Object.entries(means)) expect(mean, prompt).toBeGreaterThanOrEqual(MIN_IOU);
    expect(fired).toEqual([]);
  });

  it('"red circle" takes the red circle, not the blue square in the same image', async () => {
    const img = firstImageWith(['red circle', 'blue square'], 7500);
    const raw = { data: img.rgb, width: img.width, height: img.height, channels: 3 as const };
    const [red, blue] = await segmenter.segment(raw, ['red circle', 'blue square']);
    const redTarget = categoryMask(img, 'red circle');
    const blueTarget = categoryMask(img, 'blue square');
    expect(red!.passedThreshold).toBe(true);
    expect(blue!.passedThreshold).toBe(true);
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
