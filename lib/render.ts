import sharp from 'sharp';
import { Sam3ClipError } from './errors.js';
import { rejectUnknownOptions } from './options.js';
import { decodeRgb } from './image/decode.js';
import { readImageSource, type ImageInput } from './image/image-input.js';
import type { Mask } from './mask.js';
import type { SegmentResult } from './segmenter.js';

/** Distinct colours for up to 12 masks, then repeating. */
export const MASK_COLOURS: readonly [number, number, number][] = [
  [230, 25, 75], [60, 180, 75], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240],
  [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255], [170, 110, 40],
];

function checkMask(mask: Mask): void {
  if (!mask || !(mask.data instanceof Uint8Array) || mask.data.length !== mask.width * mask.height || mask.width < 1)
    throw new Sam3ClipError('E_INVALID_OPTION', 'mask must be { width, height, data: Uint8Array(width*height) }', { field: 'mask' });
}

/** A mask as an 8-bit grayscale PNG (0 background, 255 object). */
export async function maskToPng(mask: Mask): Promise<Buffer> {
  checkMask(mask);
  const pixels = Buffer.alloc(mask.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = mask.data[i] ? 255 : 0;
  return sharp(pixels, { raw: { width: mask.width, height: mask.height, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

export type OverlayFormat = 'png' | 'jpeg' | 'webp';
const OVERLAY_FORMATS: readonly OverlayFormat[] = ['png', 'jpeg', 'webp'];
const OVERLAY_OPTIONS = ['format', 'opacity', 'labels', 'maxPixels'] as const satisfies readonly (keyof OverlayOptions)[];

export interface OverlayOptions {
  /** Encoding of the returned image (default 'png'). */
  format?: OverlayFormat;
  /** Opacity of the mask colour, 0–1 (default 0.5). */
  opacity?: number;
  /** Draw "label score" beside each mask (default true). */
  labels?: boolean;
  maxPixels?: number;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The image with each result's mask tinted in its own colour, labelled with its prompt and score. */
export async function renderOverlay(
  image: ImageInput,
  results: readonly Pick<SegmentResult, 'prompt' | 'mask' | 'score' | 'bbox' | 'area'>[],
  options: OverlayOptions = {},
): Promise<Buffer> {
  rejectUnknownOptions(options, OVERLAY_OPTIONS);
  const format = options.format ?? 'png';
  if (!OVERLAY_FORMATS.includes(format))
    throw new Sam3ClipError('E_INVALID_OPTION', `Option format must be one of ${OVERLAY_FORMATS.join(', ')}, got ${JSON.stringify(format)}`, {
      field: 'format',
    });
  const opacity = options.opacity ?? 0.5;
  if (!(opacity >= 0 && opacity <= 1))
    throw new Sam3ClipError('E_INVALID_OPTION', 'opacity must be from 0 to 1', { field: 'opacity' });
  const { width, height, rgb } = await decodeRgb(await readImageSource(image), options.maxPixels);
  results.forEach((r, i) => {
    checkMask(r.mask);
    if (r.mask.width !== width || r.mask.height !== height)
      throw new Sam3ClipError('E_INVALID_OPTION', `mask ${i} is ${r.mask.width}×${r.mask.height}, the image ${width}×${height}`, {
        field: 'mask',
      });
    const colour = MASK_COLOURS[i % MASK_COLOURS.length]!;
    const data = r.mask.data;
    for (let p = 0; p < data.length; p++) {
      if (!data[p]) continue;
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(rgb[p * 3 + c]! * (1 - opacity) + colour[c]! * opacity);
    }
  });
  let pipeline = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (options.labels !== false && results.some((r) => r.area > 0)) {
    const fontSize = Math.max(10, Math.round(Math.min(width, height) / 30));
    const labels = results
      .map((r, i) => {
        if (r.area === 0) return '';
        const [x, y] = r.bbox;
        const [cr, cg, cb] = MASK_COLOURS[i % MASK_COLOURS.length]!;
        const text = escapeXml(`${r.prompt} ${r.score.toFixed(2)}`);
        const ty = Math.max(fontSize, y);
        return `<text x="${x}" y="${ty}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="rgb(${cr},${cg},${cb})" stroke="black" stroke-width="${Math.max(1, fontSize / 12)}" paint-order="stroke">${text}</text>`;
      })
      .join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${labels}</svg>`;
    pipeline = pipeline.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  if (format === 'jpeg') return pipeline.jpeg({ quality: 90 }).toBuffer();
  if (format === 'webp') return pipeline.webp({ quality: 90 }).toBuffer();
  return pipeline.png().toBuffer();
}
