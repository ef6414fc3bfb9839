/**
 * The measurements of `bench:compare`: every scenario runs interleaved over the backends (A B C A B
 * C …, one request at a time, so no backend's run overlaps another's), after one warm-up round whose
 * figures are dropped (first-call costs: shapes OpenVINO and oneDNN see for the first time).
 */
import { BASELINE, type BackendId } from './backends.js';
import type { BenchImages } from './test-images.js';
import type { Answer, BackendProcess, Request, Stage, StageTimes } from './protocol.js';
import { figure, maxScoreDiff, median, summarizeStages, type Figure } from './summary.js';

export interface LiveBackend {
  id: BackendId;
  process: BackendProcess;
  /** Set when a request failed: the backend sits out the rest of the run. */
  failed?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  image: { width: number; height: number; megapixels: number };
  prompts: number;
  cachedEmbedding: boolean;
  /** backend → stage → figure (ms) */
  results: Record<string, Partial<Record<Stage, Figure>>>;
}

export interface ConcurrencyResult {
  calls: number;
  prompts: number;
  /** backend → wall time of all calls together, and each call's own end-to-end time (ms) */
  results: Record<string, { wall: Figure; perCall: Figure; callsPerSecond: number }>;
}

export interface Growth {
  /** "4÷1" → cached-embedding total at 4 prompts ÷ that at the first prompt count (1) */
  prompts: Record<string, number | null>;
  /** 12 MP end to end ÷ base image end to end */
  largeImage: number | null;
  /** wall time of the concurrent calls ÷ one call end to end (1 = all overlapped, N = none) */
  concurrent: number | null;
}

export interface Measurements {
  /** backend → max |Δ score| against PyTorch FP32 on the agreement prompts (same image, same weights) */
  agreement: { reference: BackendId; prompts: string[]; maxAbsDiff: Record<string, number | null> };
  scenarios: ScenarioResult[];
  concurrency: ConcurrencyResult;
  growth: Record<string, Growth>;
  failures: Record<string, string>;
}

export interface RunOptions {
  runs: number;
  promptCounts: number[];
  images: BenchImages;
}

/** Prompts no earlier run used, so no cache anywhere can answer them. */
const prompts = (n: number, run: number) => Array.from({ length: n }, (_, j) => `object number ${j} in run ${run}`);
export const AGREEMENT_PROMPTS = ['a person', 'a cat', 'the sky'];

const active = (backends: LiveBackend[]) => backends.filter((b) => !b.failed);

/** Sends one request to one backend; a failure takes it out of the comparison rather than ending it. */
async function ask(b: LiveBackend, request: Request): Promise<Answer | undefined> {
  try {
    return await b.process.request(request);
  } catch (error) {
    b.failed = error instanceof Error ? error.message : String(error);
    return undefined;
  }
}

/** Warm-up round (run −1, dropped), then `runs` rounds in the same backend order. */
async function interleave(backends: LiveBackend[], runs: number, request: (run: number) => Request, keep: (b: LiveBackend, a: Answer) => void): Promise<void> {
  for (let run = -1; run < runs; run++) {
    for (const b of active(backends)) {
      const answer = await ask(b, request(run));
      if (answer && run >= 0) keep(b, answer);
    }
  }
}

async function stageScenario(backends: LiveBackend[], runs: number, request: (run: number) => Request): Promise<Map<string, StageTimes[]>> {
  const samples = new Map<string, StageTimes[]>(active(backends).map((b) => [b.id, []]));
  await interleave(backends, runs, request, (b, a) => samples.get(b.id)!.push(a.stages ?? {}));
  for (const id of [...samples.keys()]) if (backends.find((b) => b.id === id)?.failed) samples.delete(id);
  return samples;
}

const size = (i: { width: number; height: number; megapixels: number }) => ({ width: i.width, height: i.height, megapixels: i.megapixels });
const mp = (megapixels: number) => `${megapixels.toFixed(megapixels < 1 ? 2 : 1)} MP`;

