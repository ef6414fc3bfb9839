/**
 * One image encoding serves text and clicks: on the tiny tracker + CLIP package a text prompt, then a
 * click, then text and click together run the image encoder once; the text's tokens reach the decoder
 * beside the click's (the answer differs from either alone). Clicks on a package encoded by another
 * segmenter's embedding, and negative text prompts, behave as documented.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, type Segmenter } from '../dist/index.js';
import { BEHAVIOUR_BACKENDS } from './support/backends.js';

const PACKAGE = path.resolve(__dirname, 'fixtures/sam3-tiny');
const PHOTO = path.resolve(__dirname, '../../shared/images/chelsea.png');
const havePhoto = existsSync(PHOTO);
if (!havePhoto) console.warn(`${PHOTO} is absent: the text-then-click tests are skipped`);

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe.skipIf(!havePhoto).each(BEHAVIOUR_BACKENDS)('text, then clicks, on one image encoding ($label)', ({ options }) => {
  let segmenter: Segmenter;
  beforeAll(async () => {
    segmenter = await createSegmenter({ models: PACKAGE, ...options, threads: 1 });
  }, 60_000);
  afterAll(() => segmenter?.dispose());

  it('answers text, points and box from one encoder run, text tokens joining the click', async () => {
    expect(segmenter.promptPaths).toEqual(['text', 'points', 'box']);
    const runs = () => segmenter.stats().runs;
    const start = runs();
    const [text] = await segmenter.segment(PHOTO, 'a cat', { smoothness: 1 });
    const afterText = runs();
    expect(afterText.image_encoder.runs).toBe(start.image_encoder.runs + 1);
    const [click] = await segmenter.segment(PHOTO, { points: [[200, 150]] }, { smoothness: 1 });
    const [both] = await segmenter.segment(PHOTO, { text: 'a cat', points: [[200, 150]] }, { smoothness: 1 });
    const [boxed] = await segmenter.segment(PHOTO, { text: 'a cat', box: [40, 30, 300, 280] }, { smoothness: 1 });
    const end = runs();
    expect(end.image_encoder.runs).toBe(afterText.image_encoder.runs);
    expect(end.prompt_encoder.runs).toBe(afterText.prompt_encoder.runs + 3);
    // The text's embedding came from the prompt cache: no second text-tower run.
    expect(end.text_encoder.runs).toBe(afterText.text_encoder.runs);
    const ious = (r: typeof text) => r!.candidates!.map((c) => c.iou);
    expect(ious(both)).not.toEqual(ious(click));
    expect(ious(both)).not.toEqual(ious(text));
    expect(ious(boxed)).not.toEqual(ious(both));
    // Clicks use SAM's selection: the highest predicted IoU.
    for (const r of [click, both, boxed]) expect(r!.candidateIndex).toBe(ious(r).indexOf(Math.max(...ious(r))));
    expect(both!.prompt).toBe('a cat');
    expect(both!.points).toEqual([[200, 150]]);
    expect(click!.prompt).toBe('1 point');
  });

  it('refine() of a text result is its box and the clicks, on the cached embedding', async () => {
    const [text] = await segmenter.segment(PHOTO, 'a cat', { smoothness: 1, threshold: 0.1 });
    const instance = text!.instances[0]!;
    const before = segmenter.stats().runs.image_encoder.runs;
    const refined = await segmenter.refine(instance, { points: [[150, 120]], labels: [1] }, { smoothness: 1 });
    expect(segmenter.stats().runs.image_encoder.runs).toBe(before);
    const [direct] = await segmenter.segment(PHOTO, { box: instance.box, points: [[150, 120]] }, { smoothness: 1 });
    expect(refined.candidates!.map((c) => c.iou)).toEqual(direct!.candidates!.map((c) => c.iou));
    expect(same(refined.mask.data, direct!.mask.data)).toBe(true);
    expect(refined.box).toEqual(instance.box);
  });

  it('removes negative text prompts from a click\'s mask', async () => {
    const [plain] = await segmenter.segment(PHOTO, { points: [[200, 150]] }, { smoothness: 1 });
    const [withNegative] = await segmenter.segment(PHOTO, { points: [[200, 150]] }, { smoothness: 1, negative: 'a cat' });
    const [negative] = await segmenter.segment(PHOTO, 'a cat', { smoothness: 1 });
    const expected = plain!.mask.data.map((v, i) => (negative!.passedThreshold && negative!.mask.data[i] ? 0 : v));
    expect(same(withNegative!.mask.data, Uint8Array.from(expected))).toBe(true);
  });

  it('refuses refine() without a way back to the image, and a bad instance', async () => {
    const fake = { box: [0, 0, 10, 10], mask: { width: 1, height: 1, data: new Uint8Array(1) }, score: 1, bbox: [0, 0, 1, 1], area: 1 } as const;
    await expect(segmenter.refine(fake as never, { points: [[1, 1]] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'image' });
    await expect(segmenter.refine(null as never, { points: [[1, 1]] })).rejects.toMatchObject({ code: 'E_INVALID_PROMPT' });
    await expect(segmenter.refine(fake as never, { points: [[1, 1]] }, { image: PHOTO })).resolves.toMatchObject({ candidates: expect.any(Array) });
  });
});
