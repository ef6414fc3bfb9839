import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Sam3ClipError } from '../errors.js';

/** Pixels already decoded: row-major, `channels` bytes per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** A file path, encoded bytes (JPEG, PNG, WebP, TIFF, GIF) or raw pixels. */
export type ImageInput = string | Uint8Array | ArrayBuffer | RawImage;

/** The input read into memory: the bytes sharp decodes and the content key the caches use. */
export interface ImageSource {
  kind: 'encoded' | 'raw';
  bytes: Uint8Array;
  raw?: { width: number; height: number; channels: 1 | 2 | 3 | 4 };
  /** SHA-256 of the content (and raw geometry): equal keys mean equal images. */
  key: string;
  /** Where it came from, for error messages. */
  label: string;
}

export function isRawImage(value: unknown): value is RawImage {
  return (
    value !== null &&
    typeof value === 'object' &&
    !ArrayBuffer.isView(value) &&
    'data' in value &&
    'width' in value &&
    'height' in value
  );
}

function invalid(message: string, field = 'image'): Sam3ClipError {
  return new Sam3ClipError('E_INVALID_OPTION', message, { field });
}

function validateRaw(image: RawImage): void {
  const { width, height, channels, data } = image;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray))
    throw invalid('Raw image data must be a Uint8Array or Uint8ClampedArray', 'image.data');
  if (!Number.isInteger(width) || width < 1) throw invalid('Raw image width must be a positive integer', 'image.width');
  if (!Number.isInteger(height) || height < 1)
    throw invalid('Raw image height must be a positive integer', 'image.height');
  if (![1, 2, 3, 4].includes(channels)) throw invalid('Raw image channels must be 1, 2, 3 or 4', 'image.channels');
  if (data.length !== width * height * channels)
    throw invalid(
      `Raw image data has ${data.length} bytes; width × height × channels = ${width * height * channels}`,
      'image.data',
    );
}

/** Reads the input into memory and computes its content key, without decoding it. */
export async function readImageSource(input: ImageInput): Promise<ImageSource> {
  if (typeof input === 'string') {
    let bytes: Buffer;
    try {
      bytes = await readFile(input);
    } catch (cause) {
      throw new Sam3ClipError('E_IMAGE_DECODE', `Cannot read image file ${input}: ${(cause as Error).message}`, {
        file: input,
        cause,
      });
    }
    if (bytes.length === 0)
      throw new Sam3ClipError('E_IMAGE_EMPTY', `Image file ${input} is empty`, { file: input });
    return { kind: 'encoded', bytes, key: hashBytes(bytes), label: input };
  }
  if (input instanceof ArrayBuffer) return readImageSource(new Uint8Array(input));
  if (input instanceof Uint8Array) {
    if (input.length === 0) throw new Sam3ClipError('E_IMAGE_EMPTY', 'Image buffer is empty');
    return { kind: 'encoded', bytes: input, key: hashBytes(input), label: 'image buffer' };
  }
  if (isRawImage(input)) {
    validateRaw(input);
    const bytes = new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.byteLength);
    const geometry = { width: input.width, height: input.height, channels: input.channels };
    const key = hashBytes(bytes, `raw:${geometry.width}x${geometry.height}x${geometry.channels}`);
    return { kind: 'raw', bytes, raw: geometry, key, label: 'raw image' };
  }
  throw invalid('Image must be a file path, a Buffer/Uint8Array of encoded bytes, or { data, width, height, channels }');
}

function hashBytes(bytes: Uint8Array, prefix = 'encoded'): string {
  return createHash('sha256').update(prefix).update(bytes).digest('hex');
}
