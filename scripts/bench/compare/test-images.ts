/**
 * The photos `bench:compare` feeds every backend, written once as JPEG files (what a camera gives)
 * so that each backend reads and decodes the same bytes itself: the base photo (--image, else a
 * shared photo cut to 640×480 = 0.3 MP), the same photo upscaled to about 12 MP, and copies of the
 * base differing in a corner for the concurrent calls (distinct bytes: nothing is shared between them).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

const SHARED_PHOTO = path.resolve(__dirname, '../../../../shared/images/astronaut.png');
const BASE_SIZE = { width: 640, height: 480 };

export interface BenchImage {
  file: string;
  width: number;
  height: number;
  megapixels: number;
}

export interface BenchImages {
  dir: string;
  source: string;
  base: BenchImage;
  large: BenchImage;
  concurrent: string[];
}

async function describe(file: string): Promise<BenchImage> {
  const { width = 0, height = 0 } = await sharp(file).metadata();
  return { file, width, height, megapixels: (width * height) / 1e6 };
}

/** A photo-like stand-in where the shared photos are absent: soft shapes on a gradient. */
function syntheticPhoto(): sharp.Sharp {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><defs><linearGradient id="g"><stop offset="0" stop-color="#3a6"/><stop offset="1" stop-color="#248"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="220" cy="220" r="130" fill="#e06020"/><rect x="380" y="250" width="200" height="150" fill="#2080e0"/></svg>`;
  return sharp(Buffer.from(svg));
}

export async function writeBenchImages(options: { image?: string; largeMegapixels: number; concurrent: number }): Promise<BenchImages> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sam3clip-bench-compare-'));
  const source = options.image ?? (existsSync(SHARED_PHOTO) ? SHARED_PHOTO : 'synthetic');
  const baseFile = path.join(dir, 'base.jpg');
  if (options.image) {
    // The caller's photo as it is (EXIF orientation applied, as every backend would apply it).
    await sharp(options.image).rotate().jpeg({ quality: 92 }).toFile(baseFile);
  } else {
    const input = source === 'synthetic' ? syntheticPhoto() : sharp(source);
    await input.resize({ ...BASE_SIZE, fit: 'cover' }).jpeg({ quality: 92 }).toFile(baseFile);
  }
  const base = await describe(baseFile);

  const scale = Math.sqrt((options.largeMegapixels * 1e6) / (base.width * base.height));
  const largeFile = path.join(dir, 'large.jpg');
  await sharp(baseFile)
    .resize({ width: Math.round(base.width * scale), height: Math.round(base.height * scale), kernel: 'lanczos3' })
    .jpeg({ quality: 92 })
    .toFile(largeFile);

  const concurrent: string[] = [];
  for (let i = 0; i < options.concurrent; i++) {
    // An 8×8 corner block of its own grey: survives the JPEG encode, so every copy's bytes differ.
    const block = { create: { width: 8, height: 8, channels: 3 as const, background: { r: 16 * i, g: 16 * i, b: 16 * i } } };
    const file = path.join(dir, `concurrent-${i}.jpg`);
    await sharp(baseFile).composite([{ input: block, left: 0, top: 0 }]).jpeg({ quality: 92 }).toFile(file);
    concurrent.push(file);
  }
  return { dir, source, base, large: await describe(largeFile), concurrent };
}
