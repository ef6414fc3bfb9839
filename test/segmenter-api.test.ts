import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { createSegmenter, ImageEmbedding, Segmenter, type SegmentResult } from '../dist/index.js';
import { blocksImage, png } from './support/images.js';
import { makePackage } from './support/packages.js';
import { BEHAVIOUR_BACKENDS } from './support/backends.js';

describe.each(BEHAVIOUR_BACKENDS)('Segmenter on $label', ({ options: backendOptions }) => {
  let models: string;
  let segmenter: Segmenter;
  let image: Buffer;
  let image2: Buffer;

  beforeAll(async () => {
    models = await makePackage('stretch');
    segmenter = await createSegmenter({ models, ...backendOptions, threads: 1 });
    image = await png(blocksImage(64, 64, [32, 32, 32], [{ x: 8, y: 8, w: 24, h: 32, rgb: [224, 96, 32] }]), 64, 64);
    image2 = await png(blocksImage(64, 64, [224, 224, 224], [{ x: 16, y: 16, w: 32, h: 16, rgb: [32, 160, 224] }]), 64, 64);
  });

  afterAll(async () => {
    await segmenter?.dispose();
  });

  const strip = (results: SegmentResult[]) => results.map((r) => ({ ...r, mask: Buffer.from(r.mask.data).toString('base64') }));

  it('reports load progress through every stage, then ready', async () => {
    const s = new Segmenter({ models, ...backendOptions, threads: 1 });
    const stages: string[] = [];
    s.on('progress', (p) => stages.push(`${p.stage}:${p.loaded}/${p.total}`));
    await s.ready;
    expect(stages).toEqual([
      'manifest:1/6',
      'tokenizer:2/6',
      'image_encoder:3/6',
      'text_encoder:4/6',
      'text_projection:5/6',
      'mask_decoder:6/6',
      'ready:6/6',
    ]);
    expect(s.backendInfo?.name).toBe(backendOptions.backend);
    await s.dispose();
  });

  it('returns one result per prompt, with the documented fields', async () => {
    const results = await segmenter.segment(image, ['red box', 'background']);
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r.mask.width).toBe(64);
      expect(r.mask.height).toBe(64);
      expect(r.mask.data).toBeInstanceOf(Uint8Array);
      expect(r.candidates).toHaveLength(3);
      expect(r.score).toBe(r.candidates[r.candidateIndex]!.iou);
      expect(r.area).toBe(r.mask.data.reduce((a, b) => a + b, 0));
      expect(typeof r.passedThreshold).toBe('boolean');
    }
    expect(results.map((r) => r.prompt)).toEqual(['red box', 'background']);
  });

  it('reuses the image embedding for identical bytes: no second image-encoder run', async () => {
    const before = segmenter.stats().runs.image_encoder.runs;
    const first = await segmenter.segment(Buffer.from(image2), 'thing one');
    const middle = segmenter.stats().runs.image_encoder.runs;
    const second = await segmenter.segment(Buffer.from(image2), 'thing one');
    expect(middle).toBe(before + 1);
    expect(segmenter.stats().runs.image_encoder.runs).toBe(middle);
    expect(strip(second)).toEqual(strip(first));
  });

  it('skips the text tower for a repeated prompt', async () => {
    await segmenter.segment(image, 'a repeated prompt');
    const runs = segmenter.stats().runs.text_encoder.runs;
    await segmenter.segment(image2, 'a repeated prompt');
    expect(segmenter.stats().runs.text_encoder.runs).toBe(runs);
    await segmenter.segment(image2, ['a repeated prompt', 'a brand new prompt']);
    expect(segmenter.stats().runs.text_encoder.runs).toBe(runs + 1);
  });

  it('segments through an ImageEmbedding handle and refuses it once disposed', async () => {
    const embedding = await segmenter.embed(await png(blocksImage(64, 64, [96, 96, 96], []), 64, 64));
    expect(embedding).toBeInstanceOf(ImageEmbedding);
    expect(embedding.width).toBe(64);
    expect(embedding.byteLength).toBeGreaterThan(0);
    const runs = segmenter.stats().runs.image_encoder.runs;
    const viaHandle = await segmenter.segment(embedding, 'grey');
    expect(segmenter.stats().runs.image_encoder.runs).toBe(runs);
    expect(viaHandle).toHaveLength(1);
    const cached = segmenter.stats().cache.images;
    embedding.dispose();
    expect(embedding.disposed).toBe(true);
    expect(embedding.byteLength).toBe(0);
    expect(segmenter.stats().cache.images).toBe(cached - 1);
    await expect(segmenter.segment(embedding, 'grey')).rejects.toMatchObject({ code: 'E_DISPOSED' });
  });

  it('supports `using` on embeddings', async () => {
    let handle: ImageEmbedding | undefined;
    {
      using embedding = await segmenter.embed(await png(blocksImage(64, 64, [160, 96, 96], []), 64, 64));
      handle = embedding;
      expect(handle.disposed).toBe(false);
    }
    expect(handle.disposed).toBe(true);
  });

  it('answers 32 concurrent calls correctly', async () => {
    const prompts = ['red', 'green', 'blue', 'dark', 'light', 'box', 'circle', 'cat'];
    const serial = [];
    for (const p of prompts) serial.push(strip(await segmenter.segment(image, p, { smoothness: 1 })));
    const concurrent = await Promise.all(
      Array.from({ length: 32 }, (_, i) => segmenter.segment(Buffer.from(image), prompts[i % 8]!, { smoothness: 1 })),
    );
    concurrent.forEach((r, i) => expect(strip(r)).toEqual(serial[i % 8]));
  });

  it('validates options with E_INVALID_OPTION and prompts with E_INVALID_PROMPT', async () => {
    for (const threshold of [0, 0.05, 0.95, 1, Number.NaN, '0.5'])
      await expect(segmenter.segment(image, 'x', { threshold: threshold as number })).rejects.toMatchObject({
        code: 'E_INVALID_OPTION',
        field: 'threshold',
      });
    for (const smoothness of [0, 6, 2.5, -1])
      await expect(segmenter.segment(image, 'x', { smoothness })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    for (const prompt of ['', '   ', [], [''], ['ok', '  '], 42])
      await expect(segmenter.segment(image, prompt as string)).rejects.toMatchObject({ code: 'E_INVALID_PROMPT' });
    await expect(segmenter.segment(image, 'x', { negative: [''] })).rejects.toMatchObject({ code: 'E_INVALID_PROMPT' });
    await expect(segmenter.segment({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }, 'x')).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
    });
    await expect(segmenter.segment(12 as unknown as Buffer, 'x')).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(createSegmenter({ models, threads: 0 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'threads' });
    await expect(createSegmenter({ models, backend: 'gpu' as 'cpu' })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    await expect(createSegmenter({ models, verifyHashes: 'no' as unknown as boolean })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'verifyHashes',
    });
  });

  it('rejects option names it does not know, naming the option', async () => {
    // A misspelt option would otherwise run the call with the default and say nothing.
    const bogus = { bogus: 1 } as object;
    await expect(createSegmenter({ models, ...bogus })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'bogus' });
    await expect(createSegmenter({ models, cache: { images: 2, ...{ imgs: 3 } } })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'cache.imgs',
    });
    await expect(segmenter.segment(image, 'x', { ...{ threshhold: 0.3 } })).rejects.toThrow(/threshhold is not a known option/);
    await expect(segmenter.segment(image, 'x', { ...{ threshhold: 0.3 } })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'threshhold',
    });
    await expect(segmenter.embed(image, { ...{ sigal: null } })).rejects.toMatchObject({ code: 'E_INVALID_OPTION', field: 'sigal' });
    // Known names still pass, and `undefined` values of known names are allowed.
    const [r] = await segmenter.segment(image, 'x', { threshold: 0.5, smoothness: undefined });
    expect(r!.prompt).toBe('x');
  });

  it('accepts raw pixels (gray, RGB, RGBA) and gives the same answer as the encoded image', async () => {
    const rgb = blocksImage(64, 64, [32, 32, 32], [{ x: 8, y: 8, w: 24, h: 32, rgb: [224, 96, 32] }]);
    const fromPng = await segmenter.segment(image, 'red box');
    const fromRaw = await segmenter.segment({ data: rgb, width: 64, height: 64, channels: 3 }, 'red box');
    expect(strip(fromRaw)).toEqual(strip(fromPng));
    const rgba = new Uint8Array(64 * 64 * 4);
    for (let i = 0; i < 64 * 64; i++) rgba.set([...rgb.subarray(i * 3, i * 3 + 3), 128], i * 4);
    const fromRgba = await segmenter.segment({ data: rgba, width: 64, height: 64, channels: 4 }, 'red box');
    expect(strip(fromRgba)).toEqual(strip(fromPng));
    const gray = await segmenter.segment({ data: new Uint8Array(64 * 64).fill(200), width: 64, height: 64, channels: 1 }, 'x');
    expect(gray[0]!.mask.width).toBe(64);
  });

  it('rejects images above the pixel limit before decoding them', async () => {
    const small = await createSegmenter({ models, ...backendOptions, threads: 1, maxPixels: 1000 });
    try {
      await expect(small.segment(image, 'x')).rejects.toMatchObject({ code: 'E_IMAGE_TOO_LARGE' });
    } finally {
      await small.dispose();
    }
  });

  it('aborts with E_ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(segmenter.segment(image, 'x', { signal: controller.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
    const late = new AbortController();
    const pending = segmenter.segment(await png(blocksImage(64, 64, [1, 2, 3], []), 64, 64), 'x', { signal: late.signal });
    late.abort();
    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('refuses every call after dispose with E_DISPOSED', async () => {
    const s = await createSegmenter({ models, ...backendOptions, threads: 1 });
    const embedding = await s.embed(image);
    await s.dispose();
    expect(embedding.disposed).toBe(true);
    await expect(s.segment(image, 'x')).rejects.toMatchObject({ code: 'E_DISPOSED' });
    await expect(s.embed(image)).rejects.toMatchObject({ code: 'E_DISPOSED' });
    expect(s.stats().cache).toEqual({ images: 0, prompts: 0 });
    await s.dispose();
  });

  it("refuses another segmenter's embedding", async () => {
    const other = await createSegmenter({ models, ...backendOptions, threads: 1 });
    try {
      const embedding = await other.embed(image);
      await expect(segmenter.segment(embedding, 'x')).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    } finally {
      await other.dispose();
    }
  });

  it("rejects backend 'tensorrt' where the build has none, and explains 'auto'", async () => {
    await expect(createSegmenter({ models, backend: 'tensorrt' })).rejects.toMatchObject({ code: 'E_BACKEND_UNAVAILABLE' });
    const auto = await createSegmenter({ models, threads: 1 });
    try {
      // Without a GPU, auto says so and names the CPU backend it took instead.
      expect(auto.backendInfo?.reason).toMatch(/^auto: .*(no TensorRT|no CUDA).*(OpenVINO .* inference|ONNX Runtime on the CPU)/);
    } finally {
      await auto.dispose();
    }
  });
});
