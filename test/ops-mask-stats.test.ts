import { describe, expect, it } from 'vitest';
import { encodeRle, maskStats, normalizeToNchw, type Mask } from '../dist/ops.js';
import { decodeRle } from './support/rle.js';

const mask = (rows: string[]): Mask => {
  const height = rows.length;
  const width = rows[0]!.length;
  return { width, height, data: Uint8Array.from(rows.join(''), (c) => (c === '1' ? 1 : 0)) };
};

describe('maskStats', () => {
  it('gives area and [x, y, w, h]', async () => {
    const m = mask(['00000', '01010', '00100', '00000']);
    expect(await maskStats(m)).toEqual({ area: 3, bbox: [1, 1, 3, 2] });
  });

  it('gives zeros for an empty mask', async () => {
    expect(await maskStats(mask(['000', '000']))).toEqual({ area: 0, bbox: [0, 0, 0, 0] });
  });

  it('rejects a wrong-length mask with E_INVALID_OPTION', async () => {
    await expect(maskStats({ width: 3, height: 3, data: new Uint8Array(8) })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'mask.data' });
    await expect(maskStats(null as unknown as Mask)).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'mask' });
  });
});

describe('encodeRle', () => {
  it('counts down the columns, starting with the zeros', async () => {
    // columns: (0,0) (1,0) (1,1) → 0 0 1 0 1 1
    expect(await encodeRle(mask(['011', '001']))).toEqual({ size: [2, 3], counts: [2, 1, 1, 2] });
  });

  it('starts with an empty run of zeros when the first pixel is set', async () => {
    expect(await encodeRle(mask(['11', '00']))).toEqual({ size: [2, 2], counts: [0, 1, 1, 1, 1] });
  });

  it('round-trips random masks', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let t = 0; t < 20; t++) {
      const width = 1 + Math.floor(rand() * 40), height = 1 + Math.floor(rand() * 40);
      const data = Uint8Array.from({ length: width * height }, () => (rand() < 0.4 ? 1 : 0));
      const rle = await encodeRle({ width, height, data });
      expect(rle.counts.reduce((a, b) => a + b, 0)).toBe(width * height);
      expect(decodeRle(rle)).toEqual(data);
    }
  });

  it('rejects a non-typed-array mask with E_INVALID_OPTION', async () => {
    await expect(encodeRle({ width: 2, height: 1, data: [1, 0] } as unknown as Mask)).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });
});

describe('normalizeToNchw', () => {
  it('normalizes at the top left and zero-pads the rest', async () => {
    const rgb = Uint8Array.from([255, 0, 51]);
    const out = await normalizeToNchw(rgb, { width: 1, height: 1, size: 2, mean: [0.5, 0, 0], std: [0.5, 1, 0.5] });
    expect(out).toHaveLength(12);
    expect(Array.from(out)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, Math.fround(Math.fround(51 / 255) / 0.5), 0, 0, 0]);
  });

  it('rejects bad options with E_INVALID_OPTION', async () => {
    const rgb = new Uint8Array(12);
    const base = { width: 2, height: 2, size: 4, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };
    await expect(normalizeToNchw(rgb, { ...base, std: [1, 0, 1] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'std[1]' });
    await expect(normalizeToNchw(rgb, { ...base, width: 5 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'width' });
    // Values that are finite as doubles but not once rounded to float32, or whose quotient overflows it.
    await expect(normalizeToNchw(rgb, { ...base, std: [1e-50, 1, 1] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'std[0]' });
    await expect(normalizeToNchw(rgb, { ...base, mean: [0, 1e39, 0] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'mean[1]' });
    await expect(normalizeToNchw(rgb, { ...base, std: [1, 1, 1e39] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'std[2]' });
    await expect(normalizeToNchw(rgb, { ...base, mean: [3e38, 0, 0], std: [0.1, 1, 1] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'std[0]' });
    // The addon checks too, for callers that reach it without the JS layer.
    const { native } = await import('../dist/native.js');
    await expect(native().normalizeToNchw(rgb, 2, 2, 2, [0, 0, 0], [1e-50, 1, 1])).rejects.toThrow(/std\[0\] is not a finite float32/);
    await expect(native().normalizeToNchw(rgb, 2, 2, 2, [3e38, 0, 0], [0.1, 1, 1])).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    // Small but representable values still work.
    await expect(normalizeToNchw(rgb, { ...base, std: [1e-30, 1, 1] })).resolves.toBeInstanceOf(Float32Array);
    await expect(normalizeToNchw(new Uint8Array(11), base)).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'rgb' });
  });
});
