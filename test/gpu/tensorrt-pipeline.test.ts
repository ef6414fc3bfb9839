// The TensorRT backend end to end on a GPU: real engines from the native builder, the device
// pipeline, and agreement with the CPU backend. Run by `npm run test:gpu` (which builds the addon
// with CUDA and TensorRT); anywhere without them every test here skips and says why.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEngines, capabilities, createSegmenter, type Segmenter } from '../../dist/index.js';
import { iou } from '../../scripts/fixtures/shapes-image.js';
import { blocksImage, png } from '../support/images.js';
import { makePackage, tempDir } from '../support/packages.js';

const caps = capabilities();
const why = !caps.tensorrt
  ? 'this build of the addon has no TensorRT (npm run test:gpu builds it with TENSORRT_ROOT set)'
  : !caps.cuda || caps.cuda.devices.length === 0
    ? 'no CUDA device is visible'
    : '';
if (why) console.warn(`TensorRT pipeline tests skipped: ${why}`);

/** A PNG with a few coloured blocks, so masks have edges to disagree on. */
function testImage(width: number, height: number): Promise<Buffer> {
  const rgb = blocksImage(width, height, [30, 60, 90], [
    { x: Math.floor(width / 5), y: Math.floor(height / 4), w: Math.floor(width / 3), h: Math.floor(height / 2), rgb: [220, 40, 40] },
    { x: Math.floor(width / 2), y: Math.floor(height / 8), w: Math.floor(width / 3), h: Math.floor(height / 3), rgb: [250, 250, 250] },
  ]);
  return png(rgb, width, height);
}

describe.skipIf(why !== '')('TensorRT backend on the GPU', () => {
  let models: string;
  let engines: string;
  let gpu: Segmenter;
  let cpu: Segmenter;

  beforeAll(async () => {
    models = await makePackage('stretch', { name: 'gpu-test' });
    engines = tempDir();
    const built = await buildEngines({ models, engines, maxPrompts: 8, precision: 'fp32' });
    expect(path.basename(built.dir)).toMatch(/^sm\d+-trt\d+\.\d+$/);
    gpu = await createSegmenter({ models, backend: 'tensorrt', engines });
    cpu = await createSegmenter({ models, backend: 'cpu' });
  }, 600_000);

  afterAll(async () => {
    await gpu?.dispose();
    await cpu?.dispose();
  });

  it('auto picks TensorRT when engines match', async () => {
    const auto = await createSegmenter({ models, engines });
    try {
      expect(auto.backendInfo?.name).toBe('tensorrt');
    } finally {
      await auto.dispose();
    }
  });

  it('masks agree with the CPU backend (>= 99.9% of pixels) and scores within 1e-3', async () => {
    const image = await testImage(173, 121);
    for (const smoothness of [1, 3, 5]) {
      const prompts = ['a red car', 'black cat face', 'sky'];
      const [a, b] = await Promise.all([gpu.segment(image, prompts, { smoothness }), cpu.segment(image, prompts, { smoothness })]);
      a.forEach((r, i) => {
        const c = b[i]!;
        let same = 0;
        for (let p = 0; p < r.mask.data.length; p++) if (r.mask.data[p] === c.mask.data[p]) same++;
        expect(same / r.mask.data.length).toBeGreaterThanOrEqual(0.999);
        r.candidates.forEach((cand, k) => expect(Math.abs(cand.iou - c.candidates[k]!.iou)).toBeLessThan(1e-3));
        expect(r.candidateIndex).toBe(c.candidateIndex);
      });
    }
  });

  it('keeps the embedding on the GPU: a second call runs no image encoder', async () => {
    const image = await testImage(96, 64);
    await gpu.segment(image, 'a');
    const before = gpu.stats().runs.image_encoder.runs;
    await gpu.segment(image, ['b', 'c']);
    expect(gpu.stats().runs.image_encoder.runs).toBe(before);
  });

  it('a prompt batch beyond the engines profile is a clear error, and the segmenter stays usable', async () => {
    const image = await testImage(64, 64);
    const many = Array.from({ length: 9 }, (_, i) => `thing ${i}`);
    await expect(gpu.segment(image, many)).rejects.toMatchObject({ code: 'E_INVALID_PROMPT' });
    expect(await gpu.segment(image, 'ok')).toHaveLength(1);
  });
});

