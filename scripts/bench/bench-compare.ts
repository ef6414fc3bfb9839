/**
 * Side-by-side benchmark: the library on ONNX Runtime, OpenVINO BF16 and OpenVINO FP32 against the
 * PyTorch reference pipeline (the export's own modules, the package's weights) in FP32 and BF16
 * autocast, each in its own process, at the same thread count, runs interleaved.
 *
 *   npm run bench:compare -- --models PKG [--image file] [--prompts 1,4,16] [--threads N] [--runs N] [--json]
 *       [--backends ort,openvino-bf16,openvino-fp32,torch-fp32,torch-bf16] [--python .venv/bin/python]
 *       [--large-mp 12] [--concurrent 8] [--sam-checkpoint DIR --clip-checkpoint DIR --projection FILE]
 *
 * Per stage (decode + preprocess, image encoder, text tower, prompt path, post-processing, end to
 * end) median and p95, each against PyTorch BF16; cached-embedding queries at each prompt count; a
 * 12 MP photo beside the 0.3 MP one; concurrent calls; peak RSS per process; agreement of the
 * scores with PyTorch FP32. Progress goes to stderr, the report (or the JSON document) to stdout.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BACKEND_IDS, defaultPython, type BackendId } from './compare/backends.js';
import { compare } from './compare/comparison.js';
import { formatReport } from './compare/report.js';

const root = path.resolve(__dirname, '../..');
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: path.join(root, 'test', 'fixtures', 'sam3-tiny') },
    image: { type: 'string' },
    prompts: { type: 'string', default: '1,4,16' },
    threads: { type: 'string' },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    backends: { type: 'string', default: BACKEND_IDS.join(',') },
    python: { type: 'string' },
    'large-mp': { type: 'string', default: '12' },
    concurrent: { type: 'string', default: '8' },
    'sam-checkpoint': { type: 'string' },
    'clip-checkpoint': { type: 'string' },
    projection: { type: 'string' },
  },
});

function positiveInteger(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return n;
}

async function main(): Promise<void> {
  const backends = values.backends!.split(',').map((b) => b.trim()) as BackendId[];
  const unknown = backends.filter((b) => !BACKEND_IDS.includes(b));
  if (unknown.length) throw new Error(`--backends: unknown ${unknown.join(', ')} (known: ${BACKEND_IDS.join(', ')})`);
  const largeMegapixels = Number(values['large-mp']);
  if (!(largeMegapixels > 0)) throw new Error(`--large-mp must be a positive number, got ${values['large-mp']}`);
  const comparison = await compare({
    root,
    dist: path.join(root, 'dist'),
    models: path.resolve(values.models!),
    threads: values.threads ? positiveInteger(values.threads, 'threads') : os.availableParallelism(),
    python: values.python ?? defaultPython(root),
    checkpoints: {
      ...(values['sam-checkpoint'] ? { samCheckpoint: values['sam-checkpoint'] } : {}),
      ...(values['clip-checkpoint'] ? { clipCheckpoint: values['clip-checkpoint'] } : {}),
      ...(values.projection ? { projection: values.projection } : {}),
    },
    backends,
    runs: positiveInteger(values.runs!, 'runs'),
    promptCounts: values.prompts!.split(',').map((n) => positiveInteger(n, 'prompts')),
    ...(values.image ? { image: path.resolve(values.image) } : {}),
    largeMegapixels,
    concurrent: positiveInteger(values.concurrent!, 'concurrent'),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(values.json ? JSON.stringify(comparison, null, 2) : formatReport(comparison));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
