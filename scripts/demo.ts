/**
 * The README's main job on a machine with nothing downloaded: draws a coloured-shapes image and asks the
 * trained demo package (models/shapes-demo) for "red circle" and "blue square" through the CLI, then
 * scores each mask against the shapes it drew. With --models <dir> and --image <file> it runs on yours.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { maskFileName } from '../lib/cli/segment-command.js';
import { categoryMask, demoScene, iou, type ShapesImage } from './fixtures/shapes-image.js';

const root = path.resolve(__dirname, '..');
const DEMO_PROMPTS = ['red circle', 'blue square'];
const { values, positionals } = parseArgs({
  options: { models: { type: 'string' }, image: { type: 'string' } },
  allowPositionals: true,
});
const work = path.join(root, '.tmp', 'demo');
mkdirSync(work, { recursive: true });

async function main(): Promise<void> {
  const models = values.models ?? path.join(root, 'models', 'shapes-demo');
  const prompts = positionals.length > 0 ? positionals : DEMO_PROMPTS;
  let image = values.image;
  let drawn: ShapesImage | undefined;
  if (!image) {
    drawn = demoScene();
    image = path.join(work, 'shapes.png');
    await sharp(Buffer.from(drawn.rgb), { raw: { width: drawn.width, height: drawn.height, channels: 3 } }).png().toFile(image);
    console.log(`drew ${image}: ${drawn.instances.map((o) => o.category).join(', ')}`);
  }
  const cli = path.join(root, 'dist', 'cli', 'main.js');
  const out = path.join(work, 'mask.png');
  const args = [cli, 'segment', image, ...prompts, '--models', models, '-o', out, '--overlay', path.join(work, 'overlay.png')];
  console.log(`$ sam3clip ${args.slice(1).map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`);
  execFileSync(process.execPath, args, { stdio: 'inherit' });
  if (!drawn) return;

  // The image was drawn here, so the truth is known: say how close each mask is to it.
  for (const [i, prompt] of prompts.entries()) {
    const { data } = await sharp(readFileSync(maskFileName(out, i, prompts.length))).greyscale().raw().toBuffer({ resolveWithObject: true });
    const mask = Uint8Array.from(data, (v) => (v > 127 ? 1 : 0));
    console.log(`${prompt}: IoU ${iou(mask, categoryMask(drawn, prompt)).toFixed(3)} with the drawn shape`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