export async function runComparison(backends: LiveBackend[], o: RunOptions): Promise<Measurements> {
  const { base, large } = o.images;
  const scenarios: ScenarioResult[] = [];

  // Agreement first: the same image and prompts everywhere, scores compared with PyTorch FP32.
  const agreementScores = new Map<string, number[][]>();
  for (const b of active(backends)) {
    const a = await ask(b, { op: 'segment', image: base.file, prompts: AGREEMENT_PROMPTS });
    if (a?.scores) agreementScores.set(b.id, a.scores);
  }
  const reference = agreementScores.get('torch-fp32');
  const maxAbsDiff = Object.fromEntries(active(backends).map((b) => [b.id, maxScoreDiff(agreementScores.get(b.id), reference)]));

  const e2e = await stageScenario(backends, o.runs, (run) => ({ op: 'segment', image: base.file, prompts: prompts(1, run) }));
  scenarios.push({ id: 'e2e', title: `end to end, ${mp(base.megapixels)} (${base.width}×${base.height}), 1 prompt`, image: size(base), prompts: 1, cachedEmbedding: false, results: summarizeStages(e2e, BASELINE) });

  const e2eLarge = await stageScenario(backends, o.runs, (run) => ({ op: 'segment', image: large.file, prompts: prompts(1, run) }));
  scenarios.push({ id: 'e2e-large', title: `end to end, ${mp(large.megapixels)} (${large.width}×${large.height}), 1 prompt`, image: size(large), prompts: 1, cachedEmbedding: false, results: summarizeStages(e2eLarge, BASELINE) });

  for (const b of active(backends)) await ask(b, { op: 'embed', image: base.file, key: 'base' });
  for (const n of o.promptCounts) {
    const samples = await stageScenario(backends, o.runs, (run) => ({ op: 'query', key: 'base', prompts: prompts(n, run) }));
    scenarios.push({ id: `query-${n}`, title: `cached embedding, ${n} prompt${n > 1 ? 's' : ''}`, image: size(base), prompts: n, cachedEmbedding: true, results: summarizeStages(samples, BASELINE) });
  }
  for (const b of active(backends)) await ask(b, { op: 'release', key: 'base' });

  const concurrency = await concurrentScenario(backends, o);
  return {
    agreement: { reference: 'torch-fp32', prompts: AGREEMENT_PROMPTS, maxAbsDiff },
    scenarios,
    concurrency,
    growth: growth(backends, scenarios, concurrency),
    failures: Object.fromEntries(backends.filter((b) => b.failed).map((b) => [b.id, b.failed!])),
  };
}

async function concurrentScenario(backends: LiveBackend[], o: RunOptions): Promise<ConcurrencyResult> {
  const walls = new Map<string, number[]>();
  const calls = new Map<string, number[]>();
  await interleave(backends, o.runs, () => ({ op: 'concurrent', images: o.images.concurrent, prompts: prompts(1, 0) }), (b, a) => {
    (walls.get(b.id) ?? walls.set(b.id, []).get(b.id)!).push(a.wallMs ?? Number.NaN);
    (calls.get(b.id) ?? calls.set(b.id, []).get(b.id)!).push(...(a.callsMs ?? []));
  });
  const baseline = (m: Map<string, number[]>) => {
    const v = m.get(BASELINE);
    return v ? { median: median(v), p95: figure(v).p95 } : undefined;
  };
  const results: ConcurrencyResult['results'] = {};
  for (const b of active(backends)) {
    const wall = walls.get(b.id);
    if (!wall) continue;
    const w = figure(wall, baseline(walls));
    results[b.id] = { wall: w, perCall: figure(calls.get(b.id)!, baseline(calls)), callsPerSecond: (o.images.concurrent.length * 1000) / w.median };
  }
  return { calls: o.images.concurrent.length, prompts: 1, results };
}

function growth(backends: LiveBackend[], scenarios: ScenarioResult[], concurrency: ConcurrencyResult): Record<string, Growth> {
  const total = (id: string, backend: string) => scenarios.find((s) => s.id === id)?.results[backend]?.total?.median;
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : null);
  const queries = scenarios.filter((s) => s.cachedEmbedding);
  const out: Record<string, Growth> = {};
  for (const b of active(backends)) {
    const first = queries[0] ? total(queries[0].id, b.id) : undefined;
    out[b.id] = {
      prompts: Object.fromEntries(queries.slice(1).map((q) => [`${q.prompts}÷${queries[0]!.prompts}`, ratio(total(q.id, b.id), first)])),
      largeImage: ratio(total('e2e-large', b.id), total('e2e', b.id)),
      concurrent: ratio(concurrency.results[b.id]?.wall.median, total('e2e', b.id)),
    };
  }
  return out;
}
