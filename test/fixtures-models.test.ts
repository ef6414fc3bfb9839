/**
 * The fixture packages against their independent float64 recomputation: each graph runs in
 * onnxruntime-node directly (no library code in between) and must agree exactly.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from 'tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedIo } from '../lib/backends/graph-contract.js';
import { validateManifest } from '../lib/model/manifest.js';
import type { GraphName, ModelManifest } from '../lib/model/manifest-types.js';
import { writeFixturePackage, type FixtureVariant } from '../scripts/fixtures/fixture-models.js';
import {
  referenceDecoder,
  referenceImageEncoder,
  referenceText,
  referenceTextEmbeds,
  type ReferenceImageOutputs,
} from '../scripts/fixtures/fixture-reference.js';
import { tempDir } from './support/packages.js';

const GRAPHS: GraphName[] = ['image_encoder', 'text_encoder', 'text_projection', 'mask_decoder'];
const PROMPTS = ['a red box', 'background', 'a photo of a cat', 'green triangle', 'zebra!', 'the dark thing', 'x', 'blue circle on a square'];

/** Deterministic noise for test inputs (not the fixture's own generator). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/** RGB (HWC) → float32 [1,3,S,S] as the library does: (v/255 − mean)/std, zero outside the image. */
function pixelValues(rgb: Uint8Array, width: number, height: number, m: ModelManifest): Float32Array {
  const S = m.image.size;
  const out = new Float32Array(3 * S * S);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        out[(c * S + y) * S + x] = (rgb[(y * width + x) * 3 + c]! / 255 - m.image.mean[c]!) / m.image.std[c]!;
  return out;
}

function testImages(m: ModelManifest): { name: string; pixels: Float32Array }[] {
  const S = m.image.size;
  const rand = lcg(7);
  const noise = Uint8Array.from({ length: S * S * 3 }, () => Math.floor(rand() * 256));
  const blocks = new Uint8Array(S * S * 3);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const inBox = x >= 8 && x < 32 && y >= 8 && y < 40;
      blocks.set(inBox ? [224, 96, 32] : [32, 32, 32], (y * S + x) * 3);
    }
  // Every byte value, to cover each quantization boundary the normalization can produce.
  const ramp = Uint8Array.from({ length: S * S * 3 }, (_, i) => (i * 7) % 256);
  const wide = noise.subarray(0, S * 40 * 3);
  return [
    { name: 'noise', pixels: pixelValues(noise, S, S, m) },
    { name: 'blocks', pixels: pixelValues(blocks, S, S, m) },
    { name: 'ramp', pixels: pixelValues(ramp, S, S, m) },
    { name: 'padded', pixels: pixelValues(wide, S, 40, m) },
  ];
}

function padIds(rows: number[][], m: ModelManifest): number[][] {
  return rows.map((r) => [...r, ...new Array<number>(m.tokenizer.contextLength - r.length).fill(m.tokenizer.padId)]);
}

/** '' when ONNX Runtime's float32 output equals the float64 reference exactly, else where it first differs. */
function diff(actual: ArrayLike<number>, expected: ArrayLike<number>): string {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  let count = 0;
  let first = -1;
  for (let i = 0; i < expected.length; i++)
    if (actual[i] !== expected[i]) {
      count++;
      if (first < 0) first = i;
    }
  return count ? `${count} values differ; first at [${first}]: ${actual[first]} vs ${expected[first]}` : '';
}

const f32 = (data: number[][], dims: number[]) => new ort.Tensor('float32', Float32Array.from(data.flat()), dims);
const rows = (t: ort.Tensor): number[][] => {
  const [b, ...rest] = t.dims as number[];
  const width = rest.reduce((x, y) => x * y, 1);
  return Array.from({ length: b! }, (_, i) => Array.from((t.data as Float32Array).subarray(i * width, (i + 1) * width)));
};

