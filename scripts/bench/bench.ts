/**
 * Latency benchmark: per-stage times of segment(), cold vs warm, cached embedding vs full, 1/4/16 prompts,
 * clicks (a point, a box + point) where the package has the interactive path, p50/p95, the pipeline
 * overhead, then the native morphology benchmark beside OpenCV's.
 *
 *   npm run bench [-- --models dir --image file --iterations 20 --prompts 1,4,16 --json --backend auto|cpu|tensorrt --engines dir]
 *
 * On the TensorRT backend the session rows are GPU times measured with CUDA events on the
 * pipeline's stream; the stage rows are wall times around each call.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createSegmenter, type Prompt, type Segmenter, type StageTimings } from '../../dist/index.js';
import { writeFixturePackage } from '../fixtures/fixture-models.js';
import { formatTable, percentile } from './stats.js';

const root = path.resolve(__dirname, '../..');
const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    image: { type: 'string' },
    iterations: { type: 'string', default: '20' },
    prompts: { type: 'string', default: '1,4,16' },
    threads: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    engines: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const iterations = Math.max(1, Number(values.iterations));
const log = values.json ? () => {} : (s: string) => console.log(s);

const STAGES = ['decode', 'preprocess', 'imageEncoder', 'tokenize', 'promptEncoder', 'decoder', 'postprocess', 'total'] as const;
// Every graph of either family; the ones a package lacks read 0.
const SESSIONS = ['image_encoder', 'text_encoder', 'text_projection', 'prompt_encoder', 'mask_decoder', 'detector', 'detector_boxes'] as const;
const promptCounts = values.prompts!.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);

/** A photo-like test image whose bytes differ per seed (up to 65 536 of them), so every "full" run misses the cache. */
async function image(seed: number, width = 640, height = 480): Promise<Buffer> {
  if (values.image) {
    const base = await sharp(values.image).png().toBuffer();
    // Change one pixel so the content hash differs.
    return sharp(base).composite([{ input: { create: { width: 1, height: 1, channels: 3, background: { r: seed % 256, g: Math.floor(seed / 256) % 256, b: 0 } } }, left: 0, top: 0 }]).png().toBuffer();
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="rgb(${seed % 200},${40 + (Math.floor(seed / 200) % 200)},40)"/><circle cx="${200 + (seed % 50)}" cy="200" r="120" fill="#e06020"/><rect x="380" y="240" width="200" height="150" fill="#2080e0"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

interface Sample {
  timings: StageTimings;
}

async function measure(s: Segmenter, runs: number, make: (i: number) => Promise<{ img: Buffer | import('../../dist/index.js').ImageEmbedding; prompts: Prompt[] }>): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const { img, prompts } = await make(i);
    const timings: StageTimings = {};
    await s.segment(img, prompts, { timings, smoothness: 3 });
    samples.push({ timings });
  }
  return samples;
}

function summarize(name: string, samples: Sample[], sessionLabel = 'session') {
  const row: Record<string, { p50: number; p95: number }> = {};
  for (const stage of STAGES) {
    const v = samples.map((s) => s.timings[stage] ?? 0);
    row[stage] = { p50: percentile(v, 50), p95: percentile(v, 95) };
  }
  for (const g of SESSIONS) {
    const v = samples.map((s) => s.timings.sessions?.[g] ?? 0);
    row[`${sessionLabel}:${g}`] = { p50: percentile(v, 50), p95: percentile(v, 95) };
  }
  const ratio = samples.map((s) => {
    const raw = SESSIONS.reduce((a, g) => a + (s.timings.sessions?.[g] ?? 0), 0);
    return raw > 0 ? s.timings.total! / raw : Number.NaN;
  });
  return { name, runs: samples.length, stages: row, overhead: { p50: percentile(ratio, 50), p95: percentile(ratio, 95) } };
}

