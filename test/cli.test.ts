import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { blocksImage, png } from './support/images.js';
import { openvinoModuleExpected } from './support/openvino-module.js';
import { makePackage, tempDir } from './support/packages.js';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../dist/cli/main.js');

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let models: string;
let work: string;
let imageFile: string;

beforeAll(async () => {
  models = await makePackage('stretch');
  work = tempDir();
  imageFile = path.join(work, 'photo.png');
  writeFileSync(imageFile, await png(blocksImage(64, 48, [32, 32, 32], [{ x: 8, y: 8, w: 24, h: 24, rgb: [224, 96, 32] }]), 64, 48));
});

describe('sam3clip CLI', () => {
  it('segment writes a mask PNG at the image size and prints a summary', async () => {
    const out = path.join(work, 'mask.png');
    const r = await cli(['segment', imageFile, 'a red box', '--models', models, '-o', out, '--smoothness', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/a red box: .*score/);
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([64, 48, 1]);
  });

  it('--json prints results with RLE masks matching the PNG; models may come from SAM3CLIP_MODELS', async () => {
    const out = path.join(work, 'm.png');
    const overlay = path.join(work, 'overlay.jpg');
    const r = await cli(['segment', imageFile, 'box', 'background', '--json', '-o', out, '--overlay', overlay, '--threshold', '0.3'], {
      SAM3CLIP_MODELS: models,
    });
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.results).toHaveLength(2);
    expect(json.files).toEqual([path.join(work, 'm-1.png'), path.join(work, 'm-2.png'), overlay]);
    const { data } = await sharp(path.join(work, 'm-1.png')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    // Decode the column-major RLE and compare with the PNG.
    const { counts, size } = json.results[0].rle;
    expect(size).toEqual([48, 64]);
    const colMajor: number[] = [];
    counts.forEach((n: number, i: number) => colMajor.push(...Array(n).fill(i % 2)));
    const rowMajor = Array.from(data, (v) => (v ? 1 : 0));
    const fromRle = Array.from({ length: 48 * 64 }, (_, i) => colMajor[(i % 64) * 48 + Math.floor(i / 64)]);
    expect(fromRle).toEqual(rowMajor);
    expect(json.results[0].area).toBe(rowMajor.reduce((a, b) => a + b, 0));
    expect((await sharp(overlay).metadata()).format).toBe('jpeg');
  });

  it('exits non-zero with the error code on failure', async () => {
    const r = await cli(['segment', path.join(work, 'missing.png'), 'x', '--models', models]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_IMAGE_DECODE: /);
    const bad = await cli(['segment', imageFile, 'x', '--models', models, '--threshold', '2']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/E_INVALID_OPTION/);
    const noModels = await cli(['segment', imageFile, 'x', '--models', path.join(work, 'none')]);
    expect(noModels.stderr).toMatch(/E_MODEL_MANIFEST/);
    const json = await cli(['segment', imageFile, '   ', '--models', models, '--json']);
    expect(JSON.parse(json.stdout).error.code).toBe('E_INVALID_PROMPT');
  });

  it('an output path it cannot write is E_OUTPUT_FILE (exit 1, JSON with --json), before any model work', async () => {
    const missing = path.join(work, 'no', 'such', 'dir', 'm.png');
    const r = await cli(['segment', imageFile, 'x', '--models', models, '-o', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error E_OUTPUT_FILE: Cannot write ${missing}: its folder ${path.dirname(missing)} does not exist\n`);
    const json = await cli(['segment', imageFile, 'x', '--models', models, '--overlay', missing, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error.code).toBe('E_OUTPUT_FILE');
    expect(json.stderr).not.toMatch(/\n\s+at /);
    // A file where a folder should be.
    const notDir = path.join(imageFile, 'm.png');
    const r2 = await cli(['segment', imageFile, 'x', '--models', models, '-o', notDir]);
    expect(r2.stderr).toMatch(/^error E_OUTPUT_FILE: .* is not a folder\n$/);
  });

  it('chooses the overlay format by extension and refuses extensions it cannot write', async () => {
    const webp = path.join(work, 'overlay.webp');
    const ok = await cli(['segment', imageFile, 'box', '--models', models, '--overlay', webp]);
    expect(ok.code).toBe(0);
    expect((await sharp(webp).metadata()).format).toBe('webp');
    const png = path.join(work, 'overlay.PNG');
    expect((await cli(['segment', imageFile, 'box', '--models', models, '--overlay', png])).code).toBe(0);
    expect((await sharp(png).metadata()).format).toBe('png');
    for (const args of [['--overlay', path.join(work, 'out.gif')], ['-o', path.join(work, 'mask.jpg')], ['-o', path.join(work, 'mask')]]) {
      const r = await cli(['segment', imageFile, 'box', '--models', models, ...args, '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).error.code).toBe('E_INVALID_OPTION');
      expect(r.stderr).toMatch(/^error E_INVALID_OPTION: --(overlay|out) /);
    }
    expect(readFileSync(path.join(work, 'out.gif'), { flag: 'a+' }).length).toBe(0);
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    for (const args of [['--help'], ['-h'], ['segment', '--help'], ['serve', '-h']]) {
      const r = await cli(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage:\n  sam3clip segment /);
    }
  });

  it('info without a package says that --models is missing and SAM3CLIP_MODELS is unset', async () => {
    const env = { ...process.env };
    delete env.SAM3CLIP_MODELS;
    const { stdout } = await run(process.execPath, [CLI, 'info'], { env });
    const info = JSON.parse(stdout);
    expect(info.models).toBeNull();
    expect(info.modelsNote).toMatch(/--models was not given and SAM3CLIP_MODELS is unset/);
  });

  it('usage errors exit 2', async () => {
    expect((await cli([])).code).toBe(2);
    expect((await cli(['segment'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['segment', imageFile, 'x', '--bogus'])).code).toBe(2);
  });

  it('info reports capabilities, backend choice and the package', async () => {
    const r = await cli(['info', '--models', models]);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    const caps = info.capabilities;
    expect(caps.cuda).toBeNull();
    expect(caps.tensorrt).toBeNull();
    expect(caps.cpu.arch).toBe(process.arch);
    expect(Object.keys(caps.cpu.features).sort()).toEqual(
      ['amxBf16', 'amxInt8', 'amxTile', 'avx2', 'avx512Bf16', 'avx512Fp16', 'avx512Vnni', 'avx512bw', 'avx512f', 'avx512vl', 'fma'],
    );
    // 'auto' takes OpenVINO on the CPU wherever its module loads.
    if (openvinoModuleExpected()) {
      expect(caps.openvino.version).toMatch(/^\d+\.\d+/);
      expect(caps.openvino.bestPrecision).toMatch(/^(bf16|f32)$/);
      expect(info.backend.name).toBe('openvino');
    } else {
      expect(caps.openvino).toBeNull();
      expect(caps.openvinoReason).toMatch(/OpenVINO/);
      expect(info.backend.name).toBe('cpu');
    }
    expect(info.models.name).toBe(JSON.parse(readFileSync(path.join(models, 'manifest.json'), 'utf8')).name);
  });

  it('tokenize prints ids with BOS/EOS', async () => {
    const r = await cli(['tokenize', '--tokenizer', path.join(models, 'tokenizer.json'), 'a', 'red', 'box']);
    expect(r.code).toBe(0);
    const ids = JSON.parse(r.stdout) as number[];
    expect(ids.length).toBeGreaterThan(2);
    expect(ids[0]).not.toBe(ids[ids.length - 1]);
  });
});
