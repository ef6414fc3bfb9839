// The declarations use Node's types (Buffer, EventEmitter, Symbol.dispose): this directive makes a
// consumer's compiler load @types/node for them, also where its `types` list is empty (TypeScript 6+).
/// <reference types="node" preserve="true" />
/**
 * `sam3clip/ops`: the mask and image operations behind the segmenter, for direct use.
 * Each function checks its options here (throwing Sam3ClipError E_INVALID_OPTION with `field`
 * set) and then makes one native call, which runs off the main thread.
 */
import { Sam3ClipError } from './errors.js';
import type { BBox, Mask } from './mask.js';
import { native, type MorphologyOp } from './native.js';

export type { Mask, BBox } from './mask.js';
export type { MorphologyOp } from './native.js';

export interface MorphologyOptions {
  /** OpenCV's MORPH_DILATE, MORPH_ERODE, MORPH_OPEN or MORPH_CLOSE. */
  op: MorphologyOp;
  /** Side of the all-ones square kernel, 1–255 (1 leaves the mask unchanged). */
  k: number;
}

export interface MaskGeometry {
  /** Masks in `lowres`. */
  numMasks: number;
  /** L: the decoder's masks are L×L. */
  lowresSize: number;
  /** S: the image encoder's square input size. */
  inputSize: number;
  /** [height, width] of the image inside the S×S input. */
  resizedHw: [number, number];
  /** [height, width] of the original image. */
  originalHw: [number, number];
}

/** SAM3 concept segmentation: the kept queries' mask logits and where their masks go. */
export interface InstanceMaskGeometry {
  /** Masks (kept queries) in `logits`. */
  numMasks: number;
  /** m: each query's mask logits are m×m. */
  maskSize: number;
  /** [height, width] of the original image. */
  originalHw: [number, number];
  /** A pixel is set where the resized probability is > this (float32), in [0, 1]; transformers' default is 0.5. */
  maskThreshold: number;
}

export interface NormalizeOptions {
  /** Size of the (already resized) image in `rgb`; both at most `size`. */
  width: number;
  height: number;
  /** S: the output is [1, 3, S, S]. */
  size: number;
  mean: [number, number, number];
  std: [number, number, number];
}

/** COCO uncompressed RLE: counts run down the columns, starting with a (possibly empty) run of 0s. */
export interface CocoRle {
  size: [number, number];
  counts: number[];
}

export const MORPHOLOGY_OPS: readonly MorphologyOp[] = ['dilate', 'erode', 'open', 'close'];
export const MAX_KERNEL = 255;
const MAX_PIXELS = 2 ** 31;

function invalid(field: string, message: string): Sam3ClipError {
  return new Sam3ClipError('E_INVALID_OPTION', `${field}: ${message}`, { field });
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(field, `expected an integer in [${min}, ${max}], got ${describe(value)}`);
  return value;
}

function pair(value: unknown, field: string, max: number): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) throw invalid(field, `expected [height, width], got ${describe(value)}`);
  return [integer(value[0], `${field}[0]`, 1, max), integer(value[1], `${field}[1]`, 1, max)];
}

function triple(value: unknown, field: string, positive: boolean): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3) throw invalid(field, `expected 3 numbers, got ${describe(value)}`);
  for (const [i, v] of value.entries())
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0)))
      throw invalid(`${field}[${i}]`, `expected a finite${positive ? ' positive' : ''} number, got ${describe(v)}`);
  return value as [number, number, number];
}

/**
 * (x/255 − mean)/std must be a finite float32 for every byte x, computed as the native code does
 * (each step rounded to float32): a std that rounds to 0 or values beyond float32's range would
 * feed the encoder Infinity or NaN.
 */