async function main(): Promise<void> {
  let models = values.models;
  if (!models) {
    models = path.join(mkdtempSync(path.join(os.tmpdir(), 'sam3clip-bench-')), 'tiny-stretch');
    await writeFixturePackage(models, { variant: 'stretch' });
    log(`No --models given: benchmarking the tiny fixture package (${models}); pass a real package for real figures.`);
  }
  const threads = values.threads ? Number(values.threads) : undefined;
  const loadStart = performance.now();
  const s = await createSegmenter({
    models,
    cache: { images: 4, prompts: 0 },
    backend: values.backend as 'auto' | 'cpu' | 'openvino' | 'tensorrt',
    ...(values.engines ? { engines: values.engines } : {}),
    ...(threads ? { threads } : {}),
  });
  const sessionLabel = s.backendInfo?.name === 'tensorrt' ? 'gpu' : 'session';
  const loadMs = performance.now() - loadStart;
  log(`machine: ${os.cpus()[0]?.model} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; backend ${s.backendInfo?.name} (${s.backendInfo?.reason}); load ${loadMs.toFixed(0)} ms`);
  log(`package: ${s.manifest?.name} (family ${s.manifest?.family}, ${s.manifest?.precision})`);

  const paths = s.promptPaths ?? [];
  const text = paths.includes('text');
  log(`prompts: ${paths.join(', ')}`);
  // A click inside every test image (they are at least 640×480, or --image's own size).
  const click = (i: number): Prompt => ({ points: [[200 + (i % 50), 200]] });
  const boxClick = (i: number): Prompt => ({ box: [60, 60, 340, 340], points: [[200 + (i % 50), 200]] });
  const prompts = (n: number, i: number): Prompt[] => Array.from({ length: n }, (_, j) => (text ? `object number ${j} in run ${i}` : click(i + j)));
  const results = [];
  results.push(summarize('cold (first call)', await measure(s, 1, async () => ({ img: await image(10_000), prompts: prompts(1, 0) })), sessionLabel));
  results.push(summarize('warm full, 1 prompt', await measure(s, iterations, async (i) => ({ img: await image(i), prompts: prompts(1, i) })), sessionLabel));
  const embedding = await s.embed(await image(20_000));
  if (text)
    for (const n of promptCounts)
      results.push(summarize(`cached embedding, ${n} prompt${n > 1 ? 's' : ''}`, await measure(s, iterations, async (i) => ({ img: embedding, prompts: prompts(n, i) })), sessionLabel));
  if (paths.includes('points')) {
    results.push(summarize('cached embedding, 1 click', await measure(s, iterations, async (i) => ({ img: embedding, prompts: [click(i)] })), sessionLabel));
    results.push(summarize('cached embedding, box + click', await measure(s, iterations, async (i) => ({ img: embedding, prompts: [boxClick(i)] })), sessionLabel));
  }
  await s.dispose();

  // Peak resident memory of this process (workers included), for the whole run.
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const morphology = runMorphologyBench();
  if (values.json) {
    console.log(JSON.stringify({ models, loadMs, peakRssMiB, results, morphology }, null, 2));
    return;
  }
  for (const r of results) {
    log(`\n${r.name} — ${r.runs} run(s), ms; overhead (end-to-end ÷ raw session runs) p50 ${r.overhead.p50.toFixed(3)}, p95 ${r.overhead.p95.toFixed(3)}`);
    log(formatTable(['stage', 'p50', 'p95'], Object.entries(r.stages).map(([k, v]) => [k, v.p50, v.p95])));
  }
  log(`\npeak RSS ${peakRssMiB.toFixed(0)} MiB`);
  log(`\nmorphology close k=5 on 3840×2160, one thread: sam3clip ${morphology.sam3clip ?? 'n/a'} ms; OpenCV ${morphology.opencv ?? 'not installed (apt install python3-opencv)'}${morphology.opencv ? ' ms' : ''}`);
}

/** Runs the native benchmark executable and, where Debian's python3-opencv is present, OpenCV's. */
function runMorphologyBench(): { sam3clip?: number; opencv?: number } {
  const out: { sam3clip?: number; opencv?: number } = {};
  const exe = path.join(root, 'build', 'Release', 'sam3clip_morphology_bench');
  if (existsSync(exe)) {
    const text = execFileSync(exe, [], { encoding: 'utf8' });
    const m = /median\s*[=:]?\s*([\d.]+)\s*ms/i.exec(text) ?? /([\d.]+)\s*ms/.exec(text);
    if (m) out.sam3clip = Number(m[1]);
  }
  const py = spawnSync('python3', [path.join(root, 'scripts', 'bench', 'morphology-opencv.py')], { encoding: 'utf8' });
  const m = /median\s*[=:]?\s*([\d.]+)\s*ms/i.exec(py.stdout ?? '');
  if (m) out.opencv = Number(m[1]);
  return out;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
