#!/usr/bin/env node
// One library backend for `npm run bench:compare`, in a process of its own so that its peak RSS is
// its own: loads the package with createSegmenter and answers the JSON-lines protocol of
// scripts/bench/compare/protocol.ts on stdin/stdout. Plain JavaScript on the built library (dist/),
// so no TypeScript loader sits in the figures.
//   node node-backend-worker.mjs --models PKG --backend cpu|openvino [--precision bf16|fp32] --threads N
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    backend: { type: 'string', default: 'cpu' },
    precision: { type: 'string' },
    threads: { type: 'string' },
    dist: { type: 'string', default: path.join(root, 'dist') },
  },
});

// The protocol owns stdout: whatever else wants to print goes to stderr.
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
console.log = console.info = (...args) => console.error(...args);

const mib = (bytes) => bytes / 2 ** 20;
/** VmHWM: the kernel's high-water mark folded with the current RSS (getrusage's maxRSS lags behind it); worker threads included. */
function peakRssMiB() {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    if (line) return Number(line.split(/\s+/)[1]) / 1024;
  } catch {}
  return process.resourceUsage().maxRSS / 1024; // KiB
}

/** The library's StageTimings folded into the benchmark's stages (protocol.ts STAGES). */
function stages(t) {
  // On the tracker families promptEncoder is the text tower and the projection as one call; the
  // projection's own session time moves to the prompt path beside the decoder, as PyTorch splits it.
  const projection = t.sessions?.text_projection ?? 0;
  const out = {
    decodePreprocess: (t.decode ?? 0) + (t.preprocess ?? 0),
    imageEncoder: t.imageEncoder ?? 0,
    textTower: (t.tokenize ?? 0) + Math.max(0, (t.promptEncoder ?? 0) - projection),
    promptPath: (t.decoder ?? 0) + projection,
    postprocess: t.postprocess ?? 0,
    total: t.total ?? 0,
  };
  if (t.cachedImage) {
    delete out.decodePreprocess;
    delete out.imageEncoder;
  }
  return out;
}

/** What the benchmark compares between backends: the candidates' IoU, or presence and the best score. */
const scores = (results) => results.map((r) => (r.presence !== undefined ? [r.presence, r.score] : (r.candidates ?? []).map((c) => c.iou)));

async function main() {
  const { createSegmenter } = await import(path.join(values.dist, 'index.js'));
  const start = performance.now();
  let segmenter;
  try {
    segmenter = await createSegmenter({
      models: values.models,
      backend: values.backend,
      ...(values.precision ? { inferencePrecision: values.precision } : {}),
      ...(values.threads ? { threads: Number(values.threads) } : {}),
      // Every call encodes its image and every prompt runs the text tower, as in PyTorch.
      cache: { images: 0, prompts: 0 },
    });
  } catch (error) {
    send({ ready: false, error: `${error.code ?? error.name}: ${error.message}` });
    process.exitCode = 1;
    return;
  }
  const info = segmenter.backendInfo;
  send({ ready: true, loadMs: performance.now() - start, rssMiB: mib(process.memoryUsage.rss()), info: { name: info.name, reason: info.reason } });

  const embeddings = new Map();
  const ops = {
    async segment({ image, prompts }) {
      const t = {};
      const results = await segmenter.segment(image, prompts, { timings: t });
      return { stages: stages(t), scores: scores(results) };
    },
    async embed({ image, key }) {
      const t = {};
      const begin = performance.now();
      embeddings.set(key, await segmenter.embed(image, { timings: t }));
      return { stages: { ...stages(t), total: performance.now() - begin } };
    },
    async query({ key, prompts }) {
      const t = {};
      const results = await segmenter.segment(embeddings.get(key), prompts, { timings: t });
      return { stages: stages(t), scores: scores(results) };
    },
    async release({ key }) {
      embeddings.get(key)?.dispose();
      embeddings.delete(key);
      return {};
    },
    async concurrent({ images, prompts }) {
      const begin = performance.now();
      const callsMs = await Promise.all(
        images.map(async (image) => {
          const t = {};
          await segmenter.segment(image, prompts, { timings: t });
          return t.total;
        }),
      );
      return { wallMs: performance.now() - begin, callsMs };
    },
    async stats() {
      return { rssMiB: mib(process.memoryUsage.rss()), peakRssMiB: peakRssMiB() };
    },
  };

  // One request at a time: the coordinator waits for each answer before the next.
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const { id, op, ...request } = JSON.parse(line);
    if (op === 'quit') {
      send({ id, ok: true });
      break;
    }
    try {
      if (!Object.hasOwn(ops, op)) throw new Error(`unknown op ${op}`);
      send({ id, ok: true, ...(await ops[op](request)) });
    } catch (error) {
      send({ id, ok: false, error: `${error.code ?? error.name}: ${error.message}` });
    }
  }
  await segmenter.dispose();
}

main().catch((error) => {
  send({ ready: false, error: String(error?.stack ?? error) });
  process.exitCode = 1;
});