function checkNormalizationFinite(mean: [number, number, number], std: [number, number, number]): void {
  const f = Math.fround;
  for (let c = 0; c < 3; c++) {
    const m = f(mean[c]!);
    const s = f(std[c]!);
    if (!Number.isFinite(m)) throw invalid(`mean[${c}]`, `${mean[c]} is beyond float32's range`);
    if (!Number.isFinite(s) || s === 0) throw invalid(`std[${c}]`, `${std[c]} is ${s === 0 ? '0' : 'beyond float32\'s range'} in float32`);
    for (let x = 0; x < 256; x++) {
      if (!Number.isFinite(f(f(f(x / 255) - m) / s)))
        throw invalid(`std[${c}]`, `(${x}/255 − ${mean[c]}) / ${std[c]} overflows float32`);
    }
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Uint8Array).length})`;
  return Array.isArray(value) ? `an array of ${value.length}` : typeof value;
}

function checkMask(mask: unknown, field = 'mask'): Mask {
  if (typeof mask !== 'object' || mask === null) throw invalid(field, `expected { width, height, data }, got ${describe(mask)}`);
  const { width, height, data } = mask as Partial<Mask>;
  integer(width, `${field}.width`, 1, MAX_PIXELS);
  integer(height, `${field}.height`, 1, MAX_PIXELS);
  if (width! * height! > MAX_PIXELS) throw invalid(field, `${width}×${height} exceeds 2^31 pixels`);
  if (!(data instanceof Uint8Array)) throw invalid(`${field}.data`, `expected a Uint8Array, got ${describe(data)}`);
  if (data.length !== width! * height!)
    throw invalid(`${field}.data`, `expected width×height = ${width! * height!} bytes, got ${data.length}`);
  return mask as Mask;
}

/** The addon rejects bad input with a plain Error carrying `code`; callers get our error class. */
async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Sam3ClipError) throw error;
    const code = (error as { code?: unknown } | null)?.code === 'E_INVALID_OPTION' ? 'E_INVALID_OPTION' : 'E_NATIVE';
    throw new Sam3ClipError(code, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** Binary morphology with a k×k all-ones kernel, bit-exact with OpenCV 4.6 `cv::morphologyEx`. */
export async function morphology(mask: Mask, options: MorphologyOptions): Promise<Mask> {
  const { width, height, data } = checkMask(mask);
  if (typeof options !== 'object' || options === null) throw invalid('options', `expected { op, k }, got ${describe(options)}`);
  if (!MORPHOLOGY_OPS.includes(options.op))
    throw invalid('op', `expected one of ${MORPHOLOGY_OPS.join(', ')}, got ${describe(options.op)}`);
  const k = integer(options.k, 'k', 1, MAX_KERNEL);
  const out = await call(() => native().morphology(data, width, height, options.op, k));
  return { width, height, data: out };
}

/**
 * SAM's mask post-processing (PyTorch bilinear, align_corners=False): L×L logits → S×S → crop to
 * resizedHw → originalHw → > 0. Returns one mask per input mask; their `data` are views of one buffer.
 */
export async function postprocessMasks(lowres: Float32Array, geometry: MaskGeometry): Promise<Mask[]> {
  if (!(lowres instanceof Float32Array)) throw invalid('lowres', `expected a Float32Array, got ${describe(lowres)}`);
  if (typeof geometry !== 'object' || geometry === null) throw invalid('geometry', `expected an object, got ${describe(geometry)}`);
  const numMasks = integer(geometry.numMasks, 'numMasks', 1, 4096);
  const lowresSize = integer(geometry.lowresSize, 'lowresSize', 1, 4096);
  const inputSize = integer(geometry.inputSize, 'inputSize', 1, 16384);
  const [rh, rw] = pair(geometry.resizedHw, 'resizedHw', inputSize);
  const [oh, ow] = pair(geometry.originalHw, 'originalHw', MAX_PIXELS);
  if (numMasks * oh * ow > MAX_PIXELS) throw invalid('originalHw', `numMasks×height×width exceeds 2^31 bytes`);
  const expected = numMasks * lowresSize * lowresSize;
  if (lowres.length !== expected)
    throw invalid('lowres', `expected numMasks×lowresSize² = ${expected} floats, got ${lowres.length}`);
  const out = await call(() => native().postprocessMasks(lowres, numMasks, lowresSize, inputSize, rh, rw, oh, ow));
  const plane = oh * ow;
  return Array.from({ length: numMasks }, (_, i) => ({ width: ow, height: oh, data: out.subarray(i * plane, (i + 1) * plane) }));
}

/**
 * SAM3's instance masks as transformers' `Sam3ImageProcessor.post_process_instance_segmentation` makes them
 * (PyTorch CPU, float32): sigmoid of each m×m logit plane, bilinear resize of the probabilities to originalHw
 * (align_corners=False), then > maskThreshold. Returns one mask per plane; their `data` are views of one buffer.
 */
export async function postprocessInstanceMasks(logits: Float32Array, geometry: InstanceMaskGeometry): Promise<Mask[]> {
  if (!(logits instanceof Float32Array)) throw invalid('logits', `expected a Float32Array, got ${describe(logits)}`);
  if (typeof geometry !== 'object' || geometry === null) throw invalid('geometry', `expected an object, got ${describe(geometry)}`);
  const numMasks = integer(geometry.numMasks, 'numMasks', 1, 4096);
  const maskSize = integer(geometry.maskSize, 'maskSize', 1, 4096);
  const [oh, ow] = pair(geometry.originalHw, 'originalHw', MAX_PIXELS);
  if (numMasks * oh * ow > MAX_PIXELS) throw invalid('originalHw', `numMasks×height×width exceeds 2^31 bytes`);
  const threshold = geometry.maskThreshold;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold > 1)
    throw invalid('maskThreshold', `expected a finite number in [0, 1], got ${describe(threshold)}`);
  const expected = numMasks * maskSize * maskSize;
  if (logits.length !== expected)
    throw invalid('logits', `expected numMasks×maskSize² = ${expected} floats, got ${logits.length}`);
  const out = await call(() => native().postprocessInstanceMasks(logits, numMasks, maskSize, oh, ow, threshold));
  const plane = oh * ow;
  return Array.from({ length: numMasks }, (_, i) => ({ width: ow, height: oh, data: out.subarray(i * plane, (i + 1) * plane) }));
}

/** Set-pixel count and [x, y, width, height] box (all zero for an empty mask). */
export async function maskStats(mask: Mask): Promise<{ area: number; bbox: BBox }> {
  const { width, height, data } = checkMask(mask);
  return call(() => native().maskStats(data, width, height));
}

/** COCO uncompressed RLE of a mask. */
export async function encodeRle(mask: Mask): Promise<CocoRle> {
  const { width, height, data } = checkMask(mask);
  const counts = await call(() => native().encodeRle(data, width, height));
  return { size: [height, width], counts: Array.from(counts) };
}

/**
 * RGB (HWC, uint8) → float32 [1, 3, size, size]: (pixel / 255 - mean) / std at the top left,
 * zeros elsewhere (SAM's padding of a longest-side resize).
 */
export async function normalizeToNchw(rgb: Uint8Array, options: NormalizeOptions): Promise<Float32Array> {
  if (!(rgb instanceof Uint8Array)) throw invalid('rgb', `expected a Uint8Array, got ${describe(rgb)}`);
  if (typeof options !== 'object' || options === null) throw invalid('options', `expected an object, got ${describe(options)}`);
  const size = integer(options.size, 'size', 1, 8192);
  const width = integer(options.width, 'width', 1, size);
  const height = integer(options.height, 'height', 1, size);
  const mean = triple(options.mean, 'mean', false);
  const std = triple(options.std, 'std', true);
  checkNormalizationFinite(mean, std);
  if (rgb.length !== width * height * 3)
    throw invalid('rgb', `expected width×height×3 = ${width * height * 3} bytes, got ${rgb.length}`);
  return call(() => native().normalizeToNchw(rgb, width, height, size, mean, std));
}

/**
 * Resizes RGB (HWC, uint8) to outWidth × outHeight as transformers' image processors do: torchvision's
 * resize(BILINEAR, antialias=True) on the uint8 image, byte for byte (PyTorch's uint8 antialiased
 * kernel; PIL's bilinear resize is within one level). Shrinks with an antialiasing triangle filter,
 * enlarges with pixel centres aligned. This is the encoder input's resize. `filter: 'bicubic'` is
 * torchvision's resize(BICUBIC, antialias=True) instead (Keys' cubic, a = -0.5): CLIP's image resize.
 */
export async function resizeRgb(rgb: Uint8Array, size: RgbResize & { filter?: 'bilinear' | 'bicubic' }): Promise<Uint8Array> {
  // Source images come at their original size: up to 64k a side, 2^28 pixels.
  const r = rgbResize(rgb, size, { maxIn: 65535, growOnly: false });
  if (r.width * r.height > 2 ** 28) throw invalid('width', `width × height must be at most ${2 ** 28} pixels`);
  const filter = size.filter ?? 'bilinear';
  if (filter !== 'bilinear' && filter !== 'bicubic') throw invalid('filter', `expected 'bilinear' or 'bicubic', got ${describe(filter)}`);
  return call(() => native().resizeRgb(rgb, r.width, r.height, r.outWidth, r.outHeight, filter));
}

/**
 * Enlarges RGB (HWC, uint8) to outWidth × outHeight with pixel centres aligned, as PyTorch's bilinear
 * (align_corners=False) and PIL do; sharp's linear upscale is half an output pixel off from both.
 * Enlarging only (outWidth >= width, outHeight >= height); the encoder input uses resizeRgb, which does both.
 */
export async function upscaleRgb(rgb: Uint8Array, size: RgbResize): Promise<Uint8Array> {
  const r = rgbResize(rgb, size, { maxIn: 8192, growOnly: true });
  return call(() => native().upscaleRgb(rgb, r.width, r.height, r.outWidth, r.outHeight));
}

export interface RgbResize {
  width: number;
  height: number;
  outWidth: number;
  outHeight: number;
}

/** The checks resizeRgb and upscaleRgb share: an RGB buffer of width × height pixels and the sizes. */
function rgbResize(rgb: unknown, size: unknown, limits: { maxIn: number; growOnly: boolean }): RgbResize {
  if (!(rgb instanceof Uint8Array)) throw invalid('rgb', `expected a Uint8Array, got ${describe(rgb)}`);
  if (typeof size !== 'object' || size === null) throw invalid('size', `expected an object, got ${describe(size)}`);
  const s = size as Partial<RgbResize>;
  const outWidth = integer(s.outWidth, 'outWidth', 1, 8192);
  const outHeight = integer(s.outHeight, 'outHeight', 1, 8192);
  const width = integer(s.width, 'width', 1, limits.growOnly ? outWidth : limits.maxIn);
  const height = integer(s.height, 'height', 1, limits.growOnly ? outHeight : limits.maxIn);
  if (rgb.length !== width * height * 3)
    throw invalid('rgb', `expected width×height×3 = ${width * height * 3} bytes, got ${rgb.length}`);
  return { width, height, outWidth, outHeight };
}
