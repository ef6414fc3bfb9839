import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { postprocessInstanceMasks, type InstanceMaskGeometry } from '../dist/ops.js';

// Made by scripts/fixtures/make-instance-mask-cases.py with transformers' Sam3ImageProcessor
// (post_process_instance_segmentation, PyTorch CPU float32).
const CASES = path.join(__dirname, 'fixtures', 'instance-masks-pytorch.json');

interface InstanceMaskCase {
  name: string;
  num_masks: number;
  mask_size: number;
  original_hw: [number, number];
  mask_threshold: number;
  exact: boolean;
  logits: string;
  expected: string;
  near: number[];
}

const floats = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
};

/** np.packbits (most significant bit first) back to one byte per pixel. */
const unpackBits = (b64: string, length: number) => {
  const packed = Buffer.from(b64, 'base64');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (packed[i >> 3]! >> (7 - (i & 7))) & 1;
  return out;
};

describe('postprocessInstanceMasks', () => {
  const file = JSON.parse(readFileSync(CASES, 'utf8')) as { cases: InstanceMaskCase[] };

  it('has cases of every kind', () => {
    expect(file.cases.length).toBeGreaterThanOrEqual(10);
    expect(new Set(file.cases.map((c) => c.mask_size))).toEqual(new Set([8, 16, 64]));
    expect(file.cases.some((c) => c.exact)).toBe(true);
  });

  it.each(file.cases.map((c) => [c.name, c] as const))('equals PyTorch: %s', async (_name, c) => {
    const [h, w] = c.original_hw;
    const plane = h * w;
    const expected = unpackBits(c.expected, c.num_masks * plane);
    const masks = await postprocessInstanceMasks(floats(c.logits), {
      numMasks: c.num_masks,
      maskSize: c.mask_size,
      originalHw: c.original_hw,
      maskThreshold: c.mask_threshold,
    });
    expect(masks).toHaveLength(c.num_masks);
    const skip = new Set(c.exact ? [] : c.near);
    const differing: number[] = [];
    masks.forEach((m, k) => {
      expect([m.height, m.width]).toEqual([h, w]);
      expect(m.data.length).toBe(plane);
      for (let p = 0; p < plane; p++) {
        const i = k * plane + p;
        if (m.data[p] !== expected[i] && !skip.has(i)) differing.push(i);
      }
    });
    expect(differing).toEqual([]);
  });

  it('returns views of one buffer, 0/1 bytes', async () => {
    const logits = new Float32Array(2 * 4 * 4).map((_, i) => (i % 7) - 3);
    const masks = await postprocessInstanceMasks(logits, { numMasks: 2, maskSize: 4, originalHw: [3, 5], maskThreshold: 0.5 });
    expect(masks[0]!.data.buffer).toBe(masks[1]!.data.buffer);
    for (const m of masks) expect(m.data.every((v) => v === 0 || v === 1)).toBe(true);
  });

  const good: InstanceMaskGeometry = { numMasks: 1, maskSize: 4, originalHw: [8, 6], maskThreshold: 0.5 };
  it.each([
    ['a short logits', new Float32Array(15), good, 'logits'],
    ['a long logits', new Float32Array(17), good, 'logits'],
    ['logits for two masks', new Float32Array(32), good, 'logits'],
    ['a Float64Array', new Float64Array(16), good, 'logits'],
    ['a plain array', [0, 1], good, 'logits'],
    ['no geometry', new Float32Array(16), null, 'geometry'],
    ['a NaN threshold', new Float32Array(16), { ...good, maskThreshold: NaN }, 'maskThreshold'],
    ['an infinite threshold', new Float32Array(16), { ...good, maskThreshold: Infinity }, 'maskThreshold'],
    ['a threshold above 1', new Float32Array(16), { ...good, maskThreshold: 1.5 }, 'maskThreshold'],
    ['a negative threshold', new Float32Array(16), { ...good, maskThreshold: -0.1 }, 'maskThreshold'],
    ['a string threshold', new Float32Array(16), { ...good, maskThreshold: '0.5' }, 'maskThreshold'],
    ['a missing threshold', new Float32Array(16), { numMasks: 1, maskSize: 4, originalHw: [8, 6] }, 'maskThreshold'],
    ['numMasks = 0', new Float32Array(0), { ...good, numMasks: 0 }, 'numMasks'],
    ['a fractional maskSize', new Float32Array(16), { ...good, maskSize: 4.5 }, 'maskSize'],
    ['a NaN dimension', new Float32Array(16), { ...good, originalHw: [NaN, 6] }, 'originalHw[0]'],
    ['a zero width', new Float32Array(16), { ...good, originalHw: [8, 0] }, 'originalHw[1]'],
    ['a one-element size', new Float32Array(16), { ...good, originalHw: [8] }, 'originalHw'],
    ['too many pixels', new Float32Array(16 * 5), { ...good, numMasks: 5, originalHw: [65536, 8192] }, 'originalHw'],
  ])('rejects %s with E_INVALID_OPTION', async (_name, logits, geometry, field) => {
    await expect(postprocessInstanceMasks(logits as Float32Array, geometry as never)).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field,
    });
  });
});
