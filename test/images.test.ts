import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, type Segmenter } from '../dist/index.js';
import { blocksImage, png } from './support/images.js';
import { makePackage, SHARED } from './support/packages.js';

const IMAGES = path.join(SHARED, 'images');
const haveShared = existsSync(IMAGES);
if (!haveShared) console.warn(`[images.test] ${IMAGES} is absent: the shared-image cases are skipped`);

let segmenter: Segmenter;
beforeAll(async () => {
  segmenter = await createSegmenter({ models: await makePackage('longest-side'), threads: 1 });
});
afterAll(() => segmenter?.dispose());

describe('hostile and unusual images (generated)', () => {
  it('empty buffer → E_IMAGE_EMPTY', async () => {
    await expect(segmenter.segment(Buffer.alloc(0), 'x')).rejects.toMatchObject({ code: 'E_IMAGE_EMPTY' });
  });
  it('text bytes → E_IMAGE_DECODE', async () => {
    await expect(segmenter.segment(Buffer.from('hello, I am not a picture'), 'x')).rejects.toMatchObject({
      code: 'E_IMAGE_DECODE',
    });
  });
  it('truncated PNG and JPEG → E_IMAGE_DECODE', async () => {
    const rgb = blocksImage(200, 120, [10, 200, 30], [{ x: 5, y: 5, w: 50, h: 50, rgb: [200, 0, 0] }]);
    for (const encoded of [
      await png(rgb, 200, 120),
      await sharp(rgb, { raw: { width: 200, height: 120, channels: 3 } }).jpeg().toBuffer(),
    ]) {
      const cut = encoded.subarray(0, Math.floor(encoded.length / 2));
      await expect(segmenter.segment(cut, 'x')).rejects.toMatchObject({ code: 'E_IMAGE_DECODE' });
    }
  });
  it('missing file → E_IMAGE_DECODE naming it', async () => {
    await expect(segmenter.segment('/nonexistent/photo.jpg', 'x')).rejects.toMatchObject({
      code: 'E_IMAGE_DECODE',
      file: '/nonexistent/photo.jpg',
    });
  });
  it('a generated decompression bomb (7000×7000 zeros) → E_IMAGE_TOO_LARGE, quickly', async () => {
    const bomb = await sharp({ create: { width: 7000, height: 7000, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const start = Date.now();
    await expect(segmenter.segment(bomb, 'x')).rejects.toMatchObject({ code: 'E_IMAGE_TOO_LARGE' });
    expect(Date.now() - start).toBeLessThan(5000);
  });
  it('EXIF orientation is applied: masks come back upright', async () => {
    const rgb = blocksImage(80, 40, [30, 30, 30], []);
    const jpeg = await sharp(rgb, { raw: { width: 80, height: 40, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const [r] = await segmenter.segment(jpeg, 'x');
    expect([r!.mask.width, r!.mask.height]).toEqual([40, 80]);
  });
  it('WebP, TIFF and GIF (first frame) decode', async () => {
    const rgb = blocksImage(48, 32, [30, 90, 200], []);
    const base = () => sharp(rgb, { raw: { width: 48, height: 32, channels: 3 } });
    for (const encoded of [await base().webp().toBuffer(), await base().tiff().toBuffer(), await base().gif().toBuffer()]) {
      const [r] = await segmenter.segment(encoded, 'x');
      expect([r!.mask.width, r!.mask.height]).toEqual([48, 32]);
    }
  });
  it('16-bit, grayscale and alpha inputs become 8-bit RGB', async () => {
    const sixteen = await sharp(blocksImage(40, 30, [100, 50, 20], []), { raw: { width: 40, height: 30, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(sixteen).metadata()).depth).toBe('ushort');
    const gray = await sharp(Buffer.alloc(40 * 30, 128), { raw: { width: 40, height: 30, channels: 1 } }).png().toBuffer();
    const alpha = await sharp(Buffer.alloc(40 * 30 * 4, 200), { raw: { width: 40, height: 30, channels: 4 } }).png().toBuffer();
    for (const encoded of [sixteen, gray, alpha]) {
      const [r] = await segmenter.segment(encoded, 'x');
      expect([r!.mask.width, r!.mask.height]).toEqual([40, 30]);
    }
  });
});

describe.skipIf(!haveShared)('shared images (../shared/images)', () => {
  const expectations: [string, { code: string } | { size: [number, number] }][] = [
    ['truncated.jpg', { code: 'E_IMAGE_DECODE' }],
    ['empty.jpg', { code: 'E_IMAGE_EMPTY' }],
    ['not-an-image.png', { code: 'E_IMAGE_DECODE' }],
    ['bomb-16000x16000.png', { code: 'E_IMAGE_TOO_LARGE' }],
    ['chelsea-exif-orientation-6.jpg', { size: [451, 300] }],
    ['chelsea.png', { size: [451, 300] }],
    ['chessboard_RGB.png', { size: [200, 200] }],
    ['palette_color.png', { size: [10, 10] }],
    ['foo3x5x4indexed.png', { size: [5, 3] }],
    ['horse.png', { size: [400, 328] }],
    ['camera.png', { size: [512, 512] }],
    ['checker_bilevel.png', { size: [10, 10] }],
  ];
  it.each(expectations)('%s', async (name, expected) => {
    const file = path.join(IMAGES, name);
    const outcome = segmenter.segment(file, 'a cat');
    if ('code' in expected) {
      await expect(outcome).rejects.toMatchObject({ code: expected.code });
    } else {
      const [r] = await outcome;
      expect([r!.mask.width, r!.mask.height]).toEqual(expected.size);
    }
    // The segmenter stays usable after every failure.
    const [ok] = await segmenter.segment(await png(blocksImage(16, 16, [0, 0, 0], []), 16, 16), 'x');
    expect(ok!.mask.width).toBe(16);
  });
});
