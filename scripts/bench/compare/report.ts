/**
 * The text report of `bench:compare`: the machine, then one table per scenario (rows: stages;
 * columns: backends; each cell "median / p95 ms ×ratio", the ratio of the median against PyTorch
 * BF16), the concurrent calls, how cost grows, memory, and agreement with PyTorch FP32.
 */
import path from 'node:path';
import { LABELS, BASELINE, type BackendId } from './backends.js';
import type { Comparison } from './comparison.js';
import type { Stage } from './protocol.js';
import type { Figure } from './summary.js';

const STAGE_LABELS: Record<Stage, string> = {
  decodePreprocess: 'decode + preprocess',
  imageEncoder: 'image encoder',
  textTower: 'text tower',
  promptPath: 'prompt path',
  postprocess: 'post-processing',
  total: 'end to end',
};

/** A path as the caller would type it: relative to the working directory. */
const shown = (file: string) => (path.isAbsolute(file) ? path.relative(process.cwd(), file) || '.' : file);
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const times = (r: number | null) => (r === null ? '' : ` ×${r.toFixed(2)}`);
const cell = (f: Figure | undefined) => (f ? `${ms(f.median)} / ${ms(f.p95)}${times(f.ratio.median)}` : '—');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatReport(c: Comparison): string {
  const ids = c.backends.filter((b) => b.available).map((b) => b.id);
  const header = ['', ...ids.map((id) => LABELS[id])];
  const m = c.machine;
  const flags = Object.entries(m.features).map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`).join(', ');
  const out: string[] = [
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(0)} GiB; ${flags} (${m.featuresFrom})`,
    `runtimes: OpenVINO ${m.openvino ?? `unavailable (${m.openvinoNote ?? 'no module'})`}; ONNX Runtime ${m.onnxruntime}; Node ${m.node}` +
      (c.torch ? `; PyTorch ${c.torch.torch} (transformers ${c.torch.transformers})` : ''),
    `package: ${c.package.name} (${c.package.family}, ${c.package.precision}) in ${shown(c.package.dir)}; ${c.threads} thread${c.threads > 1 ? 's' : ''} per backend; ${c.runs} run${c.runs > 1 ? 's' : ''} per figure, interleaved, after one warm-up round`,
    `photo: ${c.images.source === 'synthetic' ? 'synthetic (no shared photos here)' : shown(c.images.source)}`,
    '',
    'backends:',
    ...c.backends.map((b) => `  ${LABELS[b.id].padEnd(14)} ${b.available ? `${b.reason}; loaded in ${ms(b.loadMs!)} ms` : `unavailable: ${b.reason}`}`),
  ];
  const baselineLive = ids.includes(BASELINE);
  out.push('', `ms, median / p95${baselineLive ? ` ×(median ÷ ${LABELS[BASELINE]}'s)` : ` (no ratios: ${LABELS[BASELINE]} is unavailable)`}`);
  for (const s of c.measurements.scenarios) {
    const rows = (Object.keys(STAGE_LABELS) as Stage[])
      .filter((stage) => ids.some((id) => s.results[id]?.[stage]))
      .map((stage) => [STAGE_LABELS[stage], ...ids.map((id) => cell(s.results[id]?.[stage]))]);
    out.push('', `${s.title}`, table(header, rows));
  }
  const cc = c.measurements.concurrency;
  out.push(
    '',
    `${cc.calls} concurrent calls, end to end, ${cc.prompts} prompt each (distinct photos of the base size)`,
    table(header, [
      ['all calls, wall', ...ids.map((id) => cell(cc.results[id]?.wall))],
      ['each call', ...ids.map((id) => cell(cc.results[id]?.perCall))],
      ['calls / s', ...ids.map((id) => (cc.results[id] ? cc.results[id]!.callsPerSecond.toFixed(2) : '—'))],
    ]),
  );
  const g = c.measurements.growth;
  const factor = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `×${v.toFixed(2)}`);
  const promptKeys = Object.keys(g[ids[0] as BackendId] ?? {}).length ? Object.keys(g[ids[0]!]!.prompts) : [];
  out.push(
    '',
    'how cost grows (end-to-end medians)',
    table(header, [
      ...promptKeys.map((k) => [`cached embedding, ${k.replace('÷', ' ÷ ')} prompts`, ...ids.map((id) => factor(g[id]?.prompts[k]))]),
      [`${c.measurements.scenarios.find((s) => s.id === 'e2e-large')?.image.megapixels.toFixed(1)} MP ÷ ${c.images.base.megapixels.toFixed(2)} MP photo`, ...ids.map((id) => factor(g[id]?.largeImage))],
      [`${cc.calls} concurrent (wall) ÷ 1 call`, ...ids.map((id) => factor(g[id]?.concurrent))],
    ]),
  );
  const byId = (id: BackendId) => c.backends.find((b) => b.id === id)!;
  out.push(
    '',
    'memory (MiB, each backend in its own process)',
    table(header, [
      ['RSS after load', ...ids.map((id) => ms(byId(id).rssAfterLoadMiB ?? Number.NaN))],
      ['peak RSS', ...ids.map((id) => `${ms(byId(id).peakRssMiB ?? Number.NaN)}${times(byId(id).peakRssRatio ?? null)}`)],
    ]),
  );
  const ag = c.measurements.agreement;
  out.push(
    '',
    `agreement: max |Δ score| against ${LABELS[ag.reference]} on "${ag.prompts.join('", "')}" (${c.package.family === 'sam3-concept' ? 'presence and best instance score' : 'the candidates\u2019 predicted IoU'})`,
    `  ${ids.map((id) => `${LABELS[id]} ${ag.maxAbsDiff[id] === null || ag.maxAbsDiff[id] === undefined ? '—' : ag.maxAbsDiff[id]!.toExponential(1)}`).join('; ')}`,
  );
  for (const [id, why] of Object.entries(c.measurements.failures)) out.push(`failed: ${LABELS[id as BackendId]}: ${why}`);
  return out.join('\n');
}
