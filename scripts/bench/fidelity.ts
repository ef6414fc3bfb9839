/**
 * Fidelity of a backend against ONNX Runtime FP32, through the public API: the same photos and prompts
 * on each, then per prompt the mask IoU and score differences (sam3-concept: each reference instance
 * paired with the other side's by mask IoU; the tracker families: the selected mask and every
 * candidate's predicted IoU). Backends run one after another, so a full-size package is loaded once
 * at a time (~6 GiB each).
 *
 *   tsx scripts/bench/fidelity.ts --models dir [--backends openvino:bf16,openvino:fp32] [--images a.png,b.png]
 *                                 [--prompts "a cat,a person"] [--threshold 0.5] [--threads n] [--json]
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createSegmenter, type SegmenterOptions, type SegmentResult } from '../../dist/index.js';

const root = path.resolve(__dirname, '../..');
const SHARED = path.resolve(root, '../shared/images');
const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    backends: { type: 'string', default: 'openvino:bf16,openvino:fp32' },
    images: { type: 'string', default: 'astronaut.png,chelsea.png,coffee.png,horse.png,camera.png' },
    prompts: { type: 'string', default: 'a cat,a person,a cup of coffee,a horse' },
    threshold: { type: 'string', default: '0.5' },
    threads: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
if (!values.models) {
  console.error('usage: tsx scripts/bench/fidelity.ts --models dir [--backends openvino:bf16] [--images …] [--prompts …] [--json]');
  process.exit(2);
}
const images = values.images!.split(',').map((f) => (existsSync(f) ? f : path.join(SHARED, f)));
const prompts = values.prompts!.split(',').map((p) => p.trim()).filter(Boolean);
const threshold = Number(values.threshold);
const threads = values.threads ? Number(values.threads) : undefined;

function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i]! & b[i]!;
    union += a[i]! | b[i]!;
  }
  return union ? inter / union : 1;
}

function parseBackend(spec: string): SegmenterOptions {
  const [backend, precision] = spec.split(':');
  return { backend: backend as SegmenterOptions['backend'], ...(precision ? { inferencePrecision: precision as 'bf16' | 'fp32' } : {}) };
}

async function answers(options: SegmenterOptions): Promise<{ label: string; results: SegmentResult[][] }> {
  const segmenter = await createSegmenter({ models: values.models, ...options, ...(threads ? { threads } : {}), cache: { images: 1 } });
  try {
    const results: SegmentResult[][] = [];
    for (const image of images) results.push(await segmenter.segment(image, prompts, { threshold, smoothness: 1, maxInstances: 1000 }));
    return { label: `${segmenter.backendInfo!.name}${options.inferencePrecision ? `:${options.inferencePrecision}` : ''}`, results };
  } finally {
    await segmenter.dispose();
  }
}

interface Comparison {
  image: string;
  prompt: string;
  /** Mask IoU of the union (every family) and, per reference instance, of its pair. */
  unionIou: number;
  minInstanceIou: number | null;
  /** Largest |score difference| of paired instances (tracker: of every candidate's IoU). */
  maxScoreDiff: number;
  presenceDiff: number | null;
  instances: [number, number];
}

function compare(ref: SegmentResult, got: SegmentResult, image: string): Comparison {
  const free = [...got.instances];
  let minInstanceIou: number | null = null;
  let maxScoreDiff = 0;
  for (const r of ref.instances) {
    if (!free.length) {
      minInstanceIou = 0;
      break;
    }
    const best = free.reduce((a, b) => (iou(b.mask.data, r.mask.data) > iou(a.mask.data, r.mask.data) ? b : a));
    free.splice(free.indexOf(best), 1);
    const v = iou(best.mask.data, r.mask.data);
    minInstanceIou = minInstanceIou === null ? v : Math.min(minInstanceIou, v);
    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(best.score - r.score));
  }
  ref.candidates?.forEach((c, k) => (maxScoreDiff = Math.max(maxScoreDiff, Math.abs(c.iou - got.candidates![k]!.iou))));
  return {
    image: path.basename(image),
    prompt: ref.prompt,
    unionIou: iou(ref.mask.data, got.mask.data),
    minInstanceIou,
    maxScoreDiff,
    presenceDiff: ref.presence === undefined ? null : Math.abs(ref.presence - got.presence!),
    instances: [ref.instances.length, got.instances.length],
  };
}

async function main(): Promise<void> {
const reference = await answers({ backend: 'cpu' });
const report: Record<string, { comparisons: Comparison[]; worst: Record<string, number | null> }> = {};
for (const spec of values.backends!.split(',')) {
  const other = await answers(parseBackend(spec));
  const comparisons = images.flatMap((image, i) => prompts.map((_, j) => compare(reference.results[i]![j]!, other.results[i]![j]!, image)));
  const min = (xs: (number | null)[]) => (xs.some((x) => x !== null) ? Math.min(...(xs.filter((x) => x !== null) as number[])) : null);
  report[other.label] = {
    comparisons,
    worst: {
      unionIou: min(comparisons.map((c) => c.unionIou)),
      minInstanceIou: min(comparisons.map((c) => c.minInstanceIou)),
      maxScoreDiff: Math.max(...comparisons.map((c) => c.maxScoreDiff)),
      maxPresenceDiff: comparisons.some((c) => c.presenceDiff !== null) ? Math.max(...comparisons.map((c) => c.presenceDiff ?? 0)) : null,
      instanceCountChanges: comparisons.filter((c) => c.instances[0] !== c.instances[1]).length,
    },
  };
}

if (values.json) console.log(JSON.stringify({ models: values.models, threshold, images: images.map((f) => path.basename(f)), prompts, against: 'cpu (ONNX Runtime FP32)', report }, null, 2));
else
  for (const [label, { comparisons, worst }] of Object.entries(report)) {
    console.log(`${label} vs ONNX Runtime FP32 (${comparisons.length} image × prompt pairs, threshold ${threshold})`);
    for (const c of comparisons)
      console.log(
        `  ${c.image.padEnd(32)} ${c.prompt.padEnd(18)} union IoU ${c.unionIou.toFixed(4)}  instance IoU ≥ ${c.minInstanceIou?.toFixed(4) ?? '-'}` +
          `  |Δscore| ≤ ${c.maxScoreDiff.toFixed(4)}${c.presenceDiff === null ? '' : `  |Δpresence| ${c.presenceDiff.toFixed(4)}`}  instances ${c.instances.join('→')}`,
      );
    console.log(`  worst: ${JSON.stringify(worst)}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