const CONCEPT_PACKAGE = path.resolve(__dirname, '../fixtures/sam3-concept-tiny');


describe.skipIf(why !== '')('TensorRT backend on the GPU: sam3-concept', () => {
  let engines: string;
  let gpu: Segmenter;
  let cpu: Segmenter;

  beforeAll(async () => {
    engines = tempDir();
    await buildEngines({ models: CONCEPT_PACKAGE, engines, maxPrompts: 8, precision: 'fp32' });
    gpu = await createSegmenter({ models: CONCEPT_PACKAGE, backend: 'tensorrt', engines });
    cpu = await createSegmenter({ models: CONCEPT_PACKAGE, backend: 'cpu' });
  }, 600_000);

  afterAll(async () => {
    await gpu?.dispose();
    await cpu?.dispose();
  });

  it('auto picks TensorRT when engines match', async () => {
    const auto = await createSegmenter({ models: CONCEPT_PACKAGE, engines });
    try {
      expect(auto.backendInfo?.name).toBe('tensorrt');
    } finally {
      await auto.dispose();
    }
  });

  it('instances agree with the CPU backend: same count, scores within 1e-3, mask IoU >= 0.99', async () => {
    const image = await testImage(173, 121);
    const prompts = ['a red car', 'black cat face', 'sky'];
    for (const options of [{ threshold: 0.1, smoothness: 1 }, { threshold: 0.1, smoothness: 5 }, { threshold: 0.1, smoothness: 3, negative: ['sky'] }]) {
      const [a, b] = await Promise.all([gpu.segment(image, prompts, options), cpu.segment(image, prompts, options)]);
      a.forEach((r, i) => {
        const c = b[i]!;
        expect(r.instances.length).toBe(c.instances.length);
        expect(Math.abs(r.score - c.score)).toBeLessThan(1e-3);
        r.instances.forEach((inst, k) => {
          const other = c.instances[k]!;
          expect(Math.abs(inst.score - other.score)).toBeLessThan(1e-3);
          expect(iou(inst.mask.data, other.mask.data)).toBeGreaterThanOrEqual(0.99);
        });
        expect(iou(r.mask.data, c.mask.data)).toBeGreaterThanOrEqual(0.99);
      });
    }
  });

  it('keeps the embedding on the GPU: a second call runs no image encoder', async () => {
    const image = await testImage(96, 64);
    await gpu.segment(image, 'a');
    const before = gpu.stats().runs.image_encoder.runs;
    await gpu.segment(image, ['b', 'c']);
    expect(gpu.stats().runs.image_encoder.runs).toBe(before);
  });
});

/**
 * The fixtures with the interactive path beside text: the tracker+CLIP package (its decoder serves
 * both) and sam3-concept with the tracker's graphs on the same image encoding.
 */
const INTERACTIVE_PACKAGES = ['sam3-tiny', 'sam3-concept-tiny']
  .map((name) => path.resolve(__dirname, '../fixtures', name))
  .filter((dir) => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).files.prompt_encoder !== undefined);

/** Clicks and boxes on testImage(173, 121): on the red block, on the white one with a click off it, a box. */
const CLICKS = [
  { points: [[60, 60]] as [number, number][] },
  { points: [[110, 30], [60, 60]] as [number, number][], labels: [1, 0] as (0 | 1)[] },
  { box: [30, 25, 95, 95] as [number, number, number, number] },
  { points: [[120, 25]] as [number, number][], box: [80, 10, 150, 55] as [number, number, number, number] },
];

