/**
 * The encoder input's resize. Shrinking is sharp's (antialiased, centre-aligned like PIL); enlarging is
 * upscaleRgb's, with pixel centres aligned as in PyTorch's bilinear (align_corners=False) and PIL, which the SAM
 * processors and the training code use. sharp's own linear upscale is half an output pixel off from them.
 */
import { describe, expect, it } from 'vitest';
import { prepareImage } from '../dist/image/decode.js';
import { readImageSource } from '../dist/image/image-input.js';
import { upscaleRgb } from '../dist/ops.js';

// F.interpolate(x.float(), (5, 7), mode="bilinear", align_corners=False) of this 3×2 image, rounded (PyTorch 2).
const SMALL = [0, 10, 200, 255, 30, 7, 90, 90, 90, 17, 250, 3, 128, 64, 32, 1, 2, 254];
const SMALL_7X5 = [
  0, 10, 200, 36, 13, 172, 146, 21, 90, 255, 30, 7, 184, 56, 43, 114, 81, 78, 90, 90, 90,
  2, 34, 180, 36, 34, 156, 139, 34, 83, 242, 33, 10, 173, 54, 51, 104, 74, 93, 81, 81, 106,
  8, 130, 102, 35, 118, 90, 113, 83, 55, 192, 47, 20, 129, 47, 85, 66, 46, 150, 46, 46, 172,
  15, 226, 23, 33, 202, 24, 87, 131, 27, 141, 61, 30, 85, 39, 119, 29, 18, 208, 10, 11, 238,
  17, 250, 3, 33, 223, 7, 80, 144, 20, 128, 64, 32, 74, 37, 127, 19, 11, 222, 1, 2, 254,
];

async function prepared(rgb: number[], width: number, height: number, size: number, mode: 'stretch' | 'longest-side') {
  const source = await readImageSource({ data: Uint8Array.from(rgb), width, height, channels: 3 });
  return prepareImage(source, { size, mode });
}

describe('encoder input resize', () => {
  it('enlarges as PyTorch bilinear (align_corners=False) does', async () => {
    const p = await prepared(SMALL, 3, 2, 7, 'longest-side');
    expect(p.resizedHw).toEqual([5, 7]);
    expect(Array.from(p.rgb)).toEqual(SMALL_7X5);
  });

  it('shrinks one axis and enlarges the other in one stretch', async () => {
    // 8 wide, 2 tall, rows 0 and 200: the width shrinks to 4 (rows stay flat), the height grows to 4, where
    // PyTorch samples source rows 0, 0.25, 0.75 and 1 (clamped): 0, 50, 150, 200.
    const rgb = [...Array(8 * 3).fill(0), ...Array(8 * 3).fill(200)];
    const p = await prepared(rgb, 8, 2, 4, 'stretch');
    const rows = [0, 1, 2, 3].map((y) => Array.from(p.rgb.subarray(y * 12, y * 12 + 12)));
    expect(rows).toEqual([0, 50, 150, 200].map((v) => Array(12).fill(v)));
  });

  it('upscaleRgb only enlarges and checks its buffer', async () => {
    const rgb = new Uint8Array(4 * 4 * 3);
    await expect(upscaleRgb(rgb, { width: 4, height: 4, outWidth: 2, outHeight: 8 })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'width',
    });
    await expect(upscaleRgb(rgb.subarray(1), { width: 4, height: 4, outWidth: 8, outHeight: 8 })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'rgb',
    });
    expect((await upscaleRgb(rgb, { width: 4, height: 4, outWidth: 8, outHeight: 6 })).length).toBe(8 * 6 * 3);
  });
});
