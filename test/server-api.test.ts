import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Segmenter } from '../dist/index.js';
import { resultToJson } from '../dist/result-json.js';
import { createServer, type Sam3ClipServer } from '../dist/server/create-server.js';
import { AUTO_CPU_BACKEND } from './support/backends.js';
import { blocksImage, png } from './support/images.js';
import { makePackage } from './support/packages.js';

const CLI = path.resolve(__dirname, '../dist/cli/main.js');
const SHARED_IMAGES = path.resolve(__dirname, '../../shared/images');
const DEMO_MODELS = path.resolve(__dirname, '..', 'models', 'shapes-demo');
/** The tracker's interactive path alone (points and boxes, no text). */
const TRACKER_MODELS = path.resolve(__dirname, 'fixtures', 'sam3-tracker-tiny');
/** sam3 with the text path and the interactive one: text and points go to the decoder together. */
const SAM3_MODELS = path.resolve(__dirname, 'fixtures', 'sam3-tiny');
const CONCEPT_MODELS = path.resolve(__dirname, 'fixtures', 'sam3-concept-tiny');

let models: string;
let slowModels: string;
let app: Sam3ClipServer;
let base: string;
let redBox: Buffer;
const opened: Sam3ClipServer[] = [];

async function start(options: Parameters<typeof createServer>[0]): Promise<{ app: Sam3ClipServer; base: string }> {
  const s = createServer({ port: 0, ...options });
  opened.push(s);
  const { port } = await s.listen();
  return { app: s, base: `http://127.0.0.1:${port}` };
}

function form(fields: Record<string, string | string[]>, image?: Buffer | string, type = 'image/png'): FormData {
  const f = new FormData();
  if (image !== undefined) f.append('image', new Blob([image], { type }), 'upload');
  for (const [k, v] of Object.entries(fields)) for (const item of [v].flat()) f.append(k, item);
  return f;
}

async function post(url: string, body: FormData): Promise<{ status: number; json: any; headers: Headers }> {
  const r = await fetch(url, { method: 'POST', body });
  return { status: r.status, json: await r.json(), headers: r.headers };
}

async function health(url: string): Promise<any> {
  return (await fetch(`${url}/api/health`)).json();
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await health(url)).status === 'ready') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server never became ready');
}

/** Decodes a column-major COCO RLE into a row-major 0/1 array. */
function decodeRle(rle: { size: [number, number]; counts: number[] }): Uint8Array {
  const [h, w] = rle.size;
  const out = new Uint8Array(h * w);
  let i = 0;
  rle.counts.forEach((n, run) => {
    for (let k = 0; k < n; k++, i++) if (run % 2 === 1) out[(i % h) * w + Math.floor(i / h)] = 1;
  });
  expect(i).toBe(h * w);
  return out;
}

