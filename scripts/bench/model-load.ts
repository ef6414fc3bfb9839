/**
 * Start-up cost of checking a model package, each start in a fresh process: every file hashed
 * (no cache), the first start with a cache (hashes and remembers), later starts (remembered), and
 * no verification at all (the floor).
 *
 *   npm run build:ts && tsx scripts/bench/model-load.ts [--models dir] [--runs 5] [--json]
 *
 * The files are in the page cache after the first read, so "hashed" here is the warm-disk cost;
 * a cold disk adds its read time on top, which the remembered starts skip as well.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable, percentile } from './stats.js';

const root = path.resolve(__dirname, '../..');
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: path.join(root, 'test/fixtures/sam3-tiny') },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const models = path.resolve(values.models!);
const runs = Math.max(1, Number(values.runs));

interface Start {
  ms: number;
  verification: { hashed: number; remembered: number };
}

/** One start: a new node process that loads the package and says how long it took. */
function start(options: Record<string, unknown>): Start {
  const script = `
    const { loadModelPackage } = require(${JSON.stringify(path.join(root, 'dist/index.js'))});
    const t = performance.now();
    loadModelPackage(${JSON.stringify(models)}, ${JSON.stringify(options)}).then((pkg) =>
      process.stdout.write(JSON.stringify({ ms: performance.now() - t, verification: pkg.verification })));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Start;
}

const bytes = readdirSync(models).reduce((sum, name) => sum + statSync(path.join(models, name)).size, 0);
const rows: { mode: string; ms: number[]; verification: Start['verification'] }[] = [];
const record = (mode: string, samples: Start[]) =>
  rows.push({ mode, ms: samples.map((s) => s.ms), verification: samples.at(-1)!.verification });

start({}); // Warms the page cache, so every mode below reads from memory alike.
record('hash every file (no cache)', Array.from({ length: runs }, () => start({})));
const firsts: Start[] = [];
const seconds: Start[] = [];
for (let i = 0; i < runs; i++) {
  const cache = mkdtempSync(path.join(os.tmpdir(), 'sam3clip-load-'));
  try {
    firsts.push(start({ hashCache: cache }));
    seconds.push(start({ hashCache: cache }));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
record('first start with cache', firsts);
record('second start with cache', seconds);
record('verifyHashes: false', Array.from({ length: runs }, () => start({ verifyHashes: false })));

if (values.json) {
  console.log(JSON.stringify({ models, bytes, runs, rows }, null, 2));
} else {
  console.log(`${models}: ${(bytes / 2 ** 20).toFixed(1)} MiB, ${runs} starts each (ms in loadModelPackage)`);
  console.log(
    formatTable(
      ['mode', 'p50 ms', 'max ms', 'hashed', 'remembered'],
      rows.map((r) => [
        r.mode,
        percentile(r.ms, 50).toFixed(1),
        Math.max(...r.ms).toFixed(1),
        String(r.verification.hashed),
        String(r.verification.remembered),
      ]),
    ),
  );
}
