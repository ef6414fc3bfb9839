import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COCO_CATEGORIES, createSegmenter, type Segmenter } from '../dist/index.js';
import { imageTowerPixels } from '../dist/image/clip-preprocess.js';

// sam3-tiny plus CLIP's image tower, and PyTorch's answers (scripts/export/make_suggest_fixture.py).
const PACKAGE = path.resolve(__dirname, 'fixtures/sam3-suggest-tiny');
const TRACKER_ONLY_CLIP = path.resolve(__dirname, 'fixtures/sam3-tiny');
const CONCEPT = path.resolve(__dirname, 'fixtures/sam3-concept-tiny');
const IMAGES = path.resolve(__dirname, '../../shared/images');
const reference = JSON.parse(fs.readFileSync(path.resolve(__dirname, 'fixtures/sam3-suggest-tiny-reference.json'), 'utf8')) as {
  vocabulary: string[];
  topK: number;
  cases: { image: string; pixelValuesMean: number; imageEmbeds: number[]; top: { text: string; score: number }[]; cosine: number[] }[];
};
const haveImages = fs.existsSync(path.join(IMAGES, 'chelsea.png'));

describe.skipIf(!haveImages)('segmenter.suggest() on the tiny CLIP package (ONNX Runtime)', () => {
  let cacheDir: string;
  let segmenter: Segmenter;

  beforeAll(async () => {
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sam3clip-suggest-'));
    segmenter = await createSegmenter({ models: PACKAGE, backend: 'cpu', threads: 1, modelCache: cacheDir });
  });

  afterAll(async () => {
    await segmenter?.dispose();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('ships the vocabulary the references were computed with (COCO 80)', () => {
    expect([...COCO_CATEGORIES]).toEqual(reference.vocabulary);
    expect(COCO_CATEGORIES).toHaveLength(80);
  });

  it('ranks the vocabulary as PyTorch does: the same top-k, cosines within 1e-4', async () => {
    expect(segmenter.suggestMode).toBe('clip');
    for (const c of reference.cases) {
      const suggestions = await segmenter.suggest(path.join(IMAGES, c.image), { top: reference.topK });
      expect(suggestions.map((s) => s.text)).toEqual(c.top.map((t) => t.text));
      suggestions.forEach((s, i) => expect(Math.abs(s.score - c.top[i]!.score)).toBeLessThan(1e-4));
    }
  });

  it('preprocesses as CLIPImageProcessor (the pixel values agree in mean)', async () => {
    const sharp = (await import('sharp')).default;
    for (const c of reference.cases) {
      const { data, info } = await sharp(path.join(IMAGES, c.image)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const pixels = await imageTowerPixels(new Uint8Array(data), info.width, info.height, segmenter.manifest!.imageTower!);
      const mean = pixels.reduce((a, v) => a + v, 0) / pixels.length;
      expect(Math.abs(mean - c.pixelValuesMean)).toBeLessThan(1e-5);
    }
  });

  it('runs the text tower for a vocabulary once, and a second segmenter reads it from modelCache', async () => {
    const vocabulary = ['a cat', 'a cup of coffee', 'a dog', 'a car'];
    const image = path.join(IMAGES, 'chelsea.png');
    const before = segmenter.stats().runs.text_encoder.runs;
    const first = await segmenter.suggest(image, { vocabulary, top: 4 });
    const afterFirst = segmenter.stats().runs.text_encoder.runs;
    expect(afterFirst).toBe(before + 1); // 4 names: one batch
    await segmenter.suggest(image, { vocabulary, top: 4 });
    expect(segmenter.stats().runs.text_encoder.runs).toBe(afterFirst); // in memory
    expect(fs.readdirSync(path.join(cacheDir, 'vocabulary-embeddings')).some((f) => f.endsWith('.f32'))).toBe(true);
    const second = await createSegmenter({ models: PACKAGE, backend: 'cpu', threads: 1, modelCache: cacheDir });
    try {
      const again = await second.suggest(image, { vocabulary, top: 4 });
      expect(second.stats().runs.text_encoder.runs).toBe(0);
      expect(second.stats().runs.image_tower.runs).toBe(1);
      expect(again).toEqual(first);
    } finally {
      await second.dispose();
    }
  });

  it('with verify keeps the top names that pass the threshold, each with one instance', async () => {
    const image = path.join(IMAGES, 'coffee.png');
    const ranked = await segmenter.suggest(image, { top: 5 });
    const verified = await segmenter.suggest(image, { top: 5, verify: true });
    const results = await segmenter.segment(image, ranked.map((s) => s.text));
    expect(verified).toEqual(ranked.filter((_, i) => results[i]!.passedThreshold).map((s) => ({ ...s, instances: 1 })));
  });

  it('rejects bad options with E_INVALID_OPTION', async () => {
    const image = path.join(IMAGES, 'chelsea.png');
    await expect(segmenter.suggest(image, { top: 0 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'top' });
    await expect(segmenter.suggest(image, { vocabulary: [] })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'vocabulary' });
    await expect(segmenter.suggest(image, { vocabulary: ['cat', ' '] })).rejects.toMatchObject({ field: 'vocabulary[1]' });
    await expect(segmenter.suggest(image, { tops: 3 } as never)).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'tops' });
    await expect(segmenter.suggest(image, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});

describe('segmenter.suggest() where the package cannot rank by CLIP', () => {
  it('a package without image_tower says to export with --clip-image-tower', async () => {
    const s = await createSegmenter({ models: TRACKER_ONLY_CLIP, backend: 'cpu', threads: 1, modelCache: false });
    try {
      expect(s.suggestMode).toBeUndefined();
      const call = s.suggest({ data: new Uint8Array(16 * 16 * 3), width: 16, height: 16, channels: 3 });
      await expect(call).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'suggest' });
      await expect(call).rejects.toThrow(/--clip-image-tower/);
    } finally {
      await s.dispose();
    }
  });

  it('sam3-concept needs verify, and then ranks by the detector', async () => {
    const s = await createSegmenter({ models: CONCEPT, backend: 'cpu', threads: 1, modelCache: false });
    try {
      expect(s.suggestMode).toBe('detector');
      const image = { data: new Uint8Array(32 * 32 * 3).fill(128), width: 32, height: 32, channels: 3 as const };
      await expect(s.suggest(image)).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'verify' });
      const vocabulary = ['cat', 'dog', 'car'];
      const suggestions = await s.suggest(image, { vocabulary, verify: true, top: 3 });
      const results = await s.segment(image, vocabulary);
      const expected = vocabulary
        .map((text, i) => ({ text, score: results[i]!.score, instances: results[i]!.instances.length, passed: results[i]!.passedThreshold }))
        .filter((r) => r.passed)
        .sort((a, b) => b.score - a.score)
        .map(({ passed: _, ...r }) => r);
      expect(suggestions).toEqual(expected);
    } finally {
      await s.dispose();
    }
  });
});

describe('the manifest and graph contract of image_tower', () => {
  const manifest = () => JSON.parse(fs.readFileSync(path.join(PACKAGE, 'manifest.json'), 'utf8'));

  it('reads imageTower and files.image_tower; each needs the other and the text path', async () => {
    const { validateManifest } = await import('../dist/index.js');
    const m = validateManifest(manifest(), PACKAGE);
    expect(m.family === 'sam3' && m.imageTower).toEqual(manifest().imageTower);
    const noSpec = manifest();
    delete noSpec.imageTower;
    expect(() => validateManifest(noSpec, PACKAGE)).toThrow(/imageTower: must be an object/);
    const badResize = manifest();
    badResize.imageTower.resize = 'stretch';
    expect(() => validateManifest(badResize, PACKAGE)).toThrow(/imageTower.resize/);
    const noText = manifest();
    for (const k of ['text_encoder', 'text_projection', 'tokenizer']) delete noText.files[k];
    delete noText.tokenizer;
    expect(() => validateManifest(noText, PACKAGE)).toThrow(/files.image_tower: needs the text path/);
  });

  it('checks the graph against imageTower.size at load (E_MODEL_SHAPE)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sam3clip-tower-'));
    try {
      for (const f of fs.readdirSync(PACKAGE)) if (f !== 'manifest.json') fs.symlinkSync(path.join(PACKAGE, f), path.join(dir, f));
      const m = manifest();
      m.imageTower.size = 256;
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
      await expect(createSegmenter({ models: dir, backend: 'cpu', threads: 1, modelCache: false })).rejects.toMatchObject({
        code: 'E_MODEL_SHAPE',
        field: 'pixel_values[2]',
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
