import type { ImageTowerSpec } from '../model/manifest-types.js';

/**
 * CLIP's image preprocessing as transformers' CLIPImageProcessor does it (its torchvision backend): the
 * shortest side resized to T with torchvision's resize(BICUBIC, antialias=True) on the uint8 image, the
 * centre T×T cropped, then (pixel / 255 - mean) / std. The bicubic resize is PyTorch's uint8 antialiased
 * kernel (Keys' cubic, a = -0.5, stretched by the reduction, int16 weights, a horizontal then a vertical
 * pass rounded to 8 bits), here in plain TypeScript: it runs once per suggestion, on one small image.
 */

/** [h, w] after the shortest-side resize: the long side is truncated as transformers does (int(T · long / short)). */
export function shortestSideSize(width: number, height: number, size: number): [number, number] {
  if (width <= height) return [Math.trunc((size * height) / width), size];
  return [size, Math.trunc((size * width) / height)];
}

function cubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

interface Taps {
  first: Int32Array;
  count: Int32Array;
  ksize: number;
  weights: Int16Array;
  precision: number;
}

/** PyTorch's antialiased bicubic taps for one axis, in int16 at the finest precision that fits. */
function bicubicTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const support = scale >= 1 ? 2 * scale : 2;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const w = new Float64Array(outSize * ksize);
  let maxWeight = 0;
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    first[i] = lo;
    count[i] = hi - lo;
    let total = 0;
    for (let j = 0; j < hi - lo; j++) total += w[i * ksize + j] = cubic((j + lo - center + 0.5) * invScale);
    if (total !== 0)
      for (let j = 0; j < hi - lo; j++) maxWeight = Math.max(maxWeight, (w[i * ksize + j]! /= total));
  }
  let precision = 0;
  while (precision < 22 && Math.trunc(0.5 + maxWeight * 2 ** (precision + 1)) < 1 << 15) precision++;
  const weights = new Int16Array(w.length);
  for (let k = 0; k < w.length; k++) {
    const v = w[k]! * 2 ** precision;
    weights[k] = Math.trunc(v < 0 ? v - 0.5 : v + 0.5);
  }
  return { first, count, ksize, weights, precision };
}

/** One pass along an axis; `inTap`/`outTap` are the byte steps between taps, `inLine`/`outLine` between lines. */
function pass(taps: Taps, src: Uint8Array, dst: Uint8Array, outSize: number, lines: number, inTap: number, inLine: number, outTap: number, outLine: number): void {
  const half = 1 << (taps.precision - 1);
  for (let line = 0; line < lines; line++) {
    for (let i = 0; i < outSize; i++) {
      const base = line * inLine + taps.first[i]! * inTap;
      const wBase = i * taps.ksize;
      let r = half;
      let g = half;
      let b = half;
      for (let j = 0; j < taps.count[i]!; j++) {
        const wj = taps.weights[wBase + j]!;
        const s = base + j * inTap;
        r += src[s]! * wj;
        g += src[s + 1]! * wj;
        b += src[s + 2]! * wj;
      }
      const o = line * outLine + i * outTap;
      // Arithmetic shift, then saturate to 8 bits (the cubic's negative lobes can overshoot).
      dst[o] = Math.min(255, Math.max(0, r >> taps.precision));
      dst[o + 1] = Math.min(255, Math.max(0, g >> taps.precision));
      dst[o + 2] = Math.min(255, Math.max(0, b >> taps.precision));
    }
  }
}

/** RGB (HWC, uint8) → outWidth × outHeight with PyTorch's antialiased bicubic kernel: horizontal, then vertical. */
export function resizeBicubicRgb(rgb: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  let src = rgb;
  let w = width;
  if (outWidth !== width) {
    const dst = new Uint8Array(outWidth * height * 3);
    pass(bicubicTaps(width, outWidth), src, dst, outWidth, height, 3, width * 3, 3, outWidth * 3);
    src = dst;
    w = outWidth;
  }
  if (outHeight !== height) {
    const dst = new Uint8Array(w * outHeight * 3);
    const row = w * 3;
    pass(bicubicTaps(height, outHeight), src, dst, outHeight, w, row, 3, row, 3);
    src = dst;
  }
  return src === rgb ? rgb.slice() : src;
}

/** The centre size × size of an RGB image at least that large (the top-left offset truncated, as transformers). */
export function centerCropRgb(rgb: Uint8Array, width: number, height: number, size: number): Uint8Array {
  const top = Math.trunc((height - size) / 2);
  const left = Math.trunc((width - size) / 2);
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) out.set(rgb.subarray(((top + y) * width + left) * 3, ((top + y) * width + left + size) * 3), y * size * 3);
  return out;
}

/** Upright RGB at the original size → the image tower's pixel_values [1,3,T,T]. */
export function imageTowerPixels(rgb: Uint8Array, width: number, height: number, spec: ImageTowerSpec): Float32Array {
  const T = spec.size;
  const [h, w] = shortestSideSize(width, height, T);
  // An image smaller than T on its long side too is enlarged to at least T×T, so the crop always fits.
  const resized = resizeBicubicRgb(rgb, width, height, Math.max(w, T), Math.max(h, T));
  const crop = centerCropRgb(resized, Math.max(w, T), Math.max(h, T), T);
  const plane = T * T;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = spec.mean[c]!;
    const std = spec.std[c]!;
    for (let p = 0; p < plane; p++) out[c * plane + p] = (crop[p * 3 + c]! / 255 - mean) / std;
  }
  return out;
}
