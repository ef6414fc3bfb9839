import sharp from 'sharp';

/** Solid rectangles on a background: RGB, HWC. */
export function blocksImage(
  width: number,
  height: number,
  background: [number, number, number],
  blocks: { x: number; y: number; w: number; h: number; rgb: [number, number, number] }[],
): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(background, i * 3);
  for (const b of blocks)
    for (let y = b.y; y < Math.min(height, b.y + b.h); y++)
      for (let x = b.x; x < Math.min(width, b.x + b.w); x++) rgb.set(b.rgb, (y * width + x) * 3);
  return rgb;
}

export function png(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
