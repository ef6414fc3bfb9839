/**
 * From raw samples to the figures `bench:compare` reports: median and p95 of every stage, each
 * with its ratio against the baseline backend (PyTorch BF16) — below 1 is faster than it.
 */
import { percentile } from '../stats.js';
import { STAGES, type Stage, type StageTimes } from './protocol.js';

export interface Figure {
  median: number;
  p95: number;
  /** This figure ÷ the baseline's same figure; null without a baseline. */
  ratio: { median: number | null; p95: number | null };
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function divide(a: number, b: number | undefined): number | null {
  return b === undefined || !Number.isFinite(b) || b <= 0 ? null : a / b;
}

export function figure(values: number[], baseline?: { median: number; p95: number }): Figure {
  const m = median(values);
  const p95 = percentile(values, 95);
  return { median: m, p95, ratio: { median: divide(m, baseline?.median), p95: divide(p95, baseline?.p95) } };
}

/** Stage → figure for each backend of one scenario; a stage a scenario does not run is left out. */
export function summarizeStages(samples: Map<string, StageTimes[]>, baselineId: string): Record<string, Partial<Record<Stage, Figure>>> {
  const raw = (id: string, stage: Stage) => (samples.get(id) ?? []).map((s) => s[stage]).filter((v): v is number => v !== undefined);
  const out: Record<string, Partial<Record<Stage, Figure>>> = {};
  for (const id of samples.keys()) {
    const stages: Partial<Record<Stage, Figure>> = {};
    for (const stage of STAGES) {
      const values = raw(id, stage);
      if (values.length === 0) continue;
      const base = raw(baselineId, stage);
      stages[stage] = figure(values, base.length ? { median: median(base), p95: percentile(base, 95) } : undefined);
    }
    out[id] = stages;
  }
  return out;
}

/** Largest |a − b| over two backends' per-prompt scores (same prompts, same image); null when they do not line up. */
export function maxScoreDiff(a: number[][] | undefined, b: number[][] | undefined): number | null {
  if (!a || !b || a.length !== b.length) return null;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.length !== b[i]!.length) return null;
    for (let j = 0; j < a[i]!.length; j++) worst = Math.max(worst, Math.abs(a[i]![j]! - b[i]![j]!));
  }
  return worst;
}
