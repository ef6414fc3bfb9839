// Child process for the long-run memory test: embeds and segments `calls` times, cycling over
// `images` distinct small PNGs, and prints RSS (MiB) every `every` calls as JSON lines.
// argv: <dist dir> <models> <images> <calls> <every>
const path = require('node:path');
const sharp = require('sharp');

const [dist, models, images, calls, every] = process.argv.slice(2);
const { createSegmenter } = require(path.join(dist, 'index.js'));

async function main() {
  const n = Number(images);
  // Distinct images: a different pixel row pattern each (the cache keys by content).
  const pngs = await Promise.all(
    Array.from({ length: n }, (_, i) => {
      const raw = Buffer.alloc(96 * 96 * 3);
      for (let p = 0; p < raw.length; p++) raw[p] = (p * 31 + i * 97 + ((p / 288) | 0) * i) & 255;
      return sharp(raw, { raw: { width: 96, height: 96, channels: 3 } }).png().toBuffer();
    }),
  );
  const segmenter = await createSegmenter({ models, threads: 1 });
  for (let c = 1; c <= Number(calls); c++) {
    await segmenter.segment(pngs[c % n], 'red circle', { smoothness: 1 });
    if (c % Number(every) === 0) process.stdout.write(`${JSON.stringify({ call: c, rssMiB: process.memoryUsage().rss / 2 ** 20 })}\n`);
  }
  await segmenter.dispose();
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
