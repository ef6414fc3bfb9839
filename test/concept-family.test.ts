/**
 * The sam3-concept family through the public API, the CLI and the HTTP API, on the committed tiny
 * real-architecture package (transformers Sam3Model, random weights re-drawn so scores spread):
 * instances, threshold and maxInstances, negatives, caching, the CLI's --json/--instances and the
 * server's JSON. The match with transformers' own outputs is test/concept-reference.test.ts.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmenter, type Segmenter, type SegmentResult } from '../dist/index.js';
import { createServer, type Sam3ClipServer } from '../dist/server/create-server.js';
import { tempDir } from './support/packages.js';
import { decodeRle } from './support/rle.js';

const PACKAGE = path.resolve(__dirname, 'fixtures/sam3-concept-tiny');
const PHOTO = path.resolve(__dirname, '../../shared/images/chelsea.png');
const CLI = path.resolve(__dirname, '../dist/cli/main.js');
const haveShared = existsSync(PHOTO);
const PROMPTS = ['a cat', 'a cup of coffee', 'a person'];

function overlap(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += a[i]! & b[i]!;
  return n;
}

describe.skipIf(!haveShared)('sam3-concept family (tiny package)', () => {
  let segmenter: Segmenter;
  let base: SegmentResult[];
  beforeAll(async () => {
    segmenter = await createSegmenter({ models: PACKAGE, backend: 'cpu', threads: 1 });
    base = await segmenter.segment(PHOTO, PROMPTS, { threshold: 0.3, smoothness: 1 });
  }, 60_000);
  afterAll(() => segmenter?.dispose());

  it('loads as the concept family on the CPU and reports its three graphs', () => {
    expect(segmenter.manifest?.family).toBe('sam3-concept');
    const runs = segmenter.stats().runs;
    expect(runs.image_encoder.runs).toBe(1);
    expect(runs.text_encoder.runs).toBe(1);
    expect(runs.detector.runs).toBe(1);
    expect(runs.mask_decoder.runs).toBe(0);
  });

  it('returns every kept instance best first, with boxes inside the image and the union as the mask', () => {
    const found = base.filter((r) => r.instances.length > 1);
    expect(found.length).toBeGreaterThan(0); // the re-drawn weights make several instances pass
    for (const r of base) {
      expect(r.candidates).toBeUndefined();
      expect(r.presence).toBeGreaterThan(0);
      expect(r.presence).toBeLessThan(1);
      expect(r.passedThreshold).toBe(r.instances.length > 0);
      const union = new Uint8Array(r.mask.data.length);
      r.instances.forEach((inst, i) => {
        if (i > 0) expect(inst.score).toBeLessThanOrEqual(r.instances[i - 1]!.score);
        expect(inst.score).toBeGreaterThan(0.3);
        const [x0, y0, x1, y1] = inst.box;
        expect(x0).toBeGreaterThanOrEqual(0);
        expect(y0).toBeGreaterThanOrEqual(0);
        expect(x1).toBeLessThanOrEqual(r.mask.width);
        expect(y1).toBeLessThanOrEqual(r.mask.height);
        expect(inst.area).toBe(inst.mask.data.reduce((a, v) => a + v, 0));
        inst.mask.data.forEach((v, p) => (union[p]! |= v));
      });
      expect(Buffer.from(r.mask.data).equals(Buffer.from(union))).toBe(true);
      if (r.instances.length) expect(r.score).toBe(r.instances[0]!.score);
      else expect(r.score).toBeLessThanOrEqual(0.3);
    }
  });

  it('a higher threshold keeps a prefix of the instances; maxInstances caps them', async () => {
    const high = await segmenter.segment(PHOTO, PROMPTS, { threshold: 0.5, smoothness: 1 });
    high.forEach((r, i) => {
      const want = base[i]!.instances.filter((inst) => inst.score > 0.5);
      expect(r.instances.map((x) => x.score)).toEqual(want.map((x) => x.score));
    });
    const capped = await segmenter.segment(PHOTO, PROMPTS, { threshold: 0.3, smoothness: 1, maxInstances: 2 });
    capped.forEach((r, i) => expect(r.instances.map((x) => x.score)).toEqual(base[i]!.instances.slice(0, 2).map((x) => x.score)));
  });

  it('cached image and prompts: no new encoder or text-tower run, the same answer', async () => {
    const before = segmenter.stats().runs;
    const again = await segmenter.segment(PHOTO, PROMPTS, { threshold: 0.3, smoothness: 1 });
    const after = segmenter.stats().runs;
    expect(after.image_encoder.runs).toBe(before.image_encoder.runs);
    expect(after.text_encoder.runs).toBe(before.text_encoder.runs);
    expect(after.detector.runs).toBe(before.detector.runs + 1);
    again.forEach((r, i) => expect(r.instances.map((x) => x.score)).toEqual(base[i]!.instances.map((x) => x.score)));
  });

  it("a negative prompt's instances are removed from every positive instance", async () => {
    const [positive, negative] = base.filter((r) => r.instances.length > 0);
    expect(negative).toBeDefined();
    const [r] = await segmenter.segment(PHOTO, positive!.prompt, { threshold: 0.3, smoothness: 1, negative: negative!.prompt });
    expect(overlap(r!.mask.data, negative!.mask.data)).toBe(0);
    for (const inst of r!.instances) expect(overlap(inst.mask.data, negative!.mask.data)).toBe(0);
    // What is left of each instance is its own mask minus the negatives' union.
    for (const inst of r!.instances) {
      const original = positive!.instances.find((x) => x.score === inst.score)!;
      expect(inst.area).toBe(original.area - overlap(original.mask.data, negative!.mask.data));
    }
  });

  it('smoothness closes each instance on its own', async () => {
    const [smooth] = await segmenter.segment(PHOTO, base[0]!.prompt, { threshold: 0.3, smoothness: 5 });
    expect(smooth!.instances.length).toBe(base[0]!.instances.length);
    smooth!.instances.forEach((inst, i) => expect(inst.area).toBeGreaterThanOrEqual(base[0]!.instances[i]!.area));
  });

  it('backend "tensorrt" without TensorRT or engines is E_BACKEND_UNAVAILABLE, and unknown options', async () => {
    await expect(createSegmenter({ models: PACKAGE, backend: 'tensorrt' })).rejects.toMatchObject({
      code: 'E_BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/no TensorRT support|no CUDA device|no engines for/),
    });
    await expect(segmenter.segment(PHOTO, 'a cat', { maxInstances: 0 })).rejects.toMatchObject({ code: 'E_INVALID_OPTION' });
  });

  it('a call whose instances would exceed the mask budget is E_REQUEST_TOO_LARGE', async () => {
    const tight = await createSegmenter({ models: PACKAGE, backend: 'cpu', threads: 1, maskBudgetMiB: 1 });
    try {
      // chelsea is 451×300: 1 MiB holds the union and working masks of one prompt, not 3 prompts' instances.
      await expect(tight.segment(PHOTO, PROMPTS, { threshold: 0.1 })).rejects.toMatchObject({ code: 'E_REQUEST_TOO_LARGE' });
    } finally {
      await tight.dispose();
    }
  });
});

describe('sam3-concept package validation', () => {
  it('a manifest without thresholds is E_MODEL_MANIFEST naming the field', async () => {
    const dir = path.join(tempDir(), 'pkg');
    cpSync(PACKAGE, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    delete manifest.thresholds;
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(createSegmenter({ models: dir })).rejects.toMatchObject({ code: 'E_MODEL_MANIFEST', field: 'thresholds' });
  });

  it('a detector whose outputs do not fit the manifest is E_MODEL_SHAPE naming the tensor', async () => {
    const dir = path.join(tempDir(), 'pkg');
    cpSync(PACKAGE, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.dims.queries += 1;
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect(createSegmenter({ models: dir, backend: 'cpu', threads: 1 })).rejects.toMatchObject({
      code: 'E_MODEL_SHAPE',
      field: expect.stringMatching(/^pred_(logits|boxes|masks)/),
    });
  });
});

const run = promisify(execFile);

describe.skipIf(!haveShared)('sam3-concept through the CLI and the HTTP API', () => {
  let work: string;
  beforeAll(() => {
    work = tempDir();
  });

  it('segment --json gives each instance with score, box, bbox, area and rle; --instances writes one PNG each', async () => {
    const dir = path.join(work, 'instances');
    const out = path.join(work, 'union.png');
    const { stdout } = await run(process.execPath, [
      CLI, 'segment', PHOTO, 'a cat', '--models', PACKAGE, '--threshold', '0.3', '--smoothness', '1', '--json', '--instances', dir, '-o', out,
    ]);
    const json = JSON.parse(stdout);
    const [result] = json.results;
    expect(result.instances.length).toBeGreaterThan(1);
    const written = readdirSync(dir).sort();
    expect(written).toHaveLength(result.instances.length);
    const union = decodeRle(result.rle);
    const unionPng = await sharp(out).extractChannel(0).raw().toBuffer();
    expect(Buffer.from(union.map((v) => v * 255)).equals(unionPng)).toBe(true);
    for (const [k, inst] of result.instances.entries()) {
      expect(Object.keys(inst).sort()).toEqual(['area', 'bbox', 'box', 'rle', 'score']);
      const file = path.join(dir, `1-a-cat-${k + 1}.png`);
      expect(json.files).toContain(file);
      const png = await sharp(file).extractChannel(0).raw().toBuffer();
      const mask = decodeRle(inst.rle);
      expect(Buffer.from(mask.map((v) => v * 255)).equals(png)).toBe(true);
      expect(mask.reduce((a, v) => a + v, 0)).toBe(inst.area);
    }
  }, 60_000);

  it('POST /api/segment answers with instances (the same serializer)', async () => {
    const app: Sam3ClipServer = createServer({ port: 0, models: PACKAGE, backend: 'cpu', threads: 1 });
    try {
      const { port } = await app.listen();
      const url = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 600 && (await (await fetch(`${url}/api/health`)).json()).status !== 'ready'; i++)
        await new Promise((r) => setTimeout(r, 50));
      const body = new FormData();
      body.append('image', new Blob([readFileSync(PHOTO)], { type: 'image/png' }), 'chelsea.png');
      body.append('prompt', 'a cat');
      body.append('threshold', '0.3');
      body.append('smoothness', '1');
      body.append('maxInstances', '3');
      const r = await fetch(`${url}/api/segment`, { method: 'POST', body });
      expect(r.status).toBe(200);
      const json = await r.json();
      const [result] = json.results;
      expect(result.instances.length).toBeGreaterThan(0);
      expect(result.instances.length).toBeLessThanOrEqual(3);
      expect(typeof result.presence).toBe('number');
      for (const inst of result.instances) expect(decodeRle(inst.rle).reduce((a: number, v: number) => a + v, 0)).toBe(inst.area);
      const spec = await (await fetch(`${url}/api/openapi.json`)).json();
      const props = spec.components.schemas.SegmentResponse.properties.results.items.properties;
      expect(Object.keys(props.instances.items.properties).sort()).toEqual(['area', 'bbox', 'box', 'rle', 'score']);
    } finally {
      await app.close();
    }
  }, 60_000);
});
