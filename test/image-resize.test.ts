/**
 * The encoder input's resize is transformers' own: torchvision's resize(BILINEAR, antialias=True) on the uint8 image
 * (PyTorch's uint8 antialiased kernel), growing or shrinking; scripts/export/tests/test_preprocess_transformers.py
 * checks it against Sam3ImageProcessor on photos. The references here are that kernel's output (PyTorch 2.15):
 * F.interpolate(x_uint8, size, mode="bilinear", align_corners=False, antialias=True).
 */
import { describe, expect, it } from 'vitest';
import { prepareImage } from '../dist/image/decode.js';
import { readImageSource } from '../dist/image/image-input.js';
import { resizeRgb, upscaleRgb } from '../dist/ops.js';

const SMALL = [0, 10, 200, 255, 30, 7, 90, 90, 90, 17, 250, 3, 128, 64, 32, 1, 2, 254];
// 3×2 → 7×5. Float bilinear (rounded) differs from it by one level in 10% of these values.
const SMALL_7X5 = [
  0, 10, 200, 36, 13, 172, 146, 21, 90, 255, 30, 7, 184, 56, 43, 114, 81, 78, 90, 90, 90,
  2, 34, 180, 36, 34, 156, 139, 33, 83, 242, 33, 9, 173, 54, 51, 105, 74, 92, 81, 81, 106,
  9, 130, 102, 35, 118, 90, 113, 83, 55, 192, 47, 20, 129, 47, 85, 67, 46, 150, 46, 46, 172,
  15, 226, 23, 33, 202, 23, 87, 132, 27, 141, 61, 30, 85, 39, 119, 28, 18, 208, 10, 11, 238,
  17, 250, 3, 33, 223, 7, 80, 144, 20, 128, 64, 32, 74, 37, 127, 19, 11, 222, 1, 2, 254,
];
// 9×7 → 4×3 of pixel i's channel c = (3i + c) · 37 mod 256: a reduction, where the triangle filter widens.
const PATTERN_9X7 = Array.from({ length: 9 * 7 * 3 }, (_, i) => (i * 37) % 256);
const PATTERN_4X3 = [
  132, 110, 104, 122, 133, 120, 116, 123, 136, 128, 118, 132, 118, 143, 155, 105, 112, 137, 149, 114, 114, 120, 145, 110,
  145, 135, 132, 140, 147, 92, 105, 141, 151, 135, 97, 134,
];

async function prepared(rgb: number[], width: number, height: number, size: number, mode: 'stretch' | 'longest-side') {
  const source = await readImageSource({ data: Uint8Array.from(rgb), width, height, channels: 3 });
  return prepareImage(source, { size, mode });
}

describe('encoder input resize', () => {
  it('shrinks as torchvision antialiased bilinear does', async () => {
    const out = await resizeRgb(Uint8Array.from(PATTERN_9X7), { width: 9, height: 7, outWidth: 4, outHeight: 3 });
    expect(Array.from(out)).toEqual(PATTERN_4X3);
    const p = await prepared(PATTERN_9X7, 9, 7, 4, 'longest-side');
    expect(p.resizedHw).toEqual([3, 4]);
    expect(Array.from(p.rgb)).toEqual(PATTERN_4X3);
  });

  // torchvision's resize(BICUBIC, antialias=True) of the same inputs (PyTorch 2.15, torchvision.transforms.v2):
  // CLIP's image resize. The cubic's negative lobes overshoot, so values saturate at 0 and 255.
  it('filter bicubic enlarges and shrinks as torchvision antialiased bicubic does', async () => {
    const SMALL_7X5_BICUBIC = [
      0, 0, 241, 25, 0, 199, 161, 4, 94, 255, 27, 5, 211, 61, 21, 117, 93, 66, 81, 106, 82, 0, 24, 205, 25, 26, 169, 150,
      26, 81, 247, 32, 9, 191, 56, 38, 102, 80, 91, 69, 90, 108, 3, 132, 110, 27, 122, 93, 121, 84, 45, 192, 47, 20, 139,
      41, 82, 61, 46, 157, 37, 48, 177, 6, 239, 14, 29, 218, 16, 92, 141, 9, 136, 62, 30, 87, 26, 125, 20, 11, 223, 5, 6,
      245, 7, 255, 0, 29, 255, 0, 81, 163, 0, 115, 67, 34, 67, 21, 142, 5, 0, 248, 0, 0, 255,
    ];
    const PATTERN_4X3_BICUBIC = [
      131, 104, 100, 124, 138, 118, 114, 125, 141, 127, 115, 131, 118, 147, 157, 103, 109, 145, 155, 112, 111, 117, 149,
      108, 148, 136, 135, 142, 149, 87, 94, 142, 153, 140, 92, 134,
    ];
    const up = await resizeRgb(Uint8Array.from(SMALL), { width: 3, height: 2, outWidth: 7, outHeight: 5, filter: 'bicubic' });
    expect(Array.from(up)).toEqual(SMALL_7X5_BICUBIC);
    const down = await resizeRgb(Uint8Array.from(PATTERN_9X7), { width: 9, height: 7, outWidth: 4, outHeight: 3, filter: 'bicubic' });
    expect(Array.from(down)).toEqual(PATTERN_4X3_BICUBIC);
    await expect(resizeRgb(Uint8Array.from(SMALL), { width: 3, height: 2, outWidth: 7, outHeight: 5, filter: 'lanczos' as never })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'filter',
    });
  });

  it('resizeRgb checks its arguments', async () => {
    const rgb = new Uint8Array(4 * 4 * 3);
    await expect(resizeRgb(rgb.subarray(1), { width: 4, height: 4, outWidth: 2, outHeight: 2 })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'rgb',
    });
    await expect(resizeRgb(rgb, { width: 4, height: 4, outWidth: 0, outHeight: 2 })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'outWidth',
    });
    expect(Array.from(await resizeRgb(Uint8Array.from(SMALL), { width: 3, height: 2, outWidth: 3, outHeight: 2 }))).toEqual(SMALL);
  });

  it('enlarges as torchvision antialiased bilinear does', async () => {
    const p = await prepared(SMALL, 3, 2, 7, 'longest-side');
    expect(p.resizedHw).toEqual([5, 7]);
    expect(Array.from(p.rgb)).toEqual(SMALL_7X5);
  });

  it('shrinks one axis and enlarges the other in one stretch', async () => {
    // 8 wide, 2 tall, rows 0 and 200: the width shrinks to 4 (rows stay flat), the height grows to 4, sampling
    // source rows 0, 0.25, 0.75 and 1 (clamped): 0, 50, 150, 200.
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
