/**
 * End to end on the tiny fixture packages: segment() must return exactly the mask recomputed here
 * from the fixture's definition (scripts/fixtures/fixture-reference.ts) and plain float64
 * post-processing (test/support/reference-masks.ts), for both resize families, thresholds 0.1/0.5/0.9,
 * smoothness 1–5, 1 and 8 prompts, with and without negative prompts.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, PromptTokenizer, type Segmenter } from '../dist/index.js';
import type { ModelManifest } from '../dist/model/manifest-types.js';
import { referenceDecoder, referenceImageEncoder, referenceText } from '../scripts/fixtures/fixture-reference.js';
import { blocksImage, png } from './support/images.js';
import { makePackage, type Variant } from './support/packages.js';
import { referenceClose, referencePostprocess, type RefMask } from './support/reference-masks.js';
import { loadModelPackage } from '../dist/index.js';

const PROMPTS = ['red box', 'blue circle', 'green triangle', 'a cat', 'the background', 'black car', 'sky', 'white square'];
const NEGATIVES = ['blue circle', 'the background'];

interface Case {
  label: string;
  width: number;
  height: number;
  rgb: Uint8Array;
}

function cases(variant: Variant): Case[] {
  const colourful = (w: number, h: number, s: number) =>
    blocksImage(w, h, [40, 40, 40], [
      { x: 4 * s, y: 4 * s, w: 20 * s, h: 16 * s, rgb: [224, 60, 32] },
      { x: 28 * s, y: 12 * s, w: 24 * s, h: 20 * s, rgb: [32, 96, 224] },
      { x: 8 * s, y: 24 * s, w: 12 * s, h: 12 * s, rgb: [200, 200, 60] },
    ]);
  return variant === 'stretch'
    ? [
        { label: '64×64 (no resize)', width: 64, height: 64, rgb: colourful(64, 64, 1) },
        { label: '128×96 (resized)', width: 128, height: 96, rgb: colourful(128, 96, 2) },
      ]
    : [
        { label: '64×40 (padded)', width: 64, height: 40, rgb: colourful(64, 40, 1) },
        { label: '100×160 (resized, padded)', width: 100, height: 160, rgb: colourful(100, 160, 2) },
      ];
}

/** pixel_values as the manifest defines them, from sharp's resize of the image. */
async function expectedPixels(c: Case, m: ModelManifest, resizedHw: [number, number]): Promise<Float32Array> {
  const S = m.image.size;
  const [rh, rw] = resizedHw;
  const { data } = await sharp(c.rgb, { raw: { width: c.width, height: c.height, channels: 3 } })
    .resize(rw, rh, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad: false })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const out = new Float32Array(3 * S * S);
  for (let ch = 0; ch < 3; ch++)
    for (let y = 0; y < rh; y++)
      for (let x = 0; x < rw; x++)
        out[ch * S * S + y * S + x] = (data[(y * rw + x) * 3 + ch]! / 255 - m.image.mean[ch]!) / m.image.std[ch]!;
  return out;
}

function select(iou: number[], threshold: number) {
  const above = iou.map((v, i) => (v > threshold ? i : -1)).filter((i) => i >= 0);
  if (above.length) return { index: above[above.length - 1]!, passed: true };
  return { index: iou.indexOf(Math.max(...iou)), passed: false };
}

