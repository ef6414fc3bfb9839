import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MASK_COLOURS, maskToPng, renderOverlay } from '../dist/index.js';
import { blocksImage, png } from './support/images.js';

const mask = (w: number, h: number, on: (x: number, y: number) => boolean) => {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = on(x, y) ? 1 : 0;
  return { width: w, height: h, data };
};

describe('mask and overlay rendering', () => {
  it('maskToPng round-trips to 0/255 grayscale', async () => {
    const m = mask(7, 5, (x, y) => (x + y) % 3 === 0);
    const { data, info } = await sharp(await maskToPng(m)).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([7, 5, 1]);
    expect((await sharp(await maskToPng(m)).metadata()).channels).toBe(1);
    expect(Array.from(data)).toEqual(Array.from(m.data, (v) => v * 255));
  });

  it('rejects a malformed mask with E_INVALID_OPTION', async () => {
    await expect(maskToPng({ width: 3, height: 3, data: new Uint8Array(4) })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });

  it('tints each mask in its own colour and leaves the rest alone', async () => {
    const image = await png(blocksImage(60, 40, [0, 0, 0], []), 60, 40);
    const left = mask(60, 40, (x) => x < 20);
    const right = mask(60, 40, (x) => x >= 40);
    const results = [
      { prompt: 'left', mask: left, score: 0.9, bbox: [0, 0, 20, 40] as [number, number, number, number], area: 800 },
      { prompt: 'right', mask: right, score: 0.8, bbox: [40, 0, 20, 40] as [number, number, number, number], area: 800 },
    ];
    const out = await renderOverlay(image, results, { labels: false, opacity: 1 });
    const { data } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => Array.from(data.subarray((y * 60 + x) * 3, (y * 60 + x) * 3 + 3));
    expect(px(5, 20)).toEqual(MASK_COLOURS[0]);
    expect(px(50, 20)).toEqual(MASK_COLOURS[1]);
    expect(px(30, 20)).toEqual([0, 0, 0]);
    const labelled = await renderOverlay(image, results, { format: 'jpeg' });
    expect((await sharp(labelled).metadata()).format).toBe('jpeg');
    expect((await sharp(await renderOverlay(image, results, { format: 'webp' })).metadata()).format).toBe('webp');
    await expect(renderOverlay(image, results, { format: 'gif' as 'png' })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'format',
    });
    await expect(renderOverlay(image, results, { ...{ opactiy: 1 } })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'opactiy',
    });
    await expect(renderOverlay(image, [{ ...results[0]!, mask: mask(10, 10, () => true) }])).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    });
  });
});
