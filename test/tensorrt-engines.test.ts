// The TensorRT side that runs without a GPU: build-engines orchestration (driving a stand-in
// for the native builder tool), its errors, the engine folder's metadata, and how the segmenter
// treats stale, foreign or unusable engines. The native builder and pipeline themselves run in
// `npm run test:gpu` on a GPU machine.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUTO_CPU_BACKEND } from './support/backends.js';
import { buildEngines, capabilities, createSegmenter, loadModelPackage, type BuildProgress } from '../dist/index.js';
import { writeFakeEngineBuilder } from './support/fake-engine-builder.js';
import { makePackage, tempDir } from './support/packages.js';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../dist/cli/main.js');
const FAKE_KEYS = ['SAM3CLIP_ENGINE_BUILDER', 'FAKE_TRT_VERSION', 'FAKE_GPU', 'FAKE_FAIL_ON', 'FAKE_FAIL_CODE', 'FAKE_ARGS_LOG'];

let models: string;
let fakeBuilder: string;

beforeAll(async () => {
  models = await makePackage('stretch', { name: 'engine-test' });
  fakeBuilder = writeFakeEngineBuilder(tempDir());
});

afterEach(() => {
  for (const k of FAKE_KEYS) delete process.env[k];
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'resolved';
}

describe('build-engines', () => {
  it('without TensorRT fails with E_TENSORRT_UNAVAILABLE saying how to point the build at it (API and CLI)', async () => {
    process.env.SAM3CLIP_ENGINE_BUILDER = path.join(tempDir(), 'no-such-builder');
    const error = await buildEngines({ models, engines: tempDir() }).catch((e: unknown) => e as Error & { code: string });
    expect(error).toMatchObject({ code: 'E_TENSORRT_UNAVAILABLE' });
    expect(error.message).toMatch(/TENSORRT_ROOT=.*npm run build:native/);

    const env = { ...process.env };
    const result = await run(process.execPath, [CLI, 'build-engines', '--models', models], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((result as { code: number }).code).toBe(1);
    expect((result as { stderr: string }).stderr).toMatch(/error E_TENSORRT_UNAVAILABLE/);
  });

  it('builds the four graphs into engines/<name>/<arch>-trt<version>/ with metadata, profiles and progress', async () => {
    process.env.SAM3CLIP_ENGINE_BUILDER = fakeBuilder;
    const argsLog = path.join(tempDir(), 'args.jsonl');
    process.env.FAKE_ARGS_LOG = argsLog;
    const root = tempDir();
    const progress: BuildProgress[] = [];
    const result = await buildEngines({ models, engines: root, maxPrompts: 8, precision: 'fp32', onProgress: (p) => progress.push(p) });

    expect(result.dir).toBe(path.join(root, 'engine-test', 'sm90-trt11.1'));
    expect(readdirSync(result.dir).sort()).toEqual(
      ['image_encoder.engine', 'mask_decoder.engine', 'metadata.json', 'text_encoder.engine', 'text_projection.engine'],
    );
    expect(readdirSync(path.join(root, 'engine-test'))).toEqual(['sm90-trt11.1']); // no staging folder left
    const pkg = await loadModelPackage(models);
    const meta = JSON.parse(readFileSync(path.join(result.dir, 'metadata.json'), 'utf8'));
    expect(meta).toMatchObject({
      format: 'sam3clip-engines',
      package: { name: 'engine-test' },
      tensorrt: { version: '11.1.0', versionCompatible: false },
      gpu: { name: 'Fake GPU', computeCapability: '9.0' },
      precision: 'fp32',
      maxPrompts: 8,
    });
    for (const g of ['image_encoder', 'text_encoder', 'text_projection', 'mask_decoder'] as const)
      expect(meta.engines[g].sourceSha256).toBe(pkg.manifest.files[g].sha256);

    // The prompt batch ranges over 1..maxPrompts (opt 4); image inputs are fixed.
    const calls = readFileSync(argsLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
    const builds = calls.filter((a) => !a.includes('--probe'));
    expect(builds).toHaveLength(4);
    const L = pkg.manifest.tokenizer.contextLength;
    const text = builds.find((a) => a[a.indexOf('--onnx') + 1]!.endsWith(pkg.manifest.files.text_encoder.path))!;
    expect(text).toContain(`input_ids:1x${L},4x${L},8x${L}`);
    expect(text[text.indexOf('--precision') + 1]).toBe('fp32');
    const S = pkg.manifest.image.size;
    const image = builds.find((a) => a[a.indexOf('--onnx') + 1]!.endsWith(pkg.manifest.files.image_encoder.path))!;
    expect(image).toContain(`pixel_values:1x3x${S}x${S},1x3x${S}x${S},1x3x${S}x${S}`);

    // Progress: every graph, in order, reaching 100%.
    expect([...new Set(progress.map((p) => p.graph))]).toEqual(['image_encoder', 'text_encoder', 'text_projection', 'mask_decoder']);
    expect(progress.filter((p) => p.fraction === 1)).toHaveLength(4);
  });

  it("leaves CLIP's image tower out: suggestions run on the CPU backends", async () => {
    process.env.SAM3CLIP_ENGINE_BUILDER = fakeBuilder;
    const suggest = path.resolve(__dirname, 'fixtures/sam3-suggest-tiny');
    const result = await buildEngines({ models: suggest, engines: tempDir(), precision: 'fp32' });
    const built = readdirSync(result.dir).filter((f) => f.endsWith('.engine')).sort();
    expect(built).toEqual(['image_encoder.engine', 'mask_decoder.engine', 'prompt_encoder.engine', 'text_encoder.engine', 'text_projection.engine']);
    expect(JSON.parse(readFileSync(path.join(result.dir, 'metadata.json'), 'utf8')).engines.image_tower).toBeUndefined();
  });

  it('builds every sam3-concept graph the package lists, with a prompt-batch profile for the detector', async () => {
    const concept = path.resolve(__dirname, 'fixtures/sam3-concept-tiny');
    process.env.SAM3CLIP_ENGINE_BUILDER = fakeBuilder;
    const argsLog = path.join(tempDir(), 'args.jsonl');
    process.env.FAKE_ARGS_LOG = argsLog;
    const progress: BuildProgress[] = [];
    const result = await buildEngines({ models: concept, engines: tempDir(), maxPrompts: 8, precision: 'fp32', onProgress: (p) => progress.push(p) });
    const pkg = await loadModelPackage(concept);
    const m = pkg.manifest as import('../dist/model/manifest-types.js').ConceptManifest;
    // The image encoder, text encoder and detector always; detector_boxes and the tracker's
    // prompt_encoder + mask_decoder where the package has them.
    const graphs = ['image_encoder', 'text_encoder', 'detector', 'detector_boxes', 'prompt_encoder', 'mask_decoder'].filter((g) => g in m.files);
    expect(graphs.slice(0, 3)).toEqual(['image_encoder', 'text_encoder', 'detector']);
    expect(readdirSync(result.dir).sort()).toEqual([...graphs.map((g) => `${g}.engine`), 'metadata.json'].sort());
    expect([...new Set(progress.map((p) => p.graph))]).toEqual(graphs);
    const builds = readFileSync(argsLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]).filter((a) => !a.includes('--probe'));
    const detector = builds.find((a) => a[a.indexOf('--onnx') + 1]!.endsWith(m.files.detector.path))!;
    const [h, w] = m.dims.embeddingSize;
    const C = m.dims.embeddingChannels;
    const L = m.tokenizer.contextLength;
    const T = m.dims.textFeatures;
    expect(detector).toContain(`fpn_feats_2:1x${C}x${h}x${w},1x${C}x${h}x${w},1x${C}x${h}x${w}`);
    expect(detector).toContain(`text_features:1x${L}x${T},4x${L}x${T},8x${L}x${T}`);
    expect(detector).toContain(`attention_mask:1x${L},4x${L},8x${L}`);
    const meta = JSON.parse(readFileSync(path.join(result.dir, 'metadata.json'), 'utf8'));
    for (const g of graphs) expect(meta.engines[g].sourceSha256).toBe(m.files[g as keyof typeof m.files]!.sha256);
    if (m.tracker) {
      // Points, a box's corners and the pad: 1..67 tokens, on both the prompt encoder and the decoder.
      const { embeddingChannels: Ct, embeddingSize: [ht, wt] } = m.tracker;
      const encoder = builds.find((a) => a[a.indexOf('--onnx') + 1]!.endsWith(m.files.prompt_encoder!.path))!;
      expect(encoder).toContain('input_points:1x1x2,4x2x2,8x67x2');
      expect(encoder).toContain('input_labels:1x1,4x2,8x67');
      const decoder = builds.find((a) => a[a.indexOf('--onnx') + 1]!.endsWith(m.files.mask_decoder!.path))!;
      expect(decoder).toContain(`image_embeddings:1x${Ct}x${ht}x${wt},1x${Ct}x${ht}x${wt},1x${Ct}x${ht}x${wt}`);
      expect(decoder).toContain(`high_res_feats_0:1x32x${4 * ht}x${4 * wt},1x32x${4 * ht}x${4 * wt},1x32x${4 * ht}x${4 * wt}`);
      expect(decoder).toContain(`prompt_embeds:1x1x${Ct},4x1x${Ct},8x67x${Ct}`);
    }
    // The sam3-concept family has a GPU pipeline too: on a build without TensorRT it says what is missing
    // (a TensorRT build would try these fake engines; npm run test:gpu runs real ones).
    if (!capabilities().tensorrt)
      await expect(createSegmenter({ models: concept, backend: 'tensorrt', engines: result.dir })).rejects.toMatchObject({
        code: 'E_BACKEND_UNAVAILABLE',
        message: expect.stringMatching(/no TensorRT support/),
      });
  });

  it('refuses FP16 from an FP32 graph on TensorRT 11, reports builder failures with their code, and leaves no half-built folder', async () => {
    process.env.SAM3CLIP_ENGINE_BUILDER = fakeBuilder;
    const root = tempDir();
    const fp16 = await buildEngines({ models, engines: root, precision: 'fp16' }).catch((e: Error & { code: string }) => e);
    expect(fp16).toMatchObject({ code: 'E_INVALID_OPTION' });
    expect(fp16.message).toMatch(/FP16 engines only from FP16 graphs/);

    process.env.FAKE_TRT_VERSION = '10.16.0'; // weakly typed FP16 is still possible on 10.x
    process.env.FAKE_FAIL_ON = 'mask_decoder.onnx';
    process.env.FAKE_FAIL_CODE = 'E_GPU_OOM';
    expect(await codeOf(buildEngines({ models, engines: root, precision: 'fp16' }))).toBe('E_GPU_OOM');
    expect(existsSync(path.join(root, 'engine-test')) ? readdirSync(path.join(root, 'engine-test')) : []).toEqual([]);

    delete process.env.FAKE_FAIL_ON;
    process.env.FAKE_GPU = 'none';
    expect(await codeOf(buildEngines({ models, engines: root }))).toBe('E_BACKEND_UNAVAILABLE');
    expect(await codeOf(buildEngines({ models, engines: root, maxPrompts: 0 }))).toBe('E_INVALID_OPTION');
  });
});

describe('engines at load time', () => {
  async function builtEngines(): Promise<string> {
    process.env.SAM3CLIP_ENGINE_BUILDER = fakeBuilder;
    const { dir } = await buildEngines({ models, engines: tempDir(), precision: 'fp32' });
    delete process.env.SAM3CLIP_ENGINE_BUILDER;
    return dir;
  }

  it('a foreign or stale engine folder is E_ENGINE_MISMATCH with the rebuild command, never a crash', async () => {
    const dir = await builtEngines();
    const metaFile = path.join(dir, 'metadata.json');
    const good = JSON.parse(readFileSync(metaFile, 'utf8'));

    // Built from another export of the text tower: stale.
    writeFileSync(metaFile, JSON.stringify({ ...good, engines: { ...good.engines, text_encoder: { ...good.engines.text_encoder, sourceSha256: 'f'.repeat(64) } } }));
    const stale = await createSegmenter({ models, backend: 'tensorrt', engines: dir }).catch((e: Error & { code: string }) => e);
    expect(stale).toMatchObject({ code: 'E_ENGINE_MISMATCH' });
    expect(stale.message).toMatch(/text_encoder was built from another/);
    expect(stale.message).toMatch(/npm run build-engines -- --models/);

    // Built for another package.
    writeFileSync(metaFile, JSON.stringify({ ...good, package: { ...good.package, name: 'someone-else' } }));
    expect(await codeOf(createSegmenter({ models, backend: 'tensorrt', engines: dir }))).toBe('E_ENGINE_MISMATCH');

    // Not ours at all, or not JSON.
    writeFileSync(metaFile, JSON.stringify({ format: 'something-else' }));
    expect(await codeOf(createSegmenter({ models, backend: 'tensorrt', engines: dir }))).toBe('E_ENGINE_MISMATCH');
    writeFileSync(metaFile, 'garbage\u0000');
    expect(await codeOf(createSegmenter({ models, backend: 'tensorrt', engines: dir }))).toBe('E_ENGINE_MISMATCH');

    // 'auto' does not fail: it says why it fell back to the CPU.
    const segmenter = await createSegmenter({ models, backend: 'auto', engines: dir });
    try {
      expect(segmenter.backendInfo?.name).toBe(AUTO_CPU_BACKEND);
      expect(segmenter.backendInfo?.reason).toMatch(/E_ENGINE_MISMATCH|not JSON/);
    } finally {
      await segmenter.dispose();
    }
  });

  it('a folder built before the interactive path (no prompt_encoder engine) still serves text; a stale interactive engine is E_ENGINE_MISMATCH', async () => {
    // The tracker+CLIP fixture (mask_decoder is its text path's decoder too) and sam3-concept (whose
    // tracker decoder and box-exemplar detector are extras), each where the fixture has the path.
    const cases = [
      { dir: path.resolve(__dirname, 'fixtures/sam3-tiny'), optional: ['prompt_encoder'] },
      { dir: path.resolve(__dirname, 'fixtures/sam3-concept-tiny'), optional: ['prompt_encoder', 'mask_decoder', 'detector_boxes'] },
    ];
    for (const { dir: fixture, optional } of cases) {
      const pkg = await loadModelPackage(fixture);
      if (!('prompt_encoder' in pkg.manifest.files)) continue;
      process.env.SAM3CLIP_ENGINE_BUILDER = fakeBuilder;
      const { dir } = await buildEngines({ models: fixture, engines: tempDir(), precision: 'fp32' });
      delete process.env.SAM3CLIP_ENGINE_BUILDER;
      const metaFile = path.join(dir, 'metadata.json');
      const good = JSON.parse(readFileSync(metaFile, 'utf8'));
      expect(Object.keys(good.engines)).toContain('prompt_encoder');

      const older = Object.fromEntries(Object.entries(good.engines).filter(([g]) => !optional.includes(g)));
      writeFileSync(metaFile, JSON.stringify({ ...good, engines: older }));
      const error = await createSegmenter({ models: fixture, backend: 'tensorrt', engines: dir }).catch((e: Error & { code: string }) => e);
      expect((error as { code?: string }).code).not.toBe('E_ENGINE_MISMATCH');
      // A TensorRT build goes on to load the fake engines; npm run test:gpu runs real ones.
      if (!capabilities().tensorrt) expect(error).toMatchObject({ code: 'E_BACKEND_UNAVAILABLE', message: expect.stringMatching(/no TensorRT support/) });

      // Present but built from another export: as stale as any other engine.
      writeFileSync(metaFile, JSON.stringify({ ...good, engines: { ...good.engines, prompt_encoder: { ...good.engines.prompt_encoder, sourceSha256: 'f'.repeat(64) } } }));
      const stale = await createSegmenter({ models: fixture, backend: 'tensorrt', engines: dir }).catch((e: Error & { code: string }) => e);
      expect(stale).toMatchObject({ code: 'E_ENGINE_MISMATCH', message: expect.stringMatching(/prompt_encoder was built from another/) });

      // The text path's own engines are never optional.
      const required = pkg.manifest.family === 'sam3-concept' ? 'detector' : 'mask_decoder';
      const { [required]: _dropped, ...without } = good.engines;
      writeFileSync(metaFile, JSON.stringify({ ...good, engines: without }));
      expect(await codeOf(createSegmenter({ models: fixture, backend: 'tensorrt', engines: dir }))).toBe('E_ENGINE_MISMATCH');
    }
  });

  it('matching engines on a build without TensorRT: backend "tensorrt" is E_BACKEND_UNAVAILABLE and auto uses the CPU', async () => {
    if (capabilities().tensorrt) return; // a TensorRT build is exercised by npm run test:gpu
    const dir = await builtEngines();
    const error = await createSegmenter({ models, backend: 'tensorrt', engines: dir }).catch((e: Error & { code: string }) => e);
    expect(error).toMatchObject({ code: 'E_BACKEND_UNAVAILABLE' });
    expect(error.message).toMatch(/no TensorRT support/);
    const segmenter = await createSegmenter({ models, engines: dir });
    try {
      expect(segmenter.backendInfo).toMatchObject({ name: AUTO_CPU_BACKEND });
      expect(segmenter.backendInfo?.reason).toMatch(/^auto: this build of the native addon has no TensorRT support/);
    } finally {
      await segmenter.dispose();
    }
  });

  it('capabilities() tells what this build can accelerate', () => {
    const caps = capabilities();
    expect(Object.keys(caps).filter((k) => k !== 'openvinoReason').sort()).toEqual(['cpu', 'cuda', 'openvino', 'tensorrt']);
    if (caps.cuda) {
      expect(typeof caps.cuda.runtimeVersion).toBe('string');
      expect(Array.isArray(caps.cuda.devices)).toBe(true);
    }
    if (caps.tensorrt) expect(caps.tensorrt.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
