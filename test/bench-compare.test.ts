/**
 * Smoke test of `npm run bench:compare` on the tiny fixture packages, one run per figure: the JSON
 * document has every scenario, every available backend reports every stage with positive times,
 * its peak RSS, the concurrent calls and the growth factors. The library's backends run here; the
 * PyTorch reference needs the export's .venv, which .ci/run makes before `npm test` (a checkout
 * without it skips the second test and says so; scripts/export/tests/test_bench_compare.py drives
 * the reference from pytest too).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = path.join(ROOT, 'scripts', 'bench', 'bench-compare.ts');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const PACKAGES = {
  'sam3': path.join(ROOT, 'test', 'fixtures', 'sam3-tiny'),
  'sam3-concept': path.join(ROOT, 'test', 'fixtures', 'sam3-concept-tiny'),
};
const E2E_STAGES = ['decodePreprocess', 'imageEncoder', 'textTower', 'promptPath', 'postprocess', 'total'];
const QUERY_STAGES = ['textTower', 'promptPath', 'postprocess', 'total'];

interface Figure {
  median: number;
  p95: number;
  ratio: { median: number | null; p95: number | null };
}
interface Comparison {
  machine: { cpu: string; features: Record<string, boolean>; openvino: string | null };
  package: { family: string };
  runs: number;
  backends: { id: string; available: boolean; reason: string; peakRssMiB?: number; rssAfterLoadMiB?: number; peakRssRatio?: number | null }[];
  measurements: {
    agreement: { maxAbsDiff: Record<string, number | null> };
    scenarios: { id: string; prompts: number; results: Record<string, Record<string, Figure>> }[];
    concurrency: { calls: number; results: Record<string, { wall: Figure; perCall: Figure; callsPerSecond: number }> };
    growth: Record<string, { prompts: Record<string, number | null>; largeImage: number | null; concurrent: number | null }>;
    failures: Record<string, string>;
  };
}

async function benchCompare(args: string[]): Promise<Comparison> {
  const { stdout } = await promisify(execFile)(TSX, [SCRIPT, '--runs', '1', '--json', ...args], { cwd: ROOT, maxBuffer: 16 << 20, timeout: 110_000 });
  return JSON.parse(stdout) as Comparison;
}

const positive = (f: Figure | undefined) => {
  expect(f).toBeDefined();
  expect(f!.median).toBeGreaterThan(0);
  expect(f!.p95).toBeGreaterThanOrEqual(f!.median);
};

/** What every run must show for the backends that ran (`prompts`: the --prompts counts, `calls`: --concurrent). */
function checkComparison(c: Comparison, family: string, expected: string[], prompts = [1, 4, 16], calls = 8): string[] {
  expect(c.package.family).toBe(family);
  expect(c.runs).toBe(1);
  expect(c.machine.cpu).not.toBe('');
  expect(Object.keys(c.machine.features)).toEqual(expect.arrayContaining(['amx_bf16', 'amx_int8', 'avx512_bf16', 'avx512_vnni', 'avx2']));
  expect(c.backends.map((b) => b.id)).toEqual(expected);
  for (const b of c.backends) expect(b.reason).not.toBe('');
  expect(c.measurements.failures).toEqual({});
  const live = c.backends.filter((b) => b.available).map((b) => b.id);
  expect(live).toContain('ort');
  expect(c.measurements.scenarios.map((s) => s.id)).toEqual(['e2e', 'e2e-large', ...prompts.map((n) => `query-${n}`)]);
  for (const s of c.measurements.scenarios) {
    expect(Object.keys(s.results).sort()).toEqual([...live].sort());
    for (const id of live)
      for (const stage of s.id.startsWith('query') ? QUERY_STAGES : E2E_STAGES) positive(s.results[id]![stage]);
  }
  for (const id of live) {
    const b = c.backends.find((x) => x.id === id)!;
    expect(b.peakRssMiB).toBeGreaterThan(0);
    expect(b.peakRssMiB).toBeGreaterThanOrEqual(b.rssAfterLoadMiB!);
    positive(c.measurements.concurrency.results[id]!.wall);
    positive(c.measurements.concurrency.results[id]!.perCall);
    const g = c.measurements.growth[id]!;
    expect(Object.keys(g.prompts)).toEqual(prompts.slice(1).map((n) => `${n}÷${prompts[0]}`));
    for (const v of [...Object.values(g.prompts), g.largeImage, g.concurrent]) expect(v).toBeGreaterThan(0);
  }
  expect(c.measurements.concurrency.calls).toBe(calls);
  return live;
}

describe('npm run bench:compare', () => {
  it('compares the library backends on both tiny packages: every stage, scenario, RSS and growth figure', async () => {
    const backends = ['ort', 'openvino-bf16', 'openvino-fp32'];
    const runs = await Promise.all(
      Object.entries(PACKAGES).map(async ([family, models]) => ({ family, c: await benchCompare(['--models', models, '--backends', backends.join(',')]) })),
    );
    for (const { family, c } of runs) {
      const live = checkComparison(c, family, backends);
      // Without PyTorch BF16 there is nothing to take ratios against, and no PyTorch FP32 to agree with.
      expect(c.measurements.scenarios[0]!.results.ort!.total!.ratio.median).toBeNull();
      expect(c.backends.find((b) => b.id === 'ort')!.peakRssRatio).toBeNull();
      for (const id of live) expect(c.measurements.agreement.maxAbsDiff[id]).toBeNull();
      // OpenVINO runs wherever its module loads (CI requires it: SAM3CLIP_REQUIRE_OPENVINO=1); FP32 needs nothing of the CPU.
      if (c.machine.openvino || process.env.SAM3CLIP_REQUIRE_OPENVINO === '1') expect(live).toContain('openvino-fp32');
    }
  }, 120_000);

  it.skipIf(!existsSync(PYTHON))(
    'runs the PyTorch reference beside ONNX Runtime on the same weights (needs .venv; in CI scripts/export/tests/test_bench_compare.py)',
    async () => {
      // Smaller than the defaults: PyTorch's 12 MP post-processing alone takes seconds a call here.
      const c = await benchCompare(['--models', PACKAGES.sam3, '--backends', 'ort,torch-fp32,torch-bf16', '--prompts', '1,4', '--large-mp', '2', '--concurrent', '2']);
      const live = checkComparison(c, 'sam3', ['ort', 'torch-fp32', 'torch-bf16'], [1, 4], 2);
      expect(live).toEqual(['ort', 'torch-fp32', 'torch-bf16']);
      const e2e = c.measurements.scenarios[0]!.results;
      expect(e2e['torch-bf16']!.total!.ratio.median).toBe(1);
      expect(e2e.ort!.imageEncoder!.ratio.median).toBeGreaterThan(0);
      expect(c.backends.find((b) => b.id === 'torch-bf16')!.peakRssRatio).toBe(1);
      // The reference rebuilds the package's own weights: ONNX Runtime agrees with it to float rounding.
      expect(c.measurements.agreement.maxAbsDiff.ort).toBeLessThan(1e-4);
      expect(c.measurements.agreement.maxAbsDiff['torch-fp32']).toBe(0);
    },
    120_000,
  );
});
