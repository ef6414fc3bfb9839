/**
 * The trained demo package (models/shapes-demo, written by scripts/train_projection.py --mode end-to-end) on
 * freshly drawn shape images (the TypeScript generator, seeded apart from training).
 *
 * What the committed package does: it reads both words. "red circle" takes the red circle and leaves a red square
 * beside it, a prompt whose colour is not in the image does not fire, and an absent shape of a present colour
 * rarely does. Every present prompt reaches the goal, IoU ≥ 0.9 (GOAL_IOU) on IMAGES fresh images, and the mean
 * keeps MIN_MEAN_IOU, so a retrained package can only raise them.
 * SAM3CLIP_DEMO_MODELS points the test at another package (an untrained one fails it).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, type Segmenter } from '../dist/index.js';
import { categoryMask, COLOURS, holdsAll, iou, SHAPES, shapesImage, type ShapesImage } from '../scripts/fixtures/shapes-image.js';

const MODELS = process.env.SAM3CLIP_DEMO_MODELS ?? path.resolve(__dirname, '..', 'models', 'shapes-demo');
const CATEGORIES = Object.keys(COLOURS).flatMap((c) => SHAPES.map((s) => `${c} ${s}`));
// 256 images: 64–90 instances per prompt, so one missed shape moves a prompt's mean by about 0.01, not 0.1.
const IMAGES = 256;
// The goal, asserted per prompt. The committed package: 0.904–0.957 per prompt, mean 0.941 on these images; the one
// before it: 0.890–0.953 (red circle below the goal).
const GOAL_IOU = 0.9;
const MIN_MEAN_IOU = 0.92;
// The pair tests' floor: 8 scenes, where one miss costs 0.12.
const PAIR_MIN_IOU = 0.6;
// Absent shapes of a present colour ("red square" beside a red circle): the prompts a colour-only model gets wrong.
const MAX_SAME_COLOUR_FIRED = 0.1;
const PAIR_SCENES = 8;
const SAME_COLOUR_MIN_IOU = 0.45;
const SAME_COLOUR_MAX_OVERLAP = 0.35;
// An absent prompt may leave a few stray pixels after thresholding, never a shape's worth.
const MAX_ABSENT_AREA = 0.01;

const colourOf = (category: string) => category.split(' ')[0]!;

interface PairScore {
  prompt: string;
  iou: number;
  /** The fraction of the other prompt's shape that this prompt's mask covers. */
  onOther: number;
}

/** The fraction of `target`'s pixels that `mask` covers. */
function overlap(mask: Uint8Array, target: Uint8Array): number {
  let covered = 0;
  let area = 0;
  for (let i = 0; i < target.length; i++) {
    covered += mask[i]! & target[i]!;
    area += target[i]!;
  }
  return covered / area;
}

describe('models/shapes-demo segments coloured shapes by name', () => {
  let segmenter: Segmenter;
  const images: ShapesImage[] = Array.from({ length: IMAGES }, (_, i) => shapesImage(7001 + i));

  beforeAll(async () => {
    segmenter = await createSegmenter({ models: MODELS, threads: 1 });
  });
  afterAll(async () => {
    await segmenter?.dispose();
  });

  /** Both prompts on each of the first PAIR_SCENES images from `fromSeed` on that hold both shapes. */
  async function pairScores(pair: [string, string], fromSeed: number): Promise<PairScore[][]> {
    const rows: PairScore[][] = [];
    for (let seed = fromSeed; rows.length < PAIR_SCENES; seed++) {
      const img = shapesImage(seed);
      if (!holdsAll(img, pair)) continue;
      const raw = { data: img.rgb, width: img.width, height: img.height, channels: 3 as const };
      const results = await segmenter.segment(raw, pair);
      rows.push(
        pair.map((prompt, i) => ({
          prompt,
          iou: iou(results[i]!.mask.data, categoryMask(img, prompt)),
          onOther: overlap(results[i]!.mask.data, categoryMask(img, pair[1 - i]!)),
        })),
      );
    }
    return rows;
  }

  function summary(rows: PairScore[][]) {
    return rows[0]!.map(({ prompt }, i) => {
      const mean = (f: (s: PairScore) => number) => +(rows.reduce((a, row) => a + f(row[i]!), 0) / rows.length).toFixed(3);
      return { prompt, meanIou: mean((s) => s.iou), meanOnOther: mean((s) => s.onOther) };
    });
  }

  it(`reaches IoU ≥ ${GOAL_IOU} per present prompt and ${MIN_MEAN_IOU} on average; prompts of an absent colour stay silent`, async () => {
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
    for (const [prompt, { iou: mean }] of Object.entries(means)) expect(mean, prompt).toBeGreaterThanOrEqual(GOAL_IOU);
    const overall = Object.values(means).reduce((a, m) => a + m.iou, 0) / CATEGORIES.length;
    expect(overall).toBeGreaterThanOrEqual(MIN_MEAN_IOU);
    expect(fired).toEqual([]);
    expect(sameColour.filter((a) => a.fired).length / sameColour.length).toBeLessThanOrEqual(MAX_SAME_COLOUR_FIRED);
  });

  it(`"red circle" and "blue square" each take their own shape in ${PAIR_SCENES} scenes holding both`, async () => {
    const rows = await pairScores(['red circle', 'blue square'], 7500);
    console.log('red circle / blue square:', JSON.stringify(summary(rows)));
    for (const s of summary(rows)) expect(s.meanIou, s.prompt).toBeGreaterThanOrEqual(PAIR_MIN_IOU);
    // Colour is never confused: no mask takes more than a sliver of the other shape.
    for (const row of rows) for (const r of row) expect(r.onOther).toBeLessThan(0.02);
  });

  it(`"red circle" leaves the red square beside it, and the other way round (${PAIR_SCENES} scenes)`, async () => {
    const rows = await pairScores(['red circle', 'red square'], 7600);
    console.log('red circle / red square:', JSON.stringify(summary(rows)));
    // A model that reads only the colour word takes both red shapes for either prompt (onOther near 1).
    for (const s of summary(rows)) {
      expect(s.meanIou, s.prompt).toBeGreaterThanOrEqual(SAME_COLOUR_MIN_IOU);
      expect(s.meanOnOther, s.prompt).toBeLessThanOrEqual(SAME_COLOUR_MAX_OVERLAP);
    }
  });
});