for (const models of INTERACTIVE_PACKAGES) {
  describe.skipIf(why !== '')(`TensorRT backend on the GPU: points and boxes on ${path.basename(models)}`, () => {
    let engineDir: string;
    let gpu: Segmenter;
    let cpu: Segmenter;

    beforeAll(async () => {
      const built = await buildEngines({ models, engines: tempDir(), maxPrompts: 8, precision: 'fp32' });
      engineDir = built.dir;
      expect(Object.keys(built.metadata.engines)).toContain('prompt_encoder');
      gpu = await createSegmenter({ models, backend: 'tensorrt', engines: engineDir });
      cpu = await createSegmenter({ models, backend: 'cpu' });
    }, 600_000);

    afterAll(async () => {
      await gpu?.dispose();
      await cpu?.dispose();
    });

    it('every candidate agrees with the CPU backend: IoU within 1e-2, mask IoU >= 0.98', async () => {
      const image = await testImage(173, 121);
      for (const smoothness of [1, 3]) {
        const [single] = await gpu.segment(image, { points: [[60, 60]] }, { allCandidates: true, smoothness });
        const [singleCpu] = await cpu.segment(image, { points: [[60, 60]] }, { allCandidates: true, smoothness });
        const [a, b] = await Promise.all([
          gpu.segment(image, CLICKS, { allCandidates: true, smoothness }),
          cpu.segment(image, CLICKS, { allCandidates: true, smoothness }),
        ]);
        [[single!, singleCpu!] as const, ...a.map((r, i) => [r, b[i]!] as const)].forEach(([r, c]) => {
          const theirs = c.candidates!;
          expect(r.candidates).toHaveLength(theirs.length);
          r.candidates!.forEach((cand, k) => {
            const other = theirs[k]!;
            expect(Math.abs(cand.iou - other.iou)).toBeLessThan(1e-2);
            expect(iou(cand.mask!.data, other.mask!.data)).toBeGreaterThanOrEqual(0.98);
          });
          if (r.candidateIndex === c.candidateIndex) expect(iou(r.mask.data, c.mask.data)).toBeGreaterThanOrEqual(0.98);
        });
      }
    });

    it('runs the interactive graphs on the GPU on the kept embedding, counted in stats', async () => {
      const image = await testImage(96, 64);
      await gpu.segment(image, 'a');
      const before = gpu.stats().runs;
      await gpu.segment(image, { points: [[40, 30]] });
      const after = gpu.stats().runs;
      expect(after.image_encoder.runs).toBe(before.image_encoder.runs);
      expect(after.prompt_encoder.runs).toBe(before.prompt_encoder.runs + 1);
      expect(after.mask_decoder.runs).toBeGreaterThan(before.mask_decoder.runs);
    });

    it('more clicks in one call than the engines take at once run in parts and still agree', async () => {
      const image = await testImage(173, 121);
      const many = Array.from({ length: 11 }, (_, i) => ({ points: [[10 + i * 14, 20 + i * 8]] as [number, number][] }));
      const [a, b] = await Promise.all([gpu.segment(image, many), cpu.segment(image, many)]);
      expect(a).toHaveLength(11);
      a.forEach((r, i) => {
        r.candidates!.forEach((cand, k) => expect(Math.abs(cand.iou - b[i]!.candidates![k]!.iou)).toBeLessThan(1e-2));
      });
    });

    it('an engine folder built before the interactive path still answers text; points ask for a rebuild', async () => {
      const older = path.join(tempDir(), 'older');
      cpSync(engineDir, older, { recursive: true });
      const metaFile = path.join(older, 'metadata.json');
      const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
      delete meta.engines.prompt_encoder;
      writeFileSync(metaFile, JSON.stringify(meta));
      const segmenter = await createSegmenter({ models, backend: 'tensorrt', engines: older });
      try {
        const image = await testImage(64, 64);
        expect(await segmenter.segment(image, 'ok')).toHaveLength(1);
        await expect(segmenter.segment(image, { points: [[30, 30]] })).rejects.toMatchObject({
          code: 'E_BACKEND_UNAVAILABLE',
          message: expect.stringMatching(/npm run build-engines/),
        });
      } finally {
        await segmenter.dispose();
      }
    });
  });
}
