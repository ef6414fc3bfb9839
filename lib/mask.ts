/** A binary mask: one byte per pixel, 0 or 1, row-major. */
export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

/** [x, y, width, height] of the smallest box holding every set pixel; all zero for an empty mask. */
export type BBox = [number, number, number, number];

/** Clears in `target` every pixel set in `remove` (same size). */
export function subtractMask(target: Mask, remove: Mask): void {
  const t = target.data;
  const r = remove.data;
  for (let i = 0; i < t.length; i++) t[i]! &= r[i]! ^ 1;
}

/** Sets in `target` every pixel set in `add` (same size). */
export function unionMask(target: Mask, add: Mask): void {
  const t = target.data;
  const a = add.data;
  for (let i = 0; i < t.length; i++) t[i]! |= a[i]!;
}
