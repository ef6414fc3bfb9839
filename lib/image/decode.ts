import sharp from 'sharp';
import { Sam3ClipError } from '../errors.js';
import { resizeRgb } from '../ops.js';
import type { ImageSource } from './image-input.js';

export const DEFAULT_MAX_PIXELS = 40_000_000;

/** Geometry of an image prepared for the encoder. */
export interface PreparedImage {
  /** Upright size of the original (EXIF orientation applied). */
  width: number;
  height: number;
  /** [h, w] of the resized image inside the encoder's S×S input. */
  resizedHw: [number, number];
  /** Resized RGB pixels, HWC, resizedHw[0] × resizedHw[1] × 3. */
  rgb: Uint8Array;
}

export interface ResizeSpec {
  size: number;
  mode: 'stretch' | 'longest-side';
  maxPixels?: number;
}

/** Size of the image inside the S×S encoder input; longest-side rounds like the SAM processors. */
export function resizedSize(width: number, height: number, spec: ResizeSpec): [number, number] {
  if (spec.mode === 'stretch') return [spec.size, spec.size];
  const scale = spec.size / Math.max(width, height);
  return [
    Math.max(1, Math.min(spec.size, Math.floor(height * scale + 0.5))),
    Math.max(1, Math.min(spec.size, Math.floor(width * scale + 0.5))),
  ];
}

function sharpInput(source: ImageSource, maxPixels: number): sharp.Sharp {
  return sharp(source.bytes, {
    // The pixel limit is enforced by us from the header; sharp's own check stays as a second fence.
    limitInputPixels: maxPixels,
    // The reference (transformers, through PIL) reads the stored RGB values and ignores an embedded
    // ICC profile; sharp would convert through it (5.7 levels apart on average on such photos).
    ignoreIcc: true,
    failOn: 'error',
    pages: 1,
    ...(source.raw ? { raw: source.raw } : {}),
  });
}

/** Upright 8-bit sRGB, alpha dropped (as PIL's convert('RGB')): the pipeline every decode starts with. */
function uprightRgb(source: ImageSource, maxPixels: number): sharp.Sharp {
  return sharpInput(source, maxPixels).autoOrient().toColourspace('srgb').removeAlpha();
}

function decodeError(source: ImageSource, cause: unknown): Sam3ClipError {
  const message = (cause as Error)?.message ?? String(cause);
  if (/pixel limit/i.test(message))
    return new Sam3ClipError('E_IMAGE_TOO_LARGE', `${source.label}: ${message}`, { cause });
  return new Sam3ClipError('E_IMAGE_DECODE', `Cannot decode ${source.label}: ${message.split('\n')[0]}`, {
    cause,
    ...(source.kind === 'encoded' && source.label !== 'image buffer' ? { file: source.label } : {}),
  });
}

/** Reads the header only: upright size, checked against the pixel limit before any pixel is decoded. */
export async function probeImage(source: ImageSource, maxPixels = DEFAULT_MAX_PIXELS): Promise<{ width: number; height: number }> {
  let meta: sharp.Metadata;
  try {
    meta = await sharpInput(source, 0).metadata();
  } catch (cause) {
    throw decodeError(source, cause);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new Sam3ClipError('E_IMAGE_DECODE', `${source.label} has no pixels`);
  if (width * height > maxPixels)
    throw new Sam3ClipError(
      'E_IMAGE_TOO_LARGE',
      `${source.label} is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP); the limit is ${(maxPixels / 1e6).toFixed(1)} MP (option maxPixels)`,
    );
  return { width, height };
}

/**
 * Decodes to upright 8-bit RGB with sharp (EXIF orientation applied, first frame only, alpha dropped as
 * PIL's convert('RGB') does, gray/palette/16-bit → 8-bit) and resizes it for the encoder with resizeRgb.
 * `probed` is probeImage's answer for this source where the caller already has it.
 */
export async function prepareImage(
  source: ImageSource,
  spec: ResizeSpec,
  probed?: { width: number; height: number },
): Promise<PreparedImage> {
  const maxPixels = spec.maxPixels ?? DEFAULT_MAX_PIXELS;
  const { width, height } = probed ?? (await probeImage(source, maxPixels));
  const resizedHw = resizedSize(width, height, spec);
  try {
    // sharp decodes at full size; the resize is resizeRgb's, byte for byte the one transformers'
    // processors apply (torchvision's antialiased bilinear on uint8), growing or shrinking.
    const { data, info } = await uprightRgb(source, maxPixels).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== width || info.height !== height)
      throw new Error(`unexpected decoder output ${info.width}×${info.height}×${info.channels}`);
    let rgb: Uint8Array = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (resizedHw[0] !== height || resizedHw[1] !== width)
      rgb = await resizeRgb(rgb, { width, height, outWidth: resizedHw[1], outHeight: resizedHw[0] });
    return { width, height, resizedHw, rgb };
  } catch (cause) {
    if (cause instanceof Sam3ClipError) throw cause;
    throw decodeError(source, cause);
  }
}

/** Upright 8-bit RGB at the original size (for overlays). */
export async function decodeRgb(source: ImageSource, maxPixels = DEFAULT_MAX_PIXELS): Promise<{ width: number; height: number; rgb: Buffer }> {
  await probeImage(source, maxPixels);
  try {
    const { data, info } = await uprightRgb(source, maxPixels)
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, rgb: data };
  } catch (cause) {
    throw decodeError(source, cause);
  }
}
