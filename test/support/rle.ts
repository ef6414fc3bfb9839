/** COCO uncompressed RLE as the references store it: column-major counts, background first. */
export interface Rle {
  size: [number, number];
  counts: number[];
}

/** COCO uncompressed RLE → row-major 0/1. */
export function decodeRle({ size: [h, w], counts }: Rle): Uint8Array {
  const out = new Uint8Array(h * w);
  let i = 0;
  counts.forEach((n, k) => {
    for (let j = 0; j < n; j++, i++) if (k % 2) out[(i % h) * w + Math.floor(i / h)] = 1;
  });
  return out;
}
