import type { ImageTowerSpec } from '../model/manifest-types.js';
import { resizeRgb } from '../ops.js';

/**
 * CLIP's image preprocessing as transformers' CLIPImageProcessor does it (its torchvision backend): the
 * shortest side resized to T with torchvision's resize(BICUBIC, antialias=True) on the uint8 image (the
 * native resize's bicubic filter, byte for byte), the centre T×T cropped, then (pixel / 255 - mean) / std.
 */

/** [h, w] after the shortest-side resize: the long side is truncated as transformers does (int(T · long / short)). */
export function shortestSideSize(width: number, height: number, size: number): [number, number] {
  if (width <= height) return [Math.trunc((size * height) / width), size];
  return [size, Math.trunc((size * width) / height)];
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
export async function imageTowerPixels(rgb: Uint8Array, width: number, height: number, spec: ImageTowerSpec): Promise<Float32Array> {
  const T = spec.size;
  const [h, w] = shortestSideSize(width, height, T);
  // An image smaller than T on its long side too is enlarged to at least T×T, so the crop always fits.
  const resized = await resizeRgb(rgb, { width, height, outWidth: Math.max(w, T), outHeight: Math.max(h, T), filter: 'bicubic' });
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
