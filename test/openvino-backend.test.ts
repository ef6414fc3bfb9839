/**
 * What is particular to the OpenVINO backend (the public-API suites run on it through
 * test/support/backends.ts): that CI has it, the compiled-graph cache and when it is not trusted,
 * outputs that later runs never overwrite, bad model files and bad feeds as errors with codes, the
 * options that select it, and 'auto' without it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, type Segmenter } from '../dist/index.js';
import { openvinoAddon } from '../dist/openvino-addon.js';
import { blocksImage, png } from './support/images.js';
import { makePackage, tempDir } from './support/packages.js';

const CONCEPT = path.resolve(__dirname, 'fixtures/sam3-concept-tiny');
const DIST = path.resolve(__dirname, '../dist/index.js');
const { addon, reason } = openvinoAddon();

describe('the OpenVINO backend is there where it must be', () => {
  it('loads wherever SAM3CLIP_REQUIRE_OPENVINO=1 (CI builds it on every run)', () => {
    if (process.env.SAM3CLIP_REQUIRE_OPENVINO === '1') expect(addon, reason).toBeDefined();
    else if (!addon) console.warn(`OpenVINO backend absent here: ${reason}`);
  });
});

describe.skipIf(!addon)('OpenVINO backend', () => {
  const images: Buffer[] = [];
  beforeAll(async () => {
    images.push(await png(blocksImage(64, 64, [32, 32, 32], [{ x: 8, y: 8, w: 24, h: 32, rgb: [224, 96, 32] }]), 64, 64));
    images.push(await png(blocksImage(64, 64, [224, 224, 224], [{ x: 16, y: 16, w: 32, h: 16, rgb: [32, 160, 224] }]), 64, 64));
  });

  describe('compiled-graph cache (modelCache)', () => {
    let pkg: string;
    let cache: string;
    beforeAll(() => {
      pkg = path.join(tempDir(), 'concept');
      cpSync(CONCEPT, pkg, { recursive: true });
      cache = tempDir('sam3clip-model-cache-');
    });
    const start = () => createSegmenter({ models: pkg, backend: 'openvino', threads: 1, modelCache: cache });
    const answer = async (s: Segmenter) => (await s.segment(images[0]!, 'a cat', { threshold: 0.1, smoothness: 1 }))[0]!;

    it('the first start compiles and writes a blob per graph, the second imports them and answers the same', async () => {
      const first = await start();
      const a = await answer(first);
      const graphs = ['image_encoder', 'text_encoder', 'detector', 'detector_boxes', 'prompt_encoder', 'mask_decoder'];
      expect(first.backendInfo?.graphs?.map((g) => [g.graph, g.fromCache])).toEqual(graphs.map((g) => [g, false]));
      await first.dispose();
      expect(readdirSync(path.join(cache, 'openvino')).filter((f) => f.endsWith('.blob'))).toHaveLength(graphs.length);
      const second = await start();
      expect(second.backendInfo?.graphs?.every((g) => g.fromCache)).toBe(true);
      const b = await answer(second);
      expect(b.score).toBe(a.score);
      expect(Buffer.from(b.mask.data)).toEqual(Buffer.from(a.mask.data));
      await second.dispose();
    });

    it('a changed graph file is compiled afresh, never answered from the old blob', async () => {
      const file = path.join(pkg, 'detector.onnx');
      const t = statSync(file).mtime;
      utimesSync(file, t, new Date(t.getTime() + 5000));
      const s = await start();
      expect(s.backendInfo?.graphs?.map((g) => [g.graph, g.fromCache])).toEqual([
        ['image_encoder', true],
        ['text_encoder', true],
        ['detector', false],
        ['detector_boxes', true],
        ['prompt_encoder', true],
        ['mask_decoder', true],
      ]);
      await s.dispose();
    });

    it('a corrupt blob is compiled again and replaced, with a note', async () => {
      const dir = path.join(cache, 'openvino');
      for (const f of readdirSync(dir).filter((f) => f.startsWith('text_encoder-'))) writeFileSync(path.join(dir, f), 'not a blob');
      const s = await start();
      const text = s.backendInfo?.graphs?.find((g) => g.graph === 'text_encoder');
      expect(text).toMatchObject({ fromCache: false });
      expect(text?.cacheNote).toMatch(/not usable/);
      await s.dispose();
      const again = await start();
      expect(again.backendInfo?.graphs?.every((g) => g.fromCache)).toBe(true);
      await again.dispose();
    });

    it('modelCache: false compiles every time and writes nothing', async () => {
      const empty = tempDir('sam3clip-no-cache-');
      const s = await createSegmenter({ models: pkg, backend: 'openvino', threads: 1, modelCache: false });
      expect(s.backendInfo?.graphs?.some((g) => g.fromCache)).toBe(false);
      await s.dispose();
      expect(readdirSync(empty)).toEqual([]);
    });
  });

  it("an image's features stay as they were while other images are encoded and prompted (outputs are never reused)", async () => {
    const models = await makePackage('stretch');
    const s = await createSegmenter({ models, backend: 'openvino', threads: 1, cache: false });
    const fresh = await createSegmenter({ models, backend: 'openvino', threads: 1, cache: false });
    try {
      const kept = await s.embed(images[0]!);
      const before = await s.segment(kept, ['red box', 'background']);
      await Promise.all([s.segment(images[1]!, ['thing', 'other thing', 'a third']), s.embed(images[1]!).then((e) => e.dispose())]);
      const after = await s.segment(kept, ['red box', 'background']);
      const reference = await fresh.segment(images[0]!, ['red box', 'background']);
      for (const results of [after, reference])
        results.forEach((r, i) => {
          expect(r.score).toBe(before[i]!.score);
          expect(Buffer.from(r.mask.data)).toEqual(Buffer.from(before[i]!.mask.data));
        });
      kept.dispose();
    } finally {
      await s.dispose();
      await fresh.dispose();
    }
  });

  it('a corrupt graph file is E_MODEL_FILE, not a crash', async () => {
    const pkg = path.join(tempDir(), 'broken');
    cpSync(CONCEPT, pkg, { recursive: true });
    const file = path.join(pkg, 'text_encoder.onnx');
    writeFileSync(file, readFileSync(file).subarray(0, 5000));
    await expect(createSegmenter({ models: pkg, backend: 'openvino', verifyHashes: false, modelCache: false })).rejects.toMatchObject({
      code: 'E_MODEL_FILE',
      field: 'files.text_encoder',
    });
  });

  it('the native graph refuses bad feeds with E_INVALID_OPTION', async () => {
    const graph = await addon!.OpenVinoGraph.compile(path.join(CONCEPT, 'text_encoder.onnx'), { precision: 'f32', threads: 1 });
    const L = 32;
    const ids = { dims: [1, L], data: new BigInt64Array(L) };
    const bad: [string, unknown][] = [
      ['a missing input', { input_ids: ids }],
      ['a wrong rank', { input_ids: { dims: [L], data: new BigInt64Array(L) }, attention_mask: ids }],
      ['a fixed axis of another size', { input_ids: { dims: [1, 7], data: new BigInt64Array(7) }, attention_mask: ids }],
      ['the wrong element type', { input_ids: { dims: [1, L], data: new Float32Array(L) }, attention_mask: ids }],
      ['too few values', { input_ids: { dims: [2, L], data: new BigInt64Array(L) }, attention_mask: ids }],
      ['not an object', 42],
    ];
    for (const [what, feeds] of bad)
      await expect(graph.run(feeds as Parameters<typeof graph.run>[0]), what).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
    const ok = await graph.run({ input_ids: ids, attention_mask: { dims: [1, L], data: new BigInt64Array(L).fill(1n) } });
    expect(ok.outputs[0]!.dims).toEqual([1, L, 64]);
    graph.close();
    await expect(graph.run({ input_ids: ids, attention_mask: ids })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });

  it('inferencePrecision is validated, and applies to OpenVINO only', async () => {
    const models = await makePackage('stretch');
    await expect(createSegmenter({ models, backend: 'openvino', inferencePrecision: 'int4' as 'bf16' })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'inferencePrecision',
    });
    await expect(createSegmenter({ models, backend: 'cpu', inferencePrecision: 'bf16' })).rejects.toMatchObject({
      code: 'E_INVALID_OPTION',
      field: 'inferencePrecision',
    });
    const fp32 = await createSegmenter({ models, backend: 'openvino', inferencePrecision: 'fp32', threads: 1, modelCache: false });
    expect(fp32.backendInfo?.reason).toMatch(/^requested: OpenVINO \d+\.\d+.* FP32 inference$/);
    expect(fp32.backendInfo?.graphs?.every((g) => g.inferencePrecision === 'f32')).toBe(true);
    await fp32.dispose();
  });

  it("without the module, backend 'openvino' is E_BACKEND_UNAVAILABLE and 'auto' runs ONNX Runtime, saying why", async () => {
    const models = await makePackage('stretch');
    const script = `
      const { createSegmenter } = require(${JSON.stringify(DIST)});
      (async () => {
        const error = await createSegmenter({ models: ${JSON.stringify(models)}, backend: 'openvino' }).catch((e) => e);
        const auto = await createSegmenter({ models: ${JSON.stringify(models)}, threads: 1 });
        process.stdout.write(JSON.stringify({ code: error.code, message: error.message, info: auto.backendInfo }));
        await auto.dispose();
      })();`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, SAM3CLIP_OPENVINO: '0' }, encoding: 'utf8' }));
    expect(out.code).toBe('E_BACKEND_UNAVAILABLE');
    expect(out.message).toMatch(/SAM3CLIP_OPENVINO=0/);
    expect(out.info).toMatchObject({ name: 'cpu' });
    expect(out.info.reason).toMatch(/^auto: .*SAM3CLIP_OPENVINO=0.*ONNX Runtime on the CPU$/);
  });
});

afterAll(() => {});