beforeAll(async () => {
  [models, slowModels] = await Promise.all([makePackage('stretch'), makePackage('stretch', { slowdown: 24 })]);
  redBox = await png(blocksImage(64, 48, [32, 32, 32], [{ x: 8, y: 8, w: 24, h: 24, rgb: [224, 96, 32] }]), 64, 48);
  ({ app, base } = await start({ models, maxUploadBytes: 1024 * 1024 }));
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

describe('HTTP API', () => {
  it('health goes from loading to ready and names the backend', async () => {
    const first = await health(base);
    expect(['loading', 'ready']).toContain(first.status);
    await waitReady(base);
    const h = await health(base);
    // 'auto' without a GPU: OpenVINO where its module loads, else ONNX Runtime.
    expect(h).toMatchObject({ status: 'ready', backend: AUTO_CPU_BACKEND, progress: { stage: 'ready' } });
    expect(h.progress.loaded).toBe(h.progress.total);
  });

  it('segments an uploaded image; the RLE decodes to the reported area', async () => {
    await waitReady(base);
    const r = await post(`${base}/api/segment`, form({ prompt: 'a red box', png: '1' }, redBox));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ width: 64, height: 48 });
    expect(typeof r.json.imageId).toBe('string');
    expect(r.json.results).toHaveLength(1);
    const result = r.json.results[0];
    expect(result.prompt).toBe('a red box');
    expect(result.rle.size).toEqual([48, 64]);
    expect(decodeRle(result.rle).reduce((a, b) => a + b, 0)).toBe(result.area);
    expect(Buffer.from(result.png, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(r.json.timings.total).toBeGreaterThan(0);
  });

  it('embed then segment by imageId gives the same masks without another encoder run', async () => {
    await waitReady(base);
    const other = await png(blocksImage(40, 30, [200, 200, 200], [{ x: 4, y: 4, w: 10, h: 10, rgb: [10, 200, 10] }]), 40, 30);
    const e = await post(`${base}/api/embed`, form({}, other));
    expect(e.status).toBe(200);
    const runs = app.segmenter.stats().runs.image_encoder.runs;
    const byId = await post(`${base}/api/segment`, form({ imageId: e.json.id, prompt: 'green square' }));
    expect(byId.status).toBe(200);
    expect(app.segmenter.stats().runs.image_encoder.runs).toBe(runs);
    expect(byId.json.imageId).toBe(e.json.id);
    const byFile = await post(`${base}/api/segment`, form({ prompt: 'green square' }, other));
    expect(byFile.json.results[0].rle).toEqual(byId.json.results[0].rle);
  });

  it('reads "X but not Y" as a prompt with a negative, and splits comma/newline lists', async () => {
    await waitReady(base);
    const neg = await post(`${base}/api/segment`, form({ prompt: 'red box but not background' }, redBox));
    expect(neg.status).toBe(200);
    expect(neg.json.results.map((r: any) => r.prompt)).toEqual(['red box']);
    const many = await post(`${base}/api/segment`, form({ prompt: ['red box, background', 'dark\nsquare'] }, redBox));
    expect(many.status).toBe(200);
    expect(many.json.results.map((r: any) => r.prompt)).toEqual(['red box', 'background', 'dark', 'square']);
  });

  it('answers bad input with JSON errors and the documented status codes', async () => {
    await waitReady(base);
    const bad = await post(`${base}/api/segment`, form({ prompt: 'box', threshold: '2' }, redBox));
    expect([bad.status, bad.json.error.code]).toEqual([400, 'E_INVALID_OPTION']);
    const nan = await post(`${base}/api/segment`, form({ prompt: 'box', threshold: 'high' }, redBox));
    expect([nan.status, nan.json.error.code]).toEqual([400, 'E_INVALID_OPTION']);
    const noPrompt = await post(`${base}/api/segment`, form({}, redBox));
    expect([noPrompt.status, noPrompt.json.error.code]).toEqual([400, 'E_INVALID_PROMPT']);
    const empty = await post(`${base}/api/segment`, form({ prompt: 'box' }, Buffer.alloc(0)));
    expect([empty.status, empty.json.error.code]).toEqual([400, 'E_IMAGE_EMPTY']);
    const text = await post(`${base}/api/segment`, form({ prompt: 'box' }, 'just some text, not pixels', 'text/plain'));
    expect([text.status, text.json.error.code]).toEqual([422, 'E_IMAGE_DECODE']);
    const big = await post(`${base}/api/segment`, form({ prompt: 'box' }, Buffer.alloc(1536 * 1024, 7)));
    expect([big.status, big.json.error.code]).toEqual([413, 'E_UPLOAD_TOO_LARGE']);
    const unknown = await post(`${base}/api/segment`, form({ prompt: 'box', imageId: 'nope' }));
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'E_UNKNOWN_IMAGE']);
    const json = await fetch(`${base}/api/segment`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(415);
    const missing = await fetch(`${base}/../../etc/passwd`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('E_NOT_FOUND');
    expect((await fetch(`${base}/api/segment`)).status).toBe(405);
    expect((await health(base)).status).toBe('ready');
  });

  it('serves an OpenAPI 3.1 document naming every route', async () => {
    const doc = await (await fetch(`${base}/api/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(['/api/embed', '/api/health', '/api/openapi.json', '/api/segment', '/api/suggest']);
  });

  it('answers 503 E_LOADING with Retry-After until the models are loaded', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // Holds back `ready` so the loading window lasts exactly as long as the test wants.
    class GatedSegmenter extends Segmenter {
      constructor() {
        super({ models });
        const loaded = this.ready;
        (this as { ready: Promise<unknown> }).ready = gate.then(() => loaded);
      }
    }
    const gated = await start({ segmenter: new GatedSegmenter() });
    const r = await post(`${gated.base}/api/segment`, form({ prompt: 'box' }, redBox));
    expect([r.status, r.json.error.code]).toEqual([503, 'E_LOADING']);
    expect(r.headers.get('retry-after')).toBeTruthy();
    const loading = await health(gated.base);
    expect(loading.status).toBe('loading');
    // What the package answers is told once it is ready, not before.
    expect([loading.family, loading.prompts]).toEqual([undefined, undefined]);
    open();
    await waitReady(gated.base);
    expect(await health(gated.base)).toMatchObject({ family: 'fixture', prompts: ['text'] });
    expect((await post(`${gated.base}/api/segment`, form({ prompt: 'box' }, redBox))).status).toBe(200);
  }, 30_000);

  it('reports a model load failure as 503 with the load error code', async () => {
    const broken = await start({ models: path.join(models, 'missing') });
    for (let i = 0; i < 100 && (await health(broken.base)).status === 'loading'; i++) await new Promise((r) => setTimeout(r, 20));
    const h = await health(broken.base);
    expect(h.status).toBe('error');
    const r = await post(`${broken.base}/api/segment`, form({ prompt: 'box' }, redBox));
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe(h.error.code);
    expect(r.json.error.code).toMatch(/^E_MODEL/);
  });

  it('answers 429 E_BUSY when the queue is full, and keeps serving', async () => {
    const busy = await start({ models: slowModels, maxConcurrent: 1, maxQueue: 0 });
    await waitReady(busy.base);
    const images = await Promise.all(
      [0, 1, 2].map((i) => png(blocksImage(32, 32, [i * 40, 0, 0], [{ x: 4, y: 4, w: 8, h: 8, rgb: [255, 255, 0] }]), 32, 32)),
    );
    const all = await Promise.all(images.map((img) => post(`${busy.base}/api/segment`, form({ prompt: 'box' }, img))));
    const statuses = all.map((r) => r.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    const rejected = all.find((r) => r.status === 429)!;
    expect(rejected.json.error.code).toBe('E_BUSY');
    expect(rejected.headers.get('retry-after')).toBeTruthy();
    expect((await health(busy.base)).status).toBe('ready');
  }, 60_000);

  it('times out slow work with 503 E_TIMEOUT', async () => {
    const slow = await start({ models: slowModels, requestTimeoutMs: 200 });
    await waitReady(slow.base);
    const r = await post(`${slow.base}/api/segment`, form({ prompt: 'box' }, redBox));
    expect([r.status, r.json.error.code]).toEqual([503, 'E_TIMEOUT']);
  }, 60_000);

  it.skipIf(!existsSync(SHARED_IMAGES))('survives every shared test image', async () => {
    await waitReady(base);
    for (const name of readdirSync(SHARED_IMAGES)) {
      const r = await post(`${base}/api/segment`, form({ prompt: 'thing' }, readFileSync(path.join(SHARED_IMAGES, name))));
      if (r.status !== 200) expect(r.json.error.code, name).toMatch(/^E_[A-Z_]+$/);
      expect(r.status, `${name}: ${JSON.stringify(r.json.error)}`).toBeLessThan(500);
    }
    expect((await health(base)).status).toBe('ready');
  }, 120_000);
});

describe('clicks over HTTP: points, labels and box', () => {
  let tracker: { app: Sam3ClipServer; base: string };
  let sam3: { app: Sam3ClipServer; base: string };
  let concept: { app: Sam3ClipServer; base: string };
  let demo: { app: Sam3ClipServer; base: string };
  let scene: Buffer;
  beforeAll(async () => {
    [tracker, sam3, concept, demo] = await Promise.all([TRACKER_MODELS, SAM3_MODELS, CONCEPT_MODELS, DEMO_MODELS].map((m) => start({ models: m })));
    await Promise.all([tracker, sam3, concept, demo].map((s) => waitReady(s.base)));
    scene = await png(
      blocksImage(64, 48, [40, 40, 40], [
        { x: 6, y: 6, w: 20, h: 16, rgb: [220, 40, 40] },
        { x: 36, y: 20, w: 22, h: 22, rgb: [40, 90, 220] },
      ]),
      64,
      48,
    );
  }, 120_000);

  const embed = async (base: string) => (await post(`${base}/api/embed`, form({}, scene))).json.id as string;
  const area = (rle: { size: [number, number]; counts: number[] }) => decodeRle(rle).reduce((a, b) => a + b, 0);

  it('health names the family and the prompt kinds each package answers', async () => {
    expect(await health(tracker.base)).toMatchObject({ prompts: ['points', 'box'] });
    expect(await health(sam3.base)).toMatchObject({ family: 'sam3', prompts: ['text', 'points', 'box'] });
    expect(await health(concept.base)).toMatchObject({ family: 'sam3-concept', prompts: ['text', 'points', 'box'] });
    expect(await health(demo.base)).toMatchObject({ family: 'sam3', prompts: ['text'] });
  });

  it('segments points, a box and both on an imageId without another encoder run, as the library does', async () => {
    const { app: server, base: url } = tracker;
    const imageId = await embed(url);
    const runs = server.segmenter.stats().runs.image_encoder.runs;
    const asked = [
      [{ points: '[[16, 14]]' }, { points: [[16, 14]] }, '1 point'],
      [{ points: '[[16, 14], [47, 31]]', labels: '[1, 0]' }, { points: [[16, 14], [47, 31]], labels: [1, 0] }, '2 points'],
      [{ box: '[34, 18, 60, 44]' }, { box: [34, 18, 60, 44] }, 'box'],
      [{ box: '[34, 18, 60, 44]', points: '[[47, 31]]' }, { box: [34, 18, 60, 44], points: [[47, 31]] }, '1 point + box'],
    ] as const;
    const answers = [];
    for (const [fields, prompt, name] of asked) {
      const r = await post(`${url}/api/segment`, form({ imageId, ...fields }));
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toMatchObject({ imageId, width: 64, height: 48 });
      expect(r.json.timings.cachedImage).toBe(true);
      const [result] = r.json.results;
      expect(r.json.results).toHaveLength(1);
      // The prompt as given comes back, labels filled in (1 unless told) where there are points.
      expect(result).toMatchObject({ prompt: name, ...prompt, ...('points' in prompt && !('labels' in prompt) ? { labels: [1] } : {}) });
      if (!('points' in prompt)) expect(result.labels).toBeUndefined();
      // SAM's rule: the candidate with the highest predicted IoU, whose IoU is the score.
      const ious = result.candidates.map((c: { iou: number }) => c.iou);
      expect(ious.length).toBeGreaterThan(1);
      expect(result.candidateIndex).toBe(ious.indexOf(Math.max(...ious)));
      expect(result.score).toBe(ious[result.candidateIndex]);
      expect(result.candidates.every((c: object) => !('rle' in c))).toBe(true);
      expect(result.rle.size).toEqual([48, 64]);
      expect(area(result.rle)).toBe(result.area);
      expect(result.instances).toHaveLength(1);
      answers.push(result);
    }
    expect(server.segmenter.stats().runs.image_encoder.runs).toBe(runs);

    // The same prompts through the library, on the same image: the same masks and IoUs.
    for (const [i, [, prompt]] of asked.entries()) {
      const [direct] = await server.segmenter.segment(scene, prompt as never);
      const json = await resultToJson(direct!);
      expect(json.rle).toEqual(answers[i].rle);
      expect(json.candidates).toEqual(answers[i].candidates);
    }
  });

  it('allCandidates adds each candidate mask as RLE, the selected one the result', async () => {
    const imageId = await embed(tracker.base);
    for (const flag of ['1', 'true']) {
      const r = await post(`${tracker.base}/api/segment`, form({ imageId, points: '[[16, 14]]', allCandidates: flag }));
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const [result] = r.json.results;
      expect(result.candidates.length).toBeGreaterThan(1);
      for (const c of result.candidates) {
        expect(c.rle.size).toEqual([48, 64]);
        expect(decodeRle(c.rle).length).toBe(48 * 64);
      }
      expect(result.candidates[result.candidateIndex].rle).toEqual(result.rle);
    }
    const off = await post(`${tracker.base}/api/segment`, form({ imageId, points: '[[16, 14]]', allCandidates: '0' }));
    expect(off.json.results[0].candidates.every((c: object) => !('rle' in c))).toBe(true);
  });

  it('refuses malformed clicks with 400 E_INVALID_PROMPT naming the field, before any encoder run', async () => {
    const { app: server, base: url } = tracker;
    const imageId = await embed(url);
    const runs = server.segmenter.stats().runs.image_encoder.runs;
    const refused: [Record<string, string>, RegExp][] = [
      [{ points: '[[16, 14]' }, /^points must be JSON/],
      [{ points: '[[16, 14]]', labels: '[1,' }, /^labels must be JSON/],
      [{ box: 'x0=1' }, /^box must be JSON/],
      [{ points: '[[16, 14, 2]]' }, /points\[0\] must be \[x, y\]/],
      [{ points: '[[16, 14]]', labels: '[1, 1]' }, /labels has 2 labels for 1 points/],
      [{ points: '[[16, 14]]', labels: '[0]' }, /labels are all 0/],
      [{ box: '[30, 30, 20, 40]' }, /box is empty/],
      [{ labels: '[1]' }, /labels label points, and there are none/],
      [{ points: '[[65, 14]]' }, /points\[0\] \[65, 14\] is outside the 64×48 image/],
      [{ points: '[[-1, 14]]' }, /outside the 64×48 image/],
      [{ box: '[10, 10, 40, 49]' }, /box \[10, 10, 40, 49\] reaches outside the 64×48 image/],
      [{ points: '[[16, 14]]', prompt: 'a cat, a dog' }, /at most one text prompt with them .*got 2: "a cat", "a dog"/],
    ];
    for (const [fields, message] of refused) {
      const r = await post(`${url}/api/segment`, form({ imageId, ...fields }));
      expect([r.status, r.json.error.code], JSON.stringify(fields)).toEqual([400, 'E_INVALID_PROMPT']);
      expect(r.json.error.message).toMatch(message);
    }
    // A new upload with a point off it is refused from its header, before it is encoded.
    const upload = await post(`${url}/api/segment`, form({ points: '[[100, 100]]' }, redBox));
    expect([upload.status, upload.json.error.code]).toEqual([400, 'E_INVALID_PROMPT']);
    expect(upload.json.error.message).toMatch(/outside the 64×48 image/);
    const flag = await post(`${url}/api/segment`, form({ imageId, points: '[[16, 14]]', allCandidates: 'yes' }));
    expect([flag.status, flag.json.error.code]).toEqual([400, 'E_INVALID_OPTION']);
    expect(flag.json.error.message).toMatch(/^allCandidates must be/);
    expect(server.segmenter.stats().runs.image_encoder.runs).toBe(runs);
    expect((await health(url)).status).toBe('ready');
  });

  it('a package without the path asked for says what it answers, before encoding the upload', async () => {
    const runs = demo.app.segmenter.stats().runs.image_encoder.runs;
    const asked: Record<string, string>[] = [{ points: '[[16, 14]]' }, { box: '[2, 2, 30, 30]' }, { prompt: 'red square', points: '[[16, 14]]' }];
    for (const fields of asked) {
      const r = await post(`${demo.base}/api/segment`, form(fields, scene));
      expect([r.status, r.json.error.code], JSON.stringify(fields)).toEqual([400, 'E_INVALID_PROMPT']);
      expect(r.json.error.message).toMatch(/no path for points and boxes; it answers text/);
    }
    expect(demo.app.segmenter.stats().runs.image_encoder.runs).toBe(runs);
    // And a package of clicks alone, asked for text.
    const trackerRuns = tracker.app.segmenter.stats().runs.image_encoder.runs;
    const text = await post(`${tracker.base}/api/segment`, form({ prompt: 'red block' }, scene));
    expect([text.status, text.json.error.code]).toEqual([400, 'E_INVALID_PROMPT']);
    expect(text.json.error.message).toMatch(/no path for text; it answers points, box/);
    expect(tracker.app.segmenter.stats().runs.image_encoder.runs).toBe(trackerRuns);
  });

  it('on sam3, one text prompt and the clicks go to the decoder together', async () => {
    const imageId = await embed(sam3.base);
    const runs = sam3.app.segmenter.stats().runs.image_encoder.runs;
    const r = await post(`${sam3.base}/api/segment`, form({ imageId, prompt: 'red block', points: '[[16, 14], [47, 31]]', labels: '[1, 0]' }));
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const [result] = r.json.results;
    expect(result).toMatchObject({ prompt: 'red block', points: [[16, 14], [47, 31]], labels: [1, 0] });
    expect(sam3.app.segmenter.stats().runs.image_encoder.runs).toBe(runs);
    const [direct] = await sam3.app.segmenter.segment(scene, { text: 'red block', points: [[16, 14], [47, 31]], labels: [1, 0] });
    expect((await resultToJson(direct!)).rle).toEqual(result.rle);
    // "X but not Y" still reads as prompt X with the negative Y.
    const negative = await post(`${sam3.base}/api/segment`, form({ imageId, prompt: 'red block but not shadow', points: '[[16, 14]]' }));
    expect(negative.status, JSON.stringify(negative.json)).toBe(200);
    expect(negative.json.results[0].prompt).toBe('red block');
  });

  it('on sam3-concept, an instance\'s box and the clicks refine it as refine() does; text with points is refused', async () => {
    const { app: server, base: url } = concept;
    const imageId = await embed(url);
    const text = await post(`${url}/api/segment`, form({ imageId, prompt: 'red block', threshold: '0.1' }));
    expect(text.status).toBe(200);
    const [found] = await server.segmenter.segment(scene, 'red block', { threshold: 0.1 });
    expect(found!.instances.length, 'the tiny model finds an instance at threshold 0.1').toBeGreaterThan(0);
    const instance = found!.instances[0]!;
    expect(text.json.results[0].instances[0].box).toEqual(instance.box);

    const runs = server.segmenter.stats().runs.image_encoder.runs;
    const clicks = { points: [[16, 14], [47, 31]] as [number, number][], labels: [1, 0] as (0 | 1)[] };
    const r = await post(`${url}/api/segment`, form({ imageId, box: JSON.stringify(instance.box), points: JSON.stringify(clicks.points), labels: '[1, 0]' }));
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.results[0]).toMatchObject({ prompt: '2 points + box', box: instance.box, ...clicks });
    expect(server.segmenter.stats().runs.image_encoder.runs).toBe(runs);
    const refined = await server.segmenter.refine(instance, clicks);
    expect((await resultToJson(refined)).rle).toEqual(r.json.results[0].rle);

    const mixed = await post(`${url}/api/segment`, form({ imageId, prompt: 'red block', points: '[[16, 14]]' }));
    expect([mixed.status, mixed.json.error.code]).toEqual([400, 'E_INVALID_PROMPT']);
    expect(mixed.json.error.message).toMatch(/refine/);
  });
});

describe('sam3clip serve', () => {
  it('prints the listening line and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--models', models], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  }, 30_000);
});

if (!existsSync(SHARED_IMAGES)) console.warn(`${SHARED_IMAGES} is absent: the shared-image test is skipped`);
