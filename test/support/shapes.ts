/**
 * Coloured-shapes images, the same kind scripts/training/shapes.py writes for training: 2–4 filled
 * circles, squares and triangles in red, green and blue on a noisy grey background, overlapping a
 * little at most, with the visible mask of every shape. Seeded (mulberry32) so a test sees the same
 * images on every run; the Python generator uses numpy's RNG, so no seed here repeats a training image.
 * Keep the constants in step with shapes.py.
 */
import { prng } from '../../scripts/fixtures/fixture-spec.js';

export const COLOURS = { red: [220, 40, 40], green: [40, 190, 60], blue: [50, 80, 230] } as const;
export const SHAPES = ['circle', 'square', 'triangle'] as const;
export type Colour = keyof typeof COLOURS;
export type Shape = (typeof SHAPES)[number];

const IMAGE_SIZE = 128;
const RADIUS: [number, number] = [14, 28];
const OBJECTS: [number, number] = [2, 4];
const COLOUR_JITTER = 20;
const BACKGROUND: [number, number] = [30, 100];
const BACKGROUND_NOISE = 24;
const OBJECT_NOISE = 12;
const MAX_OVERLAP = 0.15;

export interface ShapeInstance {
  category: string;
  /** Visible pixels (later shapes cover earlier ones): 0/1, row-major. */
  mask: Uint8Array;
}

export interface ShapesImage {
  width: number;
  height: number;
  /** RGB, row-major, 3 bytes per pixel: pass as { data, width, height, channels: 3 } to segment(). */
  rgb: Uint8Array;
  instances: ShapeInstance[];
}


/** Sampled at pixel centres with no anti-aliasing, as in shapes.py. */
export function shapeMask(shape: Shape, cx: number, cy: number, r: number, size: number): Uint8Array {
  const m = new Uint8Array(size * size);
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      const x = px + 0.5;
      const y = py + 0.5;
      let inside: boolean;
      if (shape === 'circle') inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
      else if (shape === 'square') inside = Math.abs(x - cx) <= r && Math.abs(y - cy) <= r;
      else inside = y >= cy - r && y <= cy + r && Math.abs(x - cx) <= ((y - (cy - r)) / (2 * r)) * r;
      m[py * size + px] = inside ? 1 : 0;
    }
  return m;
}

const count = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);

/** One image from its seed. */
export function shapesImage(seed: number, size = IMAGE_SIZE): ShapesImage {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const uniform = (lo: number, hi: number) => lo + rand() * (hi - lo);
  const base = [int(...BACKGROUND), int(...BACKGROUND), int(...BACKGROUND)];
  const img = new Int32Array(size * size * 3);
  for (let i = 0; i < size * size * 3; i++) img[i] = base[i % 3]! + int(-BACKGROUND_NOISE, BACKGROUND_NOISE);
  const colours = Object.keys(COLOURS) as Colour[];
  const instances: ShapeInstance[] = [];
  const wanted = int(...OBJECTS);
  for (let attempt = 0; attempt < wanted * 20 && instances.length < wanted; attempt++) {
    const colour = colours[int(0, colours.length - 1)]!;
    const shape = SHAPES[int(0, SHAPES.length - 1)]!;
    const r = uniform(...RADIUS);
    const cx = uniform(r, size - r);
    const cy = uniform(r, size - r);
    const m = shapeMask(shape, cx, cy, r, size);
    const area = count(m);
    const overlaps = instances.some((o) => {
      let both = 0;
      for (let i = 0; i < m.length; i++) both += m[i]! & o.mask[i]!;
      return both > MAX_OVERLAP * Math.min(area, count(o.mask));
    });
    if (overlaps) continue;
    for (const o of instances) for (let i = 0; i < m.length; i++) if (m[i]) o.mask[i] = 0;
    const rgb = COLOURS[colour].map((c) => c + int(-COLOUR_JITTER, COLOUR_JITTER));
    for (let i = 0; i < m.length; i++)
      if (m[i]) for (let c = 0; c < 3; c++) img[i * 3 + c] = rgb[c]! + int(-OBJECT_NOISE, OBJECT_NOISE);
    instances.push({ category: `${colour} ${shape}`, mask: m });
  }
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.max(0, Math.min(255, img[i]!));
  return { width: size, height: size, rgb, instances: instances.filter((o) => count(o.mask) > 0) };
}

/** The union of the visible masks of one category (all zero when absent). */
export function categoryMask(image: ShapesImage, category: string): Uint8Array {
  const out = new Uint8Array(image.width * image.height);
  for (const o of image.instances) if (o.category === category) for (let i = 0; i < out.length; i++) out[i]! |= o.mask[i]!;
  return out;
}

export function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i]! & b[i]!;
    union += a[i]! | b[i]!;
  }
  return union === 0 ? 1 : inter / union;
}
