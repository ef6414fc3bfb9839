#!/usr/bin/env node
// Peak memory of one segment() call on a large image: for each case (prompts + negatives) a child
// process loads the package, encodes a flat W×W PNG once, then segments it; the figure is the peak
// RSS (VmHWM) during the call minus the RSS before it. The mask budget is lifted here so every
// case runs; the default's verdict (accepted or E_REQUEST_TOO_LARGE) is printed beside it.
//   node scripts/bench/mask-memory.mjs [--models dir] [--side 6300] [--dist dir] [--cases 1,16,64+64]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: path.join(root, 'models', 'shapes-demo') },
    side: { type: 'string', default: '6300' },
    dist: { type: 'string', default: path.join(root, 'dist') },
    cases: { type: 'string', default: '1,16,64+64' },
    child: { type: 'string' },
  },
});

function vm(field) {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(field));
  return Number(line.split(/\s+/)[1]) / 1024;
}

if (values.child) {
  const [positives, negatives] = values.child.split('+').map(Number);
  const { createSegmenter } = await import(path.join(values.dist, 'index.js'));
  const sharp = (await import('sharp')).default;
  const side = Number(values.side);
  const png = await sharp({ create: { width: side, height: side, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
  const segmenter = await createSegmenter({ models: values.models, threads: 2, maskBudgetMiB: 1 << 20 });
  const embedding = await segmenter.embed(png);
  const prompts = Array.from({ length: positives }, (_, i) => `red circle ${i}`);
  const negative = Array.from({ length: negatives || 0 }, (_, i) => `blue square ${i}`);
  // Settle the heap, then measure the call alone (VmHWM is reset by writing 5 to clear_refs).
  global.gc?.();
  try {
    (await import('node:fs')).writeFileSync('/proc/self/clear_refs', '5');
  } catch {}
  const before = vm('VmRSS:');
  const started = performance.now();
  const results = await segmenter.segment(embedding, prompts, negative.length ? { negative } : {});
  const ms = performance.now() - started;
  const peak = vm('VmHWM:');
  process.stdout.write(JSON.stringify({ before, peak, ms, results: results.length }));
  await segmenter.dispose();
  process.exit(0);
}

const { maskBytes } = await import(path.join(values.dist, 'mask-budget.js'));
const side = Number(values.side);
console.log(`segment() on a ${side}×${side} image (${((side * side) / 1e6).toFixed(1)} MP), package ${values.models}`);
console.log('case        peak RSS during the call   time     default budget (2048 MiB)');
for (const c of values.cases.split(',')) {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', c, '--models', values.models, '--side', values.side, '--dist', values.dist], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) {
    console.log(`${c.padEnd(12)}failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    continue;
  }
  const { before, peak, ms } = JSON.parse(r.stdout);
  const [p, n = 0] = c.split('+').map(Number);
  const needed = maskBytes(side * side, p, n, 'host');
  const verdict = needed <= 2048 * 2 ** 20 ? 'accepted' : `E_REQUEST_TOO_LARGE (needs ${Math.ceil(needed / 2 ** 20)} MiB)`;
  console.log(`${c.padEnd(12)}+${(peak - before).toFixed(0).padStart(6)} MiB (${peak.toFixed(0)} MiB)     ${(ms / 1000).toFixed(1).padStart(5)} s  ${verdict}`);
}
