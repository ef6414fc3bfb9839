import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFile } from './support/packages.js';
import { postprocessMasks } from '../dist/ops.js';
import { referencePostprocess } from './support/reference-masks.js';

const { file: CASES, present: haveShared } = sharedFile('postprocess/pytorch-cases.json', 'the PyTorch reference cases');

interface PostprocessCase {
  name: string;
  num_masks: number;
  lowres_size: number;
  input_size: number;
  resized_hw: [number, number];
  original_hw: [number, number];
  lowres_logits: string;
  expected: string;
}

const floats = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
};

describe('postprocessMasks', () => {
  it.skipIf(!haveShared)('matches PyTorch on ≥ 99.99% of pixels in every shared case (needs ../shared)', async () => {
    const file = JSON.parse(readFileSync(CASES, 'utf8')) as { layout: string; cases: PostprocessCase[] };
    expect(file.cases.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const c of file.cases) {
      const expected = new Uint8Array(Buffer.from(c.expected, 'base64'));
      const masks = await postprocessMasks(floats(c.lowres_logits), {
        numMasks: c.num_masks,
        lowresSize: c.lowres_size,
        inputSize: c.input_size,
        resizedHw: c.resized_hw,
        originalHw: c.original_hw,
      });
      expect(masks).toHaveLength(c.num_masks);
      const [h, w] = c.original_hw;
      let diff = 0;
      masks.forEach((m, i) => {
        expect([m.height, m.width]).toEqual([h, w]);
        for (let p = 0; p < h * w; p++) if (m.data[p] !== expected[i * h * w + p]) diff++;
      });
      if (diff > expected.length * 1e-4) failures.push(`${c.name}: ${diff} of ${expected.length} pixels differ`);
    }
    expect(failures).toEqual([]);
  });

  it('agrees with a float64 reference on generated logits', async () => {
    const L = 16, S = 64;
    const logits = new Float32Array(L * L);
    for (let y = 0; y < L; y++) for (let x = 0; x < L; x++) logits[y * L + x] = 5 * Math.sin(x * 0.7) + 4 * Math.cos(y * 0.45) - 1;
    const geometry = { numMasks: 1, lowresSize: L, inputSize: S, resizedHw: [48, 64] as [number, number], originalHw: [75, 100] as [number, number] };
    const [mask] = await postprocessMasks(logits, geometry);
    const ref = referencePostprocess(Float64Array.from(logits), L, S, geometry.resizedHw, geometry.originalHw);
    let diff = 0;
    for (let i = 0; i < ref.data.length; i++) if (mask!.data[i] !== ref.data[i]) diff++;
    expect(diff).toBeLessThanOrEqual(1);
  });

  const good = { numMasks: 1, lowresSize: 4, inputSize: 16, resizedHw: [16, 12] as [number, number], originalHw: [8, 6] as [number, number] };
  it.each([
    ['a short lowres', new Float32Array(15), good, 'lowres'],
    ['a Float64Array', new Float64Array(16), good, 'lowres'],
    ['a plain array', [0, 1], good, 'lowres'],
    ['resizedHw larger than inputSize', new Float32Array(16), { ...good, resizedHw: [17, 12] }, 'resizedHw[0]'],
    ['a NaN dimension', new Float32Array(16), { ...good, originalHw: [NaN, 6] }, 'originalHw[0]'],
    ['numMasks = 0', new Float32Array(0), { ...good, numMasks: 0 }, 'numMasks'],
    ['a fractional inputSize', new Float32Array(16), { ...good, inputSize: 16.5 }, 'inputSize'],
  ])('rejects %s with E_INVALID_OPTION', async (_name, lowres, geometry, field) => {
    await expect(postprocessMasks(lowres as Float32Array, geometry as never)).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field });
  });
});
