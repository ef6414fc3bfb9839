/**
 * The committed tiny sam3-concept package must give what transformers gives: the references were made by
 * Sam3Processor + Sam3Model + post_process_instance_segmentation on real photos
 * (scripts/export/make_concept_fixture.py). Through the public API, at the reference's threshold and
 * higher: the same instances, scores and presence within 1e-4, boxes within 1 px (the library clips them
 * to the image, transformers does not), each mask's IoU ≥ 0.99, on ONNX Runtime and OpenVINO FP32; OpenVINO
 * BF16 within the bounds of test/support/backends.ts. Nothing here runs PyTorch.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, type Segmenter, type SegmentResult } from '../dist/index.js';
import { iou } from '../scripts/fixtures/shapes-image.js';
import { HOST_BACKENDS, type Fidelity } from './support/backends.js';
import { decodeRle, type Rle } from './support/rle.js';

const PACKAGE = path.resolve(__dirname, 'fixtures/sam3-concept-tiny');
const REFERENCE = path.resolve(__dirname, 'fixtures/sam3-concept-tiny-reference/reference.json');
const IMAGES = path.resolve(__dirname, '../../shared/images');

interface ReferenceCase {
  image: string;
  width: number;
  height: number;
  prompt: string;
  presence: number;
  scores: number[];
  instances: { query: number; score: number; box: [number, number, number, number]; mask: Rle }[];
}
interface BoxCase extends Omit<ReferenceCase, 'prompt'> {
  prompt: { text: string; boxes: [number, number, number, number][]; labels: (0 | 1)[] };
}
interface TrackerCase {
  image: string;
  width: number;
  height: number;
  prompt: { points: [number, number][]; labels: (0 | 1)[]; box: [number, number, number, number] | null };
  iouScores: number[];
  candidates: { rle: Rle; foreground: number }[];
}
const index = JSON.parse(readFileSync(REFERENCE, 'utf8')) as {
  threshold: number;
  maskThreshold: number;
  cases: ReferenceCase[];
  boxCases: BoxCase[];
  trackerCases: TrackerCase[];
};

describe.skipIf(!existsSync(IMAGES)).each(HOST_BACKENDS)('sam3-concept tiny package vs transformers (Sam3Processor + post_process_instance_segmentation), $label', ({ options, fidelity }) => {
  const SCORE_TOLERANCE = fidelity.score;
  let segmenter: Segmenter;
  beforeAll(async () => {
    segmenter = await createSegmenter({ models: PACKAGE, ...options, threads: 1 });
  }, 60_000);
  afterAll(() => segmenter?.dispose());

  it('has references worth comparing: several instances per prompt, scores on both sides of 0.5, masks with foreground and background', () => {
    expect(index.cases.length).toBeGreaterThanOrEqual(9);
    const all = index.cases.flatMap((c) => c.scores);
    expect(all.some((s) => s > 0.5)).toBe(true);
    expect(all.some((s) => s < index.threshold)).toBe(true);
    expect(index.cases.filter((c) => c.instances.length > 1).length).toBeGreaterThanOrEqual(6);
    for (const c of index.cases)
      for (const inst of c.instances) {
        const area = decodeRle(inst.mask).reduce((a, v) => a + v, 0);
        expect(area).toBeGreaterThan(0);
        expect(area).toBeLessThan(c.width * c.height);
      }
  });

  const images = [...new Set(index.cases.map((c) => c.image))];
  for (const image of images) {
    const cases = index.cases.filter((c) => c.image === image);
    for (const threshold of [index.threshold, 0.5]) {
      it(`${image}: ${cases.length} prompts in one call, threshold ${threshold}`, async () => {
        const results = await segmenter.segment(path.join(IMAGES, image), cases.map((c) => c.prompt), {
          threshold,
          smoothness: 1, // no close: the reference is transformers' plain mask
          maxInstances: 1000,
        });
        results.forEach((r, i) => {
          expect(r.prompt).toBe(cases[i]!.prompt);
          expectSameInstances(r, cases[i]!, threshold, fidelity);
        });
      });
    }
  }

  for (const c of index.boxCases)
    it(`${c.image}: "${c.prompt.text}" with ${c.prompt.boxes.length} box exemplar(s) (labels ${c.prompt.labels.join(',')})`, async () => {
      const [r] = await segmenter.segment(path.join(IMAGES, c.image), c.prompt, { threshold: index.threshold, smoothness: 1, maxInstances: 1000 });
      expect(r!.prompt).toBe(c.prompt.text);
      expect(r!.boxes).toEqual(c.prompt.boxes);
      expectSameInstances(r!, c, index.threshold, fidelity);
    });

  for (const c of index.trackerCases)
    it(`${c.image}: ${c.prompt.points.length} point(s)${c.prompt.box ? ' + box' : ''} on the tracker graphs, from the same image encoding`, async () => {
      const image = path.join(IMAGES, c.image);
      const prompt = { points: c.prompt.points, labels: c.prompt.labels, ...(c.prompt.box ? { box: c.prompt.box } : {}) };
      const [r] = await segmenter.segment(image, prompt, { smoothness: 1, allCandidates: true });
      r!.candidates!.forEach((k, j) => {
        expect(Math.abs(k.iou - c.iouScores[j]!)).toBeLessThan(fidelity.clickIou);
        expect(iou(k.mask!.data, decodeRle(c.candidates[j]!.rle))).toBeGreaterThanOrEqual(fidelity.maskIou);
      });
      // SAM's selection; a lower precision may swap two candidates closer than its IoU bound.
      const ranked = r!.candidates!.map((k) => k.iou);
      expect(r!.candidateIndex).toBe(ranked.indexOf(Math.max(...ranked)));
      if (fidelity.clickIou <= 1e-4) expect(r!.candidateIndex).toBe(c.iouScores.indexOf(Math.max(...c.iouScores)));
      // A text prompt on the same image then runs no second encoder; refine() of its best instance neither.
      const encodes = segmenter.stats().runs.image_encoder.runs;
      const [text] = await segmenter.segment(image, 'a cat', { threshold: 0.1 });
      const refined = await segmenter.refine(text!.instances[0]!, { points: [c.prompt.points[0]!] });
      expect(refined.box).toEqual(text!.instances[0]!.box);
      expect(refined.candidates).toHaveLength(3);
      expect(segmenter.stats().runs.image_encoder.runs).toBe(encodes);
    });

  it('refuses text with points (refine is the way) and box exemplars beside clicks', async () => {
    const image = path.join(IMAGES, index.trackerCases[0]!.image);
    await expect(segmenter.segment(image, { text: 'a cat', points: [[10, 10]] })).rejects.toMatchObject({ code: 'E_INVALID_PROMPT', message: expect.stringMatching(/refine/) });
    await expect(segmenter.segment(image, { boxes: [[1, 1, 20, 20]], points: [[5, 5]], text: 'x' } as never)).rejects.toMatchObject({ code: 'E_INVALID_PROMPT' });
  });
});

/** A result against transformers' instances at `threshold`: the same instances, scores, boxes and masks within `fidelity`. */
function expectSameInstances(r: SegmentResult, ref: { width: number; height: number; presence: number; scores: number[]; instances: ReferenceCase['instances'] }, threshold: number, fidelity: Fidelity): void {
  const SCORE_TOLERANCE = fidelity.score;
  expect([r.mask.width, r.mask.height]).toEqual([ref.width, ref.height]);
  expect(Math.abs(r.presence! - ref.presence)).toBeLessThan(SCORE_TOLERANCE);
  // transformers lists kept queries in query order; the library best first.
  const want = ref.instances.filter((x) => x.score > threshold).sort((a, b) => b.score - a.score);
  // A score within the tolerance of the threshold may fall on either side of it: every query
  // clearly above it is found, and none clearly below it.
  const expected = want.filter((x) => x.score > threshold + SCORE_TOLERANCE);
  const got = r.instances;
  expect(got.length).toBeGreaterThanOrEqual(ref.scores.filter((v) => v > threshold + SCORE_TOLERANCE).length);
  expect(got.length).toBeLessThanOrEqual(ref.scores.filter((v) => v > threshold - SCORE_TOLERANCE).length);
  // Best first on both sides; two scores closer than the tolerance may be listed either way,
  // so each expected instance is paired with the unpaired one nearest in score and mask.
  const free = [...got];
  expected.forEach((w) => {
    const wm = decodeRle(w.mask);
    const near = free.filter((x) => Math.abs(x.score - w.score) < SCORE_TOLERANCE);
    expect(near.length).toBeGreaterThan(0);
    const inst = near.reduce((a, b) => (iou(b.mask.data, wm) > iou(a.mask.data, wm) ? b : a));
    free.splice(free.indexOf(inst), 1);
    expect(Math.abs(inst.score - w.score)).toBeLessThan(SCORE_TOLERANCE);
    const clipped = [
      Math.min(Math.max(w.box[0], 0), ref.width),
      Math.min(Math.max(w.box[1], 0), ref.height),
      Math.min(Math.max(w.box[2], 0), ref.width),
      Math.min(Math.max(w.box[3], 0), ref.height),
    ];
    inst.box.forEach((v, j) => expect(Math.abs(v - clipped[j]!)).toBeLessThanOrEqual(fidelity.boxPx));
    expect(iou(inst.mask.data, wm)).toBeGreaterThanOrEqual(fidelity.maskIou);
  });
  expect(r.passedThreshold).toBe(want.length > 0);
  const best = Math.max(...ref.scores);
  expect(Math.abs(r.score - best)).toBeLessThan(SCORE_TOLERANCE);
}