describe.each(['stretch', 'longest-side'] as FixtureVariant[])('fixture package %s', (variant) => {
  let dir: string;
  let manifest: ModelManifest;
  const sessions = {} as Record<GraphName, ort.InferenceSession>;

  beforeAll(async () => {
    dir = path.join(tempDir(), variant);
    manifest = await writeFixturePackage(dir, { variant });
    for (const g of GRAPHS) sessions[g] = await ort.InferenceSession.create(path.join(dir, manifest.files[g].path));
  });

  it('writes a valid manifest whose hashes match the files', () => {
    const json = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(validateManifest(json, dir)).toEqual(manifest);
    expect(manifest.name).toBe(`tiny-${variant}`);
    for (const entry of Object.values(manifest.files))
      expect(createHash('sha256').update(readFileSync(path.join(dir, entry.path))).digest('hex')).toBe(entry.sha256);
  });

  it('declares exactly the I/O the manifest implies', () => {
    for (const g of GRAPHS) {
      const want = expectedIo(g, manifest);
      const session = sessions[g];
      expect([...session.inputNames].sort()).toEqual(Object.keys(want.inputs).sort());
      for (const name of Object.keys(want.outputs)) expect(session.outputNames).toContain(name);
      for (const meta of [...session.inputMetadata, ...session.outputMetadata]) {
        const dims = want.inputs[meta.name] ?? want.outputs[meta.name];
        if (!dims || !meta.isTensor) continue;
        expect(meta.shape.map((d) => (typeof d === 'string' ? null : d)), `${g}.${meta.name}`).toEqual(dims);
      }
    }
  });

  it('image_encoder equals the reference exactly', async () => {
    for (const { name, pixels } of testImages(manifest)) {
      const S = manifest.image.size;
      const out = await sessions.image_encoder.run({ pixel_values: new ort.Tensor('float32', pixels, [1, 3, S, S]) });
      const ref = referenceImageEncoder(variant, pixels);
      const names = Object.keys(ref) as (keyof ReferenceImageOutputs)[];
      expect(names.length).toBe(manifest.dims.highResFeatures ? 3 : 1);
      for (const key of names) expect(diff(out[key]!.data as Float32Array, ref[key]!), `${name}: ${key}`).toBe('');
    }
  });

  it('text_encoder and text_projection equal the reference exactly, for tokenized and arbitrary ids', async () => {
    const tokenizer = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
    const tokenized = await Promise.all(PROMPTS.map(async (p) => (await tokenizer.encode(p)).getIds()));
    const rand = lcg(11);
    const arbitrary = [Array.from({ length: 77 }, () => Math.floor(rand() * 49408)), [49406, 49407]];
    const ids = padIds([...tokenized, ...arbitrary], manifest);
    const L = manifest.tokenizer.contextLength;
    const idTensor = new ort.Tensor('int64', BigInt64Array.from(ids.flat(), BigInt), [ids.length, L]);
    const { text_embeds } = await sessions.text_encoder.run({ input_ids: idTensor });
    expect(diff(text_embeds!.data as Float32Array, referenceTextEmbeds(variant, ids).flat())).toBe('');
    const { prompt_embeds } = await sessions.text_projection.run({ text_embeds: text_embeds! });
    expect(prompt_embeds!.dims).toEqual([ids.length, 1, manifest.dims.promptEmbedding]);
    expect(diff(prompt_embeds!.data as Float32Array, referenceText(variant, ids).flat())).toBe('');
  });

  it('mask_decoder equals the reference exactly (iou within 1e-6), with usable masks and scores', async () => {
    const tokenizer = Tokenizer.fromFile(path.join(dir, 'tokenizer.json'));
    const ids = padIds(await Promise.all(PROMPTS.map(async (p) => (await tokenizer.encode(p)).getIds())), manifest);
    const prompts = referenceText(variant, ids);
    const B = prompts.length;
    const { size: m, candidates: K } = manifest.mask;
    const S = manifest.image.size;
    const ious: number[] = [];
    let positive = 0;
    let total = 0;
    let candidatesDiffer = false;
    let badLogits = 0;
    for (const { name, pixels } of testImages(manifest)) {
      const image = await sessions.image_encoder.run({ pixel_values: new ort.Tensor('float32', pixels, [1, 3, S, S]) });
      const feeds: Record<string, ort.Tensor> = { prompt_embeds: f32(prompts, [B, 1, 256]) };
      for (const key of sessions.mask_decoder.inputNames) if (key !== 'prompt_embeds') feeds[key] = image[key]!;
      const out = await sessions.mask_decoder.run(feeds);
      const ref = referenceDecoder(variant, referenceImageEncoder(variant, pixels), prompts);
      expect(out.masks!.dims).toEqual([B, K, m, m]);
      const masks = out.masks!.data as Float32Array;
      expect(diff(masks, ref.masks), `${name}: masks`).toBe('');
      const iou = rows(out.iou_scores!);
      iou.forEach((row, b) => row.forEach((v, j) => expect(Math.abs(v - ref.iou[b]![j]!)).toBeLessThan(1e-6)));
      ious.push(...iou.flat());
      // Never exactly 0 (so `> 0` is unambiguous), and nested candidates: 0 ⊆ 1 ⊆ 2.
      for (let b = 0; b < B; b++)
        for (let i = 0; i < m * m; i++) {
          const [l0, l1, l2] = [0, 1, 2].map((j) => masks[(b * K + j) * m * m + i]!) as [number, number, number];
          if (!(l0 !== 0 && l1 !== 0 && l2 !== 0 && l0 < l1 && l1 < l2)) badLogits++;
          if ((l0 > 0) !== (l2 > 0)) candidatesDiffer = true;
          positive += l1 > 0 ? 1 : 0;
          total++;
        }
    }
    expect(badLogits).toBe(0);
    expect(candidatesDiffer).toBe(true);
    expect(positive / total).toBeGreaterThan(0.1);
    expect(positive / total).toBeLessThan(0.9);
    // Scores spread across the thresholds callers use.
    for (const t of [0.1, 0.5, 0.9]) {
      expect(ious.some((v) => v < t)).toBe(true);
      expect(ious.some((v) => v > t)).toBe(true);
    }
  });

  it('slowdown adds work to image_encoder, not to its values', async () => {
    const slowDir = path.join(tempDir(), `${variant}-slow`);
    const slow = await writeFixturePackage(slowDir, { variant, slowdown: 2, name: 'tiny-slow' });
    expect(slow.name).toBe('tiny-slow');
    expect(slow.files.image_encoder.sha256).not.toBe(manifest.files.image_encoder.sha256);
    expect(slow.files.mask_decoder.sha256).toBe(manifest.files.mask_decoder.sha256);
    const session = await ort.InferenceSession.create(path.join(slowDir, slow.files.image_encoder.path));
    const { pixels } = testImages(manifest)[0]!;
    const S = manifest.image.size;
    const out = await session.run({ pixel_values: new ort.Tensor('float32', pixels, [1, 3, S, S]) });
    const ref = referenceImageEncoder(variant, pixels);
    expect(diff(out.image_embeddings!.data as Float32Array, ref.image_embeddings)).toBe('');
    await session.release();
  });
});