function diff(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe.each(['stretch', 'longest-side'] as const)('exact masks on the %s fixture', (variant) => {
  let segmenter: Segmenter;
  let manifest: ModelManifest;
  let tokenizer: PromptTokenizer;
  const seen = { indices: new Set<number>(), passed: new Set<boolean>() };

  beforeAll(async () => {
    const models = await makePackage(variant);
    segmenter = await createSegmenter({ models, threads: 1 });
    const pkg = await loadModelPackage(models);
    manifest = pkg.manifest;
    tokenizer = await PromptTokenizer.fromFile(pkg.paths.tokenizer, manifest.tokenizer);
  });
  afterAll(async () => {
    await segmenter?.dispose();
    // The grid below must exercise every branch of the selection rule, or it proves little.
    expect([...seen.indices].sort()).toEqual([0, 1, 2]);
    expect([...seen.passed].sort()).toEqual([false, true]);
  });

  it.each(cases(variant).map((c) => [c.label, c] as const))('%s', async (_, c) => {
    const embedding = await segmenter.embed(await png(c.rgb, c.width, c.height));
    const S = manifest.image.size;
    const resizedHw: [number, number] =
      manifest.image.resize === 'stretch'
        ? [S, S]
        : [Math.round((c.height * S) / Math.max(c.width, c.height)), Math.round((c.width * S) / Math.max(c.width, c.height))];
    const features = referenceImageEncoder(variant, await expectedPixels(c, manifest, resizedHw));

    const all = [...PROMPTS, ...NEGATIVES];
    const tokens = await tokenizer.encodeBatch(all);
    const L = tokens.contextLength;
    const ids = all.map((_, b) => Array.from(tokens.ids.subarray(b * L, (b + 1) * L), Number));
    const decoded = referenceDecoder(variant, features, referenceText(variant, ids));
    const m = manifest.mask.size;
    const K = manifest.mask.candidates;
    const logits = (b: number, j: number) => decoded.masks.subarray((b * K + j) * m * m, (b * K + j + 1) * m * m);

    let ties = 0;
    for (const threshold of [0.1, 0.5, 0.9]) {
      // Unsmoothed masks first: they must match except on exact ties (value 0 in exact arithmetic,
      // whose sign depends on rounding); the library's answer there becomes the reference's.
      const raw = await segmenter.segment(embedding, [...all], { threshold, smoothness: 1 });
      const unsmoothed = all.map((_, b) => {
        const choice = select(decoded.iou[b]!, threshold);
        const ref = referencePostprocess(logits(b, choice.index), m, S, resizedHw, [c.height, c.width]);
        const got = raw[b]!.mask.data;
        for (let p = 0; p < got.length; p++) {
          if (got[p] === ref.data[p]) continue;
          expect(ref.ties[p], `${c.label} "${all[b]}" threshold ${threshold}: pixel ${p} differs and is no tie`).toBe(1);
          ref.data[p] = got[p]!;
          ties++;
        }
        return { ...choice, mask: ref as RefMask };
      });
      for (let k = 1; k <= 5; k++) {
        const expectedFor = (b: number): { mask: RefMask; index: number; passed: boolean } => {
          const u = unsmoothed[b]!;
          return { index: u.index, passed: u.passed, mask: referenceClose({ ...u.mask, data: u.mask.data.slice() }, k) };
        };
        for (const [prompts, negative] of [
          [PROMPTS.slice(0, 1), []],
          [PROMPTS, []],
          [PROMPTS, NEGATIVES],
        ] as const) {
          const results = await segmenter.segment(embedding, [...prompts], { threshold, smoothness: k, negative: [...negative] });
          const negMasks = negative.map((n) => expectedFor(all.indexOf(n))).filter((n) => n.passed);
          results.forEach((r, i) => {
            const e = expectedFor(i);
            for (const n of negMasks) for (let p = 0; p < e.mask.data.length; p++) if (n.mask.data[p]) e.mask.data[p] = 0;
            const where = `${c.label} "${r.prompt}" threshold ${threshold} smoothness ${k} negatives ${negative.length}`;
            expect(r.candidateIndex, where).toBe(e.index);
            expect(r.passedThreshold, where).toBe(e.passed);
            expect(Math.abs(r.score - decoded.iou[i]![e.index]!), where).toBeLessThan(1e-6);
            expect(diff(r.mask.data, e.mask.data), `${where}: pixels differing`).toBe(0);
            expect(r.area, where).toBe(e.mask.data.reduce((a, v) => a + v, 0));
            seen.indices.add(e.index);
            seen.passed.add(e.passed);
          });
        }
      }
    }
    // Ties are rare by construction; many would mean the reference is not testing much.
    expect(ties).toBeLessThan(0.001 * all.length * 3 * c.width * c.height);
  });
});
