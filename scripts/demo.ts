/**
 * The README's main job on a machine with nothing downloaded: writes the tiny test packages, draws an
 * image, and segments it through the CLI. With --models <dir> and --image <file> it runs on yours.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { writeFixturePackage } from './fixtures/fixture-models.js';

const root = path.resolve(__dirname, '..');
const { values } = parseArgs({
  options: { models: { type: 'string' }, image: { type: 'string' }, prompt: { type: 'string', default: 'a red box' } },
});
const work = path.join(root, '.tmp');
mkdirSync(work, { recursive: true });

async function main(): Promise<void> {
  let models = values.models;
  if (!models) {
    models = path.join(work, 'models', 'tiny-stretch');
    if (!existsSync(path.join(models, 'manifest.json'))) await writeFixturePackage(models, { variant: 'stretch' });
  }
  let image = values.image;
  if (!image) {
    image = path.join(work, 'demo.png');
    const w = 320;
    const h = 240;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="#202020"/><rect x="40" y="50" width="120" height="100" fill="#e06020"/><circle cx="240" cy="160" r="50" fill="#20a0e0"/></svg>`;
    writeFileSync(image, await sharp(Buffer.from(svg)).png().toBuffer());
  }
  const cli = path.join(root, 'dist', 'cli', 'main.js');
  const args = [cli, 'segment', image, values.prompt!, '--models', models, '-o', path.join(work, 'mask.png'), '--overlay', path.join(work, 'overlay.png')];
  console.log(`$ sam3clip ${args.slice(1).join(' ')}`);
  execFileSync(process.execPath, args, { stdio: 'inherit' });
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
